"""Fresh means fresh: each variant's tasks, installs, set-up steps and app run with a HOME (and
XDG folders), a TMPDIR and an XDG_RUNTIME_DIR of their own, so no configuration of the user who
runs freshboot leaks in (pip.conf, uv.toml, .gitconfig, a framework's dotfiles), nothing is
written to the real home, and what they leave in temporary folders goes with the variant. Only
the package caches stay shared, as content-keyed caches are no configuration and keep installs
fast.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from uv import find_uv_bin

from smoke_tests import signals, sweep

# Each XDG base folder, as its specification places it under HOME.
XDG = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}
_SHOWN = 20  # entries named in the log line
# Who commits when a task runs `git commit` in a fresh HOME (a user has an identity; a fresh
# HOME has none, and git would refuse).
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "freshboot", "GIT_AUTHOR_EMAIL": "freshboot@localhost",
    "GIT_COMMITTER_NAME": "freshboot", "GIT_COMMITTER_EMAIL": "freshboot@localhost",
}  # fmt: skip
_SOCKET_ROOT = "/tmp"  # short: a unix socket's path (gunicorn.ctl) must fit in 108 bytes


@dataclass(frozen=True)
class Fresh:
    """A variant's own folders: its HOME, its TMPDIR (both in its working folder) and an
    XDG_RUNTIME_DIR with a short path, for the unix sockets servers put there."""

    home: Path
    tmp: Path
    runtime: Path


@contextmanager
def fresh_folders(folder: Path) -> Iterator[Fresh]:
    """Make the folders of a variant working in `folder`; the runtime folder, outside it so
    that socket paths stay short, is removed afterwards."""
    home, tmp = folder / "home", folder / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(exist_ok=True)
    root = _SOCKET_ROOT if os.access(_SOCKET_ROOT, os.W_OK | os.X_OK) else None
    runtime = Path(tempfile.mkdtemp(prefix="fb-run-", dir=root))  # mode 0700, as XDG asks
    sweep.folder(runtime)
    try:
        yield Fresh(home, tmp, runtime)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def variables(fresh: Fresh) -> dict[str, str]:
    """HOME and the XDG folders inside the variant's home, its TMPDIR and runtime folder, a git
    identity, and the shared package caches."""
    home = fresh.home
    found = {"HOME": str(home), **{name: str(home / path) for name, path in XDG.items()}}
    found.update(TMPDIR=str(fresh.tmp), XDG_RUNTIME_DIR=str(fresh.runtime), **GIT_IDENTITY)
    return {**found, **shared_caches()}


@functools.cache
def shared_caches() -> dict[str, str]:
    """Where uv and pip keep their caches (and uv its Pythons) for the user running
    freshboot, resolved from the real HOME and settings: given explicitly, they do not move
    into a variant's HOME."""
    caches = {
        "UV_CACHE_DIR": _uv_dir("cache") or _xdg_cache() / "uv",
        "UV_PYTHON_INSTALL_DIR": _uv_dir("python") or _xdg_data() / "uv" / "python",
        "PIP_CACHE_DIR": _xdg_cache() / "pip",
    }
    return {name: os.environ.get(name) or str(path) for name, path in caches.items()}


def _uv_dir(kind: str) -> Path | None:
    """`uv cache dir` / `uv python dir` as the harness sees it (its uv.toml included)."""
    try:
        done = subprocess.run(
            [find_uv_bin(), kind, "dir"], capture_output=True, text=True, check=False, cwd="/",
            stdin=subprocess.DEVNULL, timeout=30, preexec_fn=signals.preexec,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return Path(out) if done.returncode == 0 and out else None


def _xdg_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _xdg_data() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def written(home: Path) -> list[str]:
    """What is in `home`, folders with a trailing slash; inside the XDG folders, their
    entries (`.config/myapp/`), which say more than `.config/` would."""
    inside = {Path(path) for path in XDG.values()}
    found: list[str] = []

    def walk(folder: Path, rel: Path) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            path = rel / entry.name
            is_dir = entry.is_dir() and not entry.is_symlink()
            if is_dir and (path in inside or any(p.is_relative_to(path) for p in inside)):
                walk(entry, path)
            else:
                found.append(f"{path}/" if is_dir else str(path))

    walk(home, Path())
    return found


def note(home: Path, log: Path) -> None:
    """Say in the log what the variant's processes wrote in their HOME, if anything."""
    found = written(home)
    if not found:
        return
    shown = ", ".join(found[:_SHOWN]) + (
        f" and {len(found) - _SHOWN} more" if found[_SHOWN:] else ""
    )
    with log.open("a", encoding="utf-8") as out:
        out.write(f"[the app wrote in its HOME ({home}): {shown}]\n")
