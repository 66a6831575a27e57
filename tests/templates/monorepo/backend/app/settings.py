"""Settings from ../.env (the monorepo's root), relative to where the backend is started."""

import sys
from pathlib import Path

REQUIRED = ("PROJECT_NAME", "API_PREFIX", "APP_SECRET")


def load(path: Path = Path("../.env")) -> dict[str, str]:
    if not path.is_file():
        sys.exit(f"Error: {path} not found; copy example.env to .env at the project root")
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    missing = [key for key in REQUIRED if not values.get(key)]
    if missing:
        sys.exit(f"Error: {path} lacks {', '.join(missing)}")
    return values


settings = load()
