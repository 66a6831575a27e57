"""What `freshboot init` guesses about a project: a first smoke.yaml, key by key, with reasons.

Shared by the readers of a rendered project (smoke_tests.detect, smoke_tests.entry_points) and
the writer of its smoke.yaml (smoke_tests.first_spec).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "site-packages"}
PLACEHOLDER = "freshboot-placeholder-change-me"


@dataclass
class Guess:
    """A first smoke.yaml, key by key, with why each value was chosen (`why[key]`)."""

    framework: str = ""
    workdir: str | None = None
    python: str | None = None
    install: list[list[str]] = field(default_factory=list)
    setup: list[Any] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    services: dict[str, dict[str, str]] = field(default_factory=dict)
    service_when: dict[str, str] = field(default_factory=dict)  # only the variants that need it
    run: list[str] = field(default_factory=list)
    port: int | None = None
    ready: str = "/"
    why: dict[str, str] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)  # what the user must fill in before a run


def files(root: Path, suffix: str = "") -> Iterator[Path]:
    """The project's own files (not its venv, git or node_modules), a few folders deep."""
    for path in sorted(root.rglob(f"*{suffix}")):
        rel = path.relative_to(root).parts
        if path.is_file() and not _SKIP.intersection(rel) and len(rel) <= 6:
            yield path


def read(path: Path) -> str:
    """A file's text, or "" when it cannot be read: a guess never stops at one odd file."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""
