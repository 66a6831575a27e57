"""How a rendered project's app is started: its framework, entry point and port.

Django from `manage.py`; FastAPI, Starlette, Litestar, Flask and aiohttp from the app object a
module makes. A script or `__main__` that binds a port of its own is run as it is (that port
becomes `port:`); otherwise the app object is served on freshboot's `{{ port }}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smoke_tests.guess import Guess

_APP = re.compile(
    r"^(\w+)\s*(?::[^=]*)?=\s*(?:\w+\.)?(FastAPI|Starlette|Litestar|Flask|Application)\(", re.M
)
_AIOHTTP_APP = re.compile(r"^\s*(\w+)\s*(?::[^=]*)?=\s*(?:\w+\.)?(Application)\(", re.M)
_DEF = re.compile(r"^(?:async )?def (\w+)\(\s*(\w*)", re.M)
_FIXED_PORT = re.compile(r"\bport\s*=\s*(\d{2,5})\b")
_ENV_PORT = re.compile(r"""(?:environ\.get|getenv)\(\s*["']PORT["']""")
_SQLITE_DIR = re.compile(r"""["'](\w+)["']\s*/\s*["'][\w.-]+\.(?:sqlite3?|db)["']""")
_FRAMEWORK = {
    "FastAPI": "FastAPI",
    "Starlette": "Starlette",
    "Litestar": "Litestar",
    "Flask": "Flask",
    "Application": "aiohttp",
}


def module_name(path: Path, root: Path) -> str:
    """The import name of a module file, run from `root` (a `src/` layout is installed)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def django(root: Path, sources: Mapping[Path, str], guess: Guess) -> None:
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


def asgi_wsgi(
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
    module = _named(module_name(path, root), values)
    target = f"{module}:{match.group(1)}"
    text = sources[path]
    script = _script(pyproject, module_name(path, root))
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
