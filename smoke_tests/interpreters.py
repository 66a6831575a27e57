"""The Python a project's venv is made with (smoke.yaml `python:`): an interpreter already on
this machine, never a download.

uv's own discovery misses common set-ups: pyenv puts a shim for every version on PATH, and a
shim fails for any version that is not pyenv's global one, so `uv python find 3.13` errors
although /root/.pyenv/versions/3.13.0 is there. So the candidates are uv's answer (with shim
folders taken off PATH) and what a scan finds: $PYENV_ROOT/versions/*, python3 and python3.X
on PATH (scripts such as shims skipped), /usr/local/bin and /usr/bin. Among those that satisfy
the request the newest final release wins, so the choice does not depend on PATH order.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version
from uv import find_uv_bin

from smoke_tests.versions import constraint, is_bare, satisfies

_NAME = re.compile(r"python3(\.\d+)?")
# Prints what decides whether an interpreter fits a request (and a venv made from it).
_INSPECT = (
    "import json, platform, sys, sysconfig; print(json.dumps({"
    "'implementation': sys.implementation.name, 'version': platform.python_version(), "
    "'build': sys.version, 'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))"
)
_UV = find_uv_bin()  # at import, in the main thread (see environment.UV)
_SCRUBBED = ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "UV_PYTHON", "CONDA_PREFIX")
_lock = threading.Lock()
_scanned: tuple[Interpreter, ...] | None = None
_uv_found: dict[str, Interpreter | None] = {}


@dataclass(frozen=True)
class Interpreter:
    """An installed Python: where it is and what it is."""

    path: Path
    version: str  # "3.13.0"
    build: str  # sys.version: tells apart two builds of one version (part of the venv key)


def own() -> Interpreter:
    """freshboot's own interpreter: the venv's Python when smoke.yaml names none."""
    return Interpreter(Path(sys.executable), platform.python_version(), sys.version)


def is_path(request: str) -> bool:
    """Whether a `python:` value names an interpreter by (absolute) path, not by version."""
    return request.startswith(("/", "~/"))


def check_request(request: str) -> None:
    """Raise ConstraintError if `request` is neither a path nor a version constraint."""
    if not is_path(request):
        constraint(request)


def find(request: str) -> Interpreter | None:
    """The installed interpreter for `request` (a version constraint or a path), or None."""
    if is_path(request):
        return _inspect(Path(request).expanduser().absolute(), any_kind=True)
    wanted = constraint(request)
    matches = [i for i in (*installed(), _uv_find(str(wanted))) if i is not None]
    matches = [i for i in matches if satisfies(i.version, wanted)]
    if not matches:
        return None
    return max(matches, key=lambda i: (not Version(i.version).is_prerelease, Version(i.version)))


def missing_reason(request: str) -> str:
    """Why a variant that wants `request` is skipped here, and how to make it runnable."""
    if is_path(request):
        return f"no working Python at {request}; install one there or change smoke.yaml python"
    series = {".".join(i.version.split(".")[:2]) for i in installed()}
    seen = f" (found: {', '.join(sorted(series, key=Version))})" if series else ""
    if is_bare(request):
        return (
            f"Python {request} is not installed here{seen}; install it (pyenv install "
            f"{request}, uv python install {request}, or your system's package) or change "
            "smoke.yaml python"
        )
    return (
        f"no installed Python satisfies {request}{seen}; install one (uv python install "
        f"'{request}', pyenv install, or your system's package) or change smoke.yaml python"
    )


def installed() -> tuple[Interpreter, ...]:
    """Every CPython the scan finds, once per process (inspecting each costs ~20 ms)."""
    global _scanned  # noqa: PLW0603 - a per-process cache, filled once under the lock
    with _lock:
        if _scanned is None:
            candidates = list(dict.fromkeys(_candidates()))
            with ThreadPoolExecutor(max_workers=8) as pool:
                _scanned = tuple(i for i in pool.map(_inspect, candidates) if i is not None)
        return _scanned


def _candidates() -> Iterator[Path]:
    """Real interpreter binaries (symlinks resolved, scripts such as shims left out)."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    folders = [p / "bin" for p in sorted((pyenv / "versions").glob("*"))]
    folders += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    folders += [Path("/usr/local/bin"), Path("/usr/bin")]
    for folder in folders:
        try:
            names = sorted(p.name for p in folder.iterdir() if _NAME.fullmatch(p.name))
        except OSError:
            continue
        for name in names:
            path = (folder / name).resolve()
            if path.is_file() and os.access(path, os.X_OK) and not _is_script(path):
                yield path


def _is_script(path: Path) -> bool:
    try:
        with path.open("rb") as head:
            return head.read(2) == b"#!"
    except OSError:
        return True


def _inspect(path: Path, any_kind: bool = False) -> Interpreter | None:
    """Ask the interpreter what it is; a CPython with the GIL unless `any_kind`."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    try:
        done = subprocess.run(
            [str(path), "-I", "-c", _INSPECT], capture_output=True, text=True, timeout=30,
            check=False, env=env, cwd="/", stdin=subprocess.DEVNULL,
        )  # fmt: skip
        facts = json.loads(done.stdout)
        Version(facts["version"])
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, InvalidVersion):
        return None
    if not any_kind and (facts["implementation"] != "cpython" or facts["free_threaded"]):
        return None
    return Interpreter(path, facts["version"], facts["build"])


def _uv_find(request: str) -> Interpreter | None:
    """uv's own discovery (managed installs, PATH), shims taken off PATH, no downloads."""
    with _lock:
        if request in _uv_found:
            return _uv_found[request]
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p).name != "shims"
    )
    env["UV_PYTHON_DOWNLOADS"] = "never"
    try:
        done = subprocess.run(
            [_UV, "python", "find", "--system", "--no-python-downloads", request],
            capture_output=True, text=True, timeout=60, check=False, env=env, cwd="/",
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        done = None
    found = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        found = _inspect(Path(done.stdout.strip()).resolve())
    with _lock:
        _uv_found[request] = found
    return found
