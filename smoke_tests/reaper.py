"""Nothing left behind: every process the harness starts carries a marker in its environment,
so the whole of a run's processes (apps, their reparented children, services, installs) can be
found and ended at once, even after a crash of their parent, and without touching another run's.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import psutil

from smoke_tests import containment, run_id

MARKER = run_id.MARKER
RUN_ID = run_id.RUN_ID

cancelled = threading.Event()


class Interrupted(Exception):
    """The run was stopped by a signal; `status` is the exit status to end with."""

    def __init__(self, status: int) -> None:
        super().__init__(f"interrupted (exit status {status})")
        self.status = status


class _Scope(threading.local):
    name: str = "-"
    expired: threading.Event | None = None


_scope = _Scope()


@contextmanager
def scope(name: str, timeout: float | None = None) -> Iterator[threading.Event]:
    """Mark what this thread starts as belonging to `name` (a variant), and contain it (see
    smoke_tests.containment): whatever of it still runs when the scope ends is killed. After
    `timeout` seconds every process of the scope is killed and the yielded event is set."""
    expired = threading.Event()
    _scope.name, _scope.expired = name, expired

    def expire() -> None:
        expired.set()
        kill_all(f"{RUN_ID}:{name}:")

    timer = threading.Timer(timeout, expire) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        with containment.variant(name):
            yield expired
    finally:
        if timer:
            timer.cancel()
        _scope.name, _scope.expired = "-", None


def stopping() -> bool:
    """Whether the run was interrupted or this thread's scope ran out of time."""
    return cancelled.is_set() or (_scope.expired is not None and _scope.expired.is_set())


def new_tag(kind: str) -> str:
    """A marker value unique to one started thing, under this run's id and thread's scope."""
    return f"{RUN_ID}:{_scope.name}:{kind}:{uuid.uuid4().hex[:8]}"


def marked(env: Mapping[str, str], tag: str) -> dict[str, str]:
    """`env` plus the marker that lets the reaper find whatever is started with it."""
    return {**env, MARKER: tag}


_registered: dict[str, psutil.Process] = {}
_registered_lock = threading.Lock()


def register(tag: str, pid: int) -> None:
    """Remember a process by its tag too: servers such as redis-server and postgres rewrite
    their process title over their environment, so their marker cannot be read back."""
    with contextlib.suppress(psutil.NoSuchProcess), _registered_lock:
        _registered[tag] = psutil.Process(pid)


def unregister(tag: str) -> None:
    """Forget a process that was stopped the ordinary way."""
    with _registered_lock:
        _registered.pop(tag, None)


def find(prefix: str) -> list[psutil.Process]:
    """Running processes whose marker starts with `prefix` (a tag, or the run id for all),
    and those in the cgroup of the run or variant it names, whatever their environment."""
    with _registered_lock:
        found = [p for tag, p in _registered.items() if tag.startswith(prefix) and alive(p)]
    found += [p for p in containment.members_for(prefix) if alive(p)]
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me or any(proc.pid == p.pid for p in found):
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


def kill_all(prefix: str) -> None:
    """End every process whose marker starts with `prefix`, at once."""
    for _ in range(3):
        procs = find(prefix)
        if not procs:
            return
        kill(procs)


def kill_everything() -> None:
    """End every process this run started; used on interruption and at exit."""
    cancelled.set()
    kill_all(RUN_ID)


def alive(proc: psutil.Process) -> bool:
    """Running and not a zombie waiting to be reaped."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
