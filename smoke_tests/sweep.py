"""What a killed run left, removed by the next one: a run that is SIGKILLed (out of memory, a
cancelled CI job) runs no cleanup, so each run keeps a record of itself as it goes and every run
begins by sweeping the records of runs that are dead.

A record is `<cache>/runs/<run id>.json`, JSON lines appended as the run goes: first its pid and
the pid's start time (a recycled pid is a different process), then each temporary folder made
and each server started (by pid and start time: servers overwrite their environment with their
process title, so their marker cannot be read back). A run is dead when its pid is gone or now
belongs to another process; nothing is ever guessed from names alone. A run that ends normally
removes its record.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from rich.filesize import decimal

from smoke_tests import containment, reaper

_lock = threading.Lock()
_record: list[Path] = []  # this run's record, once begun
_TOLERANCE = 0.05  # seconds: create_time is rounded to clock ticks


def records(root: Path) -> Path:
    """The folder of run records under the cache root `root`."""
    return root / "runs"


def begin(root: Path) -> None:
    """Start this run's record (where the cache is not writable, runs go unrecorded)."""
    folder = records(root)
    me = psutil.Process()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{reaper.RUN_ID}.json"
        _append(path, {"pid": me.pid, "created": me.create_time(), "started": time.time()})
    except OSError:
        return
    with _lock:
        _record[:] = [path]


def end() -> None:
    """This run ended normally and cleaned up after itself: forget its record."""
    with _lock:
        for path in _record:
            path.unlink(missing_ok=True)
        _record.clear()


def folder(path: Path) -> Path:
    """Note a temporary folder this run made, for a later run to remove if this one is killed."""
    _note({"path": str(path)})
    return path


def process(pid: int) -> None:
    """Note a server this run started (one whose marker cannot be read back)."""
    with contextlib.suppress(psutil.Error):
        _note({"proc": pid, "created": psutil.Process(pid).create_time()})


def _note(entry: dict[str, object]) -> None:
    with _lock, contextlib.suppress(OSError):
        for path in _record:
            _append(path, entry)


def _append(path: Path, entry: dict[str, object]) -> None:
    """One line, in one write: a record read while it grows is whole up to its last line."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Swept:
    """What one dead run left and this one removed."""

    pid: int
    started: float
    processes: int
    folders: int
    size: int

    def line(self, now: float) -> str:
        ago = _ago(now - self.started)
        return (
            f"freshboot: swept what a killed run (pid {self.pid}, {ago} ago) left: "
            f"{_count(self.processes, 'process', 'processes')}, "
            f"{_count(self.folders, 'folder', 'folders')} ({decimal(self.size)})"
        )


def sweep(root: Path, cache: Path | None = None) -> list[Swept]:
    """Remove what every dead run recorded under `root` left, and say so on stderr. A dead
    run's staging folders in `cache` (named after its pid) go too."""
    found = []
    try:
        paths = sorted(records(root).glob("*.json"))
    except OSError:
        return []
    for path in paths:
        lines = _read(path)
        if not lines or _alive(lines[0]):
            continue
        swept = _remove(path.stem, lines, cache)
        path.unlink(missing_ok=True)
        if swept.processes or swept.folders:
            found.append(swept)
            print(swept.line(time.time()), file=sys.stderr, flush=True)
    return found


def _read(path: Path) -> list[dict[str, object]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    lines = []
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return [e for e in lines if isinstance(e, dict)]


def _same(entry: dict[str, object], pid_key: str) -> psutil.Process | None:
    """The process an entry names, if it still runs as that same process (not a recycled pid)."""
    try:
        proc = psutil.Process(int(str(entry[pid_key])))
        if abs(proc.create_time() - float(str(entry["created"]))) > _TOLERANCE:
            return None
        return proc if reaper.alive(proc) else None
    except (psutil.Error, KeyError, ValueError):
        return None


def _alive(head: dict[str, object]) -> bool:
    return _same(head, "pid") is not None


def _remove(run_id: str, lines: list[dict[str, object]], cache: Path | None) -> Swept:
    head = lines[0]
    servers = [p for e in lines[1:] if "proc" in e and (p := _same(e, "proc")) is not None]
    marked = reaper.find(f"{run_id}:")  # its cgroup's processes too, marked or not
    procs = {p.pid: p for p in [*servers, *marked]}
    reaper.kill(list(procs.values()))
    containment.remove_run(run_id)
    folders = [Path(str(e["path"])) for e in lines[1:] if "path" in e]
    if cache is not None:
        folders += _staging(cache, int(str(head.get("pid", 0))))
    existing = [f for f in folders if f.is_dir() and not f.is_symlink()]
    size = sum(_size(f) for f in existing)
    for gone in existing:
        shutil.rmtree(gone, ignore_errors=True)
    started = float(str(head.get("started", head.get("created", time.time()))))
    return Swept(int(str(head.get("pid", 0))), started, len(procs), len(existing), size)


def _staging(cache: Path, pid: int) -> list[Path]:
    """The cache's staging folders of the process `pid` (scaffolder.cache names them so)."""
    found: list[Path] = []
    with contextlib.suppress(OSError):
        for kind in cache.iterdir():
            if kind.is_dir():
                found += kind.glob(f".staging-{pid}-*")
    return found


def _size(top: Path) -> int:
    total = 0
    for folder, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return total


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{max(0, round(seconds))} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"
