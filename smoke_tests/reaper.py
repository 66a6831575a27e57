"""Nothing left behind: every process the harness starts carries a marker in its environment,
so the whole of a run's processes (apps, their reparented children, services, installs) can be
found and ended at once, even after a crash of their parent, and without touching another run's.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Mapping

import psutil

MARKER = "FRESHBOOT_RUN"
RUN_ID = uuid.uuid4().hex[:12]
cancelled = threading.Event()


class Interrupted(Exception):
    """The run was stopped by a signal; `status` is the exit status to end with."""

    def __init__(self, status: int) -> None:
        super().__init__(f"interrupted (exit status {status})")
        self.status = status


def new_tag(kind: str) -> str:
    """A marker value unique to one started thing, under this run's id."""
    return f"{RUN_ID}:{kind}:{uuid.uuid4().hex[:8]}"


def marked(env: Mapping[str, str], tag: str) -> dict[str, str]:
    """`env` plus the marker that lets the reaper find whatever is started with it."""
    return {**env, MARKER: tag}


def find(prefix: str) -> list[psutil.Process]:
    """Running processes whose marker starts with `prefix` (a tag, or the run id for all)."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(MARKER, "").startswith(prefix) and alive(proc):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def kill(procs: list[psutil.Process], timeout: float = 2.0) -> None:
    """SIGKILL each process and reap what we can."""
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(procs, timeout=timeout)


def kill_everything() -> None:
    """End every process this run started, at once; used on interruption and at exit."""
    cancelled.set()
    for _ in range(3):
        procs = find(RUN_ID)
        if not procs:
            return
        kill(procs)


def alive(proc: psutil.Process) -> bool:
    """Running and not a zombie waiting to be reaped."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
