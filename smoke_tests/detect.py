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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "site-packages"}
_HEALTH = re.compile(
    r"""["'](/?(?:api/)?(?:health|healthz|_health|healthcheck|ping|livez)/?)["']"""
)
_APP = re.compile(
    r"^(\w+)\s*(?::[^=]*)?=\s*(?:\w+\.)?(FastAPI|Starlette|Litestar|Flask|Application)\(", re.M
)
_AIOHTTP_APP = re.compile(r"^\s*(\w+)\s*(?::[^=]*)?=\s*(?:\w+\.)?(Application)\(", re.M)
_DEF = re.compile(r"^(?:async )?def (\w+)\(\s*(\w*)", re.M)
_FIXED_PORT = re.compile(r"\bport\s*=\s*(\d{2,5})\b")
_ENV_PORT = re.compile(r"""(?:environ\.get|getenv)\(\s*["']PORT["']""")
_REQUIRED_ENV = re.compile(r"""environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")
_SQLITE_DIR = re.compile(r"""["'](\w+)["']\s*/\s*["'][\w.-]+\.(?:sqlite3?|db)["']""")
_ENV_EXAMPLES = ("example.env", ".env.example", "env.example", ".env.sample", ".env.template")
_FRAMEWORK = {
    "FastAPI": "FastAPI",
    "Starlette": "Starlette",
    "Litestar": "Litestar",
    "Flask": "Flask",
    "Application": "aiohttp",
}
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


def _files(root: Path, suffix: str = "") -> Iterator[Path]:
    for path in sorted(root.rglob(f"*{suffix}")):
        rel = path.relative_to(root).parts
        if path.is_file() and not _SKIP.intersection(rel) and len(rel) <= 6:
            yield path


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return ""


def _app_root(project: Path) -> Path:
    """The folder holding the Python app: the root, else the one subfolder that declares it."""
    marks = ("pyproject.toml", "requirements.txt", "manage.py", "setup.py")
    if any((project / m).is_file() for m in marks):
        return project
    found = sorted(
        {p.parent for m in marks for p in _files(project) if p.name == m},
        key=lambda p: len(p.parts),
    )
    return found[0] if found else project


def _pyproject(folder: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read(folder / "pyproject.toml"))
    except tomllib.TOMLDecodeError:
        return {}


def _module(path: Path, root: Path) -> str:
    """The import name of a module file, run from `root` (a `src/` layout is installed)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


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
    sources = {path: _read(path) for path in _files(root, ".py")}
    if (root / "manage.py").is_file():
        _django(root, sources, guess)
    else:
        _asgi_wsgi(root, sources, pyproject, deps, values, guess)
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
    text += " ".join(_read(root / name) for name in requirements)
    return text.lower()


def _python(
    project: Path, root: Path, pyproject: Mapping[str, Any], values: Mapping[str, Any], guess: Guess
) -> str | None:
    """The interpreter the project asks for, when it is not freshboot's own."""
    pinned = next(
        (p for p in (root / ".python-version", project / ".python-version") if p.is_file()), None
    )
    if pinned is not None:
        version = _read(pinned).strip().splitlines()[0] if _read(pinned).strip() else ""
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
    for path in _files(project):
        if path.name in _ENV_EXAMPLES and not (path.parent / ".env").exists():
            folder = path.parent.relative_to(project).as_posix()
            guess.setup.append({"command": ["cp", path.name, ".env"], "cwd": folder})
            guess.why["setup"] = f"{path.relative_to(project)} is copied to .env"
            return


def _django(root: Path, sources: Mapping[Path, str], guess: Guess) -> None:
    guess.framework = "Django"
    for text in sources.values():
        found = _SQLITE_DIR.search(text) if "sqlite3" in text else None
        if found and not (root / found.group(1)).is_dir():
            guess.setup.append(["mkdir", "-p", found.group(1)])
            break
    guess.setup.append(["python", "manage.py", "migrate", "--noinput"])
    guess.run = ["python", "manage.py", "runserver", "127.0.0.1:{{ port }}"]
    guess.why["run"] = "manage.py: Django's development server"
    guess.why["setup"] = (guess.why.get("setup", "") + "; " if "setup" in guess.why else "") + (
        "the database is migrated first"
    )


def _asgi_wsgi(
    root: Path,
    sources: Mapping[Path, str],
    pyproject: Mapping[str, Any],
    deps: str,
    values: Mapping[str, Any],
    guess: Guess,
) -> None:
    apps = [
        (path, m)
        for path, text in sources.items()
        for m in (_AIOHTTP_APP if "aiohttp" in text else _APP).finditer(text)
    ]
    if not apps:
        guess.todo.append(
            "run: no FastAPI, Starlette, Litestar, Flask, Django or aiohttp app "
            "found; write the command that starts the app"
        )
        return
    path, match = apps[0]
    guess.framework = _FRAMEWORK[match.group(2)]
    module = _named(_module(path, root), values)
    target = f"{module}:{match.group(1)}"
    text = sources[path]
    script = _script(pyproject, _module(path, root))
    fixed = _FIXED_PORT.search(text)
    if script and (fixed or _ENV_PORT.search(text)):
        guess.run = [_named(script, values, ("project", "name"))]
        guess.why["run"] = f"the project's script {script!r} starts {guess.framework}"
    elif fixed and '__name__ == "__main__"' in text.replace("'", '"'):
        guess.run = ["python", "-m", module]
        guess.why["run"] = f"{path.name} starts {guess.framework} when run as a module"
    else:
        guess.run = _server(guess.framework, target, deps, text)
        guess.why["run"] = f"{guess.framework} app {target}"
        return
    if fixed:
        guess.port = int(fixed.group(1))
        guess.why["port"] = f"{path.name} hard-codes port {guess.port}"
    else:
        guess.env["PORT"] = "{{ port }}"


def _server(framework: str, target: str, deps: str, text: str) -> list[str]:
    if framework == "Flask":
        if "gunicorn" in deps:
            return ["gunicorn", "--bind", "127.0.0.1:{{ port }}", target]
        return ["flask", "--app", target, "run", "--port", "{{ port }}"]
    if framework == "aiohttp":
        module, name = target.split(":", maxsplit=1)
        factory = _factory(text)
        if factory:  # an app factory: called (with an empty argv if it takes one)
            name = f"{factory.group(1)}({'[]' if factory.group(2) else ''})"
        start = (
            f"import sys, {module}; from aiohttp import web; "
            f"web.run_app({module}.{name}, host='127.0.0.1', port=int(sys.argv[1]))"
        )
        return ["python", "-c", start, "{{ port }}"]
    return ["uvicorn", target, "--host", "127.0.0.1", "--port", "{{ port }}"]


def _factory(text: str) -> re.Match[str] | None:
    """The first top-level function whose body makes an aiohttp Application."""
    defs = list(_DEF.finditer(text))
    for here, after in zip(defs, [*defs[1:], None], strict=True):
        body = text[here.end() : after.start() if after else len(text)].partition("\n")[2]
        body = re.split(r"^\S", body, maxsplit=1, flags=re.M)[0]  # up to the next top level
        if "web.Application(" in body:
            return here
    return None


def _script(pyproject: Mapping[str, Any], module: str) -> str | None:
    scripts = (pyproject.get("project") or {}).get("scripts") or {}
    return next((str(n) for n, ref in scripts.items() if str(ref).split(":")[0] == module), None)


def _named(
    text: str, values: Mapping[str, Any], prefer: tuple[str, ...] = ("package", "module", "slug")
) -> str:
    """`text` with a first dotted part that is an answer written as `{{ question }}`."""
    head, dot, rest = text.partition(".")
    names = [k for k, v in values.items() if isinstance(v, str) and len(v) >= 3 and v == head]
    if not names:
        return text
    best = next((n for n in names if any(w in n for w in prefer)), names[0])
    return f"{{{{ {best} }}}}{dot}{rest}"


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
    _services(deps, {path: _read(path) for path in _files(root, ".py")}, guess)
    return guess.services
