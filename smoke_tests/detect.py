"""Guessing how a freshly rendered project is installed, started and checked, from its files.

`freshboot init` reads one rendered project the way a newcomer would: where its dependencies
are declared, which web framework it imports, how its README-less entry points start it, which
port it hard-codes and which variables it cannot start without. Every guess carries its reason,
which becomes a comment in the smoke.yaml it writes.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from smoke_tests.entry_points import asgi_wsgi, django
from smoke_tests.guess import PLACEHOLDER, Guess, files, read

_HEALTH = re.compile(
    r"""["'](/?(?:api/)?(?:health|healthz|_health|healthcheck|ping|livez)/?)["']"""
)
_REQUIRED_ENV = re.compile(r"""environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
_ENV_EXAMPLES = ("example.env", ".env.example", "env.example", ".env.sample", ".env.template")


def _app_root(project: Path) -> Path:
    """The folder holding the Python app: the root, else the one subfolder that declares it."""
    marks = ("pyproject.toml", "requirements.txt", "manage.py", "setup.py")
    if any((project / m).is_file() for m in marks):
        return project
    found = sorted(
        {p.parent for m in marks for p in files(project) if p.name == m},
        key=lambda p: len(p.parts),
    )
    return found[0] if found else project


def _pyproject(folder: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read(folder / "pyproject.toml"))
    except tomllib.TOMLDecodeError:
        return {}


def inspect(project: Path, values: Mapping[str, Any]) -> Guess:
    """Every guess about the rendered `project`; `values` are the answers it was rendered
    with, so a rendered name can be written back as `{{ question }}`."""
    guess = Guess()
    root = _app_root(project)
    if root != project:
        guess.workdir = root.relative_to(project).as_posix()
        guess.why["workdir"] = f"the Python project lives in {guess.workdir}/"
    pyproject = _pyproject(root)
    deps = _dependencies(root, pyproject, guess)
    guess.python = _python(project, root, pyproject, values, guess)
    _env_file(project, guess)
    sources = {path: read(path) for path in files(root, ".py")}
    if (root / "manage.py").is_file():
        django(root, sources, guess)
    else:
        asgi_wsgi(root, sources, pyproject, deps, values, guess)
    _required_env(sources, values, guess)
    _services(deps, sources, guess)
    found = {m for text in sources.values() for m in _HEALTH.findall(text)}
    health = sorted(found, key=lambda m: ("/" not in m, len(m)))  # a route, not a view's name
    if health:
        guess.ready = health[0] if health[0].startswith("/") else f"/{health[0]}"
        guess.why["ready"] = f"a route {health[0]!r} is in the code"
    else:
        guess.why["ready"] = "no health route found: the home page must answer 2xx"
    return guess


def _dependencies(root: Path, pyproject: Mapping[str, Any], guess: Guess) -> str:
    """The declared dependencies as one lower-case text, and the install command for them."""
    project = pyproject.get("project") or {}
    requirements = sorted(p.name for p in root.glob("requirements*.txt"))
    main = "requirements.txt" if "requirements.txt" in requirements else None
    if project:
        if (root / "uv.lock").is_file() and guess.workdir is None:
            guess.install = [["uv", "sync"]]
            guess.why["install"] = "pyproject.toml with a uv.lock: `uv sync` installs the lock"
        elif "build-system" in pyproject:
            guess.install = [["uv", "pip", "install", "."]]
            guess.why["install"] = "pyproject.toml with a build system: the project is installed"
        else:
            guess.install = [["uv", "pip", "install", "-r", "pyproject.toml"]]
            guess.why["install"] = "pyproject.toml without a build system: its dependencies"
    elif main:
        guess.install = [["uv", "pip", "install", "-r", main]]
        guess.why["install"] = f"dependencies in {main}"
    else:
        guess.todo.append(
            "install: no pyproject.toml or requirements.txt found; add the "
            "command that installs the project"
        )
    text = " ".join(str(d) for d in project.get("dependencies") or [])
    text += " ".join(read(root / name) for name in requirements)
    return text.lower()


def _python(
    project: Path, root: Path, pyproject: Mapping[str, Any], values: Mapping[str, Any], guess: Guess
) -> str | None:
    """The interpreter the project asks for, when it is not freshboot's own."""
    pinned = next(
        (p for p in (root / ".python-version", project / ".python-version") if p.is_file()), None
    )
    if pinned is not None:
        version = read(pinned).strip().splitlines()[0] if read(pinned).strip() else ""
        if version:
            name = next((k for k, v in values.items() if str(v) == version and "python" in k), None)
            guess.why["python"] = f"{pinned.relative_to(project)} says {version}"
            return f"{{{{ {name} }}}}" if name else version
    wanted = str((pyproject.get("project") or {}).get("requires-python") or "")
    try:
        mine = ".".join(map(str, sys.version_info[:3]))
        if wanted and not SpecifierSet(wanted).contains(mine):
            guess.why["python"] = f"requires-python {wanted} excludes this Python ({mine})"
            return wanted
    except InvalidSpecifier:
        pass
    return None


def _env_file(project: Path, guess: Guess) -> None:
    """An example env file with no `.env` beside it: copy it, as the README would say."""
    for path in files(project):
        if path.name in _ENV_EXAMPLES and not (path.parent / ".env").exists():
            folder = path.parent.relative_to(project).as_posix()
            guess.setup.append({"command": ["cp", path.name, ".env"], "cwd": folder})
            guess.why["setup"] = f"{path.relative_to(project)} is copied to .env"
            return


def _required_env(sources: Mapping[Path, str], values: Mapping[str, Any], guess: Guess) -> None:
    """`os.environ["X"]` has no fallback: the app cannot start (or answer) without X."""
    for name in sorted({n for text in sources.values() for n in _REQUIRED_ENV.findall(text)}):
        if name in guess.env:
            continue
        question = next((k for k in values if k.upper() == name), None)
        guess.env[name] = f"{{{{ {question} }}}}" if question else PLACEHOLDER
        if not question:
            guess.why.setdefault("env", "read with os.environ[...] and no fallback; placeholders")


def _services(deps: str, sources: Mapping[Path, str], guess: Guess) -> None:
    code = " ".join(sources.values())
    if re.search(r"psycopg|asyncpg|pg8000", deps) or "postgresql://" in code:
        env = {"DATABASE_URL": "{{ services.postgres.url }}"}
        parts = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGDATABASE": "database"}
        env.update({k: f"{{{{ services.postgres.{v} }}}}" for k, v in parts.items() if k in code})
        guess.services["postgres"] = env
    if re.search(r"\bredis\b|\barq\b|\brq\b", deps) or "redis://" in code:
        guess.services["redis"] = {"REDIS_URL": "{{ services.redis.url }}"}


def services_in(project: Path) -> dict[str, dict[str, str]]:
    """The services one rendered project needs, with the variables that point it at them."""
    guess = Guess()
    root = _app_root(project)
    deps = _dependencies(root, _pyproject(root), guess)
    _services(deps, {path: read(path) for path in files(root, ".py")}, guess)
    return guess.services
