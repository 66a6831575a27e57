"""One temporary folder for a whole benchmark run, and nothing left behind.

Templates are measured from snapshots taken when the run starts (others may be editing the
working tree meanwhile: a change in the middle would turn a warm render cache cold). freshboot
gets a private cache (`FRESHBOOT_CACHE`), warmed by the benchmarks themselves, and its working
folders (`TMPDIR`) inside this one. Every process started carries a marker in its environment,
so whatever survives a run (reparented children included) is found and killed.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from uv import find_uv_bin

REPO = Path(__file__).resolve().parents[1]
BUNDLED_TEMPLATE = REPO / "template"
BENCH_TEMPLATE = REPO / "tests" / "templates" / "bench"
MARKER = "FRESHBOOT_BENCH"


class Workspace:
    """The run's folder, its environment for commands, and the reaper of what they start."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.token = uuid.uuid4().hex[:12]
        self.cache = root / "cache"
        self.tmp = root / "tmp"
        self.tmp.mkdir()
        # Like /tmp: services run as another user (initdb as postgres) need to reach it.
        root.chmod(0o755)
        self.tmp.chmod(0o1777)
        self._counter = itertools.count(1)
        self.bundled = self.snapshot(BUNDLED_TEMPLATE, "template")
        self.bench = self.snapshot(BENCH_TEMPLATE, "bench-template")

    def snapshot(self, template: Path, name: str) -> Path:
        """A copy of `template` as it is now (no .git, so copier renders the files as they are)."""
        dest = self.root / name
        ignore = shutil.ignore_patterns(".git", "__pycache__", "*.pyc")
        shutil.copytree(template, dest, symlinks=True, ignore=ignore)
        return dest

    def folder(self, name: str) -> Path:
        """A new, empty folder for one command."""
        path = self.root / f"{next(self._counter):03d}-{name}"
        path.mkdir()
        return path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every command: ours, the marker, the private cache and temp
        folder, and this interpreter's bin folder and uv on PATH (copier, freshboot, uv)."""
        env = dict(os.environ)
        paths = [str(Path(sys.executable).parent), str(Path(find_uv_bin()).parent)]
        env["PATH"] = os.pathsep.join([*paths, env.get("PATH", "")])
        env.update({MARKER: self.token, "FRESHBOOT_CACHE": str(self.cache)})
        env.update({"TMPDIR": str(self.tmp), "NO_COLOR": "1"})
        env.update(extra)
        return env

    def reap(self) -> list[str]:
        """Kill every process that carries this run's marker; name what was still running."""
        found = []
        for proc in psutil.process_iter():
            try:
                if proc.pid != os.getpid() and proc.environ().get(MARKER) == self.token:
                    found.append(proc)
            except psutil.Error:
                continue
        names = []
        for proc in found:
            try:
                names.append(f"pid {proc.pid} ({' '.join(proc.cmdline())[:80]})")
                proc.kill()
            except psutil.Error:
                continue
        psutil.wait_procs(found, timeout=3)
        return names


@contextmanager
def workspace() -> Iterator[Workspace]:
    """A workspace under the system's temp folder, removed with everything in it."""
    root = Path(tempfile.mkdtemp(prefix="freshboot-bench-"))
    ws: Workspace | None = None
    try:
        ws = Workspace(root)
        yield ws
    finally:
        if ws is not None:
            ws.reap()
        shutil.rmtree(root, ignore_errors=True)
