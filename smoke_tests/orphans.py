"""Without cgroups: freshboot is a child subreaper, so an orphan of what it started is
re-parented to freshboot rather than to init, and found among its children. A scrubbed orphan
carries no marker: it is attributed to the variant whose process leads its session (a helper
started with `nohup ... &` stays in the app's session), or else to the variant that was running
when it was born; one born while two variants were running (-j 2) after leaving its session
(setsid) cannot be attributed, and is killed at the end of the run instead, named there.

Only the exit status of such orphans is ever collected here (`reap`): a process freshboot
started itself is waited for by its own waiter, which needs its status.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time

import psutil

from smoke_tests.run_id import MARKER

active = False  # set when freshboot became a subreaper (containment decides)
_TOLERANCE = 0.05  # seconds: create times are rounded to clock ticks
_NEWBORN = 0.3  # seconds: a spawn between fork and exec still has freshboot's environment
_lock = threading.Lock()
_spawned: dict[int, tuple[str, float, float | None]] = {}  # pid: (variant, start, end)
_adopted: set[int] = set()  # orphans seen, reaped once they end


def track(pid: int, scope: str) -> None:
    """Remember a process freshboot started for variant `scope`."""
    with _lock:
        _spawned[pid] = (scope, time.time(), None)


def ended(pid: int) -> None:
    """The process started as `pid` is over (its pid may be reused)."""
    with _lock:
        if pid in _spawned:
            scope, start, _ = _spawned[pid]
            _spawned[pid] = (scope, start, time.time())


def adopted(scope: str, since: float) -> list[psutil.Process]:
    """Orphans without a marker that belong to variant `scope`: still in the session of a
    process it started (`nohup helper &`), or else born after `since` while no other variant's
    process was running. (A marked orphan is found by its marker.)"""
    if not active:
        return []
    found = []
    for child, born in _orphans():
        with contextlib.suppress(OSError):
            owner = _owner(os.getsid(child.pid), born)
            if owner == scope or (
                owner is None and born >= since - _TOLERANCE and not _others_running(scope, born)
            ):
                found.append(child)
    return found


def _owner(session: int, born: float) -> str | None:
    """The variant whose process leads `session`, if it was running when `born`."""
    with _lock:
        entry = _spawned.get(session)
    if entry is None or not entry[1] - _TOLERANCE <= born <= (entry[2] or time.time()):
        return None
    return entry[0]


def _orphans() -> list[tuple[psutil.Process, float]]:
    """Live children of freshboot it did not start, without a marker: not tracked, in a
    process group of their own (what freshboot runs and waits for shares its group), and not
    newborn."""
    group, now = os.getpgid(0), time.time()
    found = []
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children():
            try:
                born = child.create_time()
                if _started_here(child.pid, born) or os.getpgid(child.pid) == group:
                    continue
                if now - born < _NEWBORN or child.status() == psutil.STATUS_ZOMBIE:
                    continue
                if MARKER in child.environ():
                    continue
            except (psutil.Error, OSError):
                continue
            _adopted.add(child.pid)
            found.append((child, born))
    return found


def _started_here(pid: int, born: float) -> bool:
    with _lock:
        entry = _spawned.get(pid)
    return entry is not None and abs(entry[1] - born) < 1.0


def _others_running(scope: str, when: float) -> bool:
    with _lock:
        return any(
            s != scope and start - _TOLERANCE <= when <= (end or time.time()) + _TOLERANCE
            for s, start, end in _spawned.values()
        )


def reap() -> None:
    """Collect the exit status of adopted orphans that ended."""
    for pid in list(_adopted):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _adopted.discard(pid)


def kill(procs: list[psutil.Process]) -> None:
    """SIGKILL orphans and collect their status."""
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(procs, timeout=2.0)
    reap()


def finish() -> None:
    """At exit: kill the orphans no variant could be blamed for, naming each."""
    if not active:
        return
    left = [child for child, _born in _orphans()]
    for child in left:
        print(f"freshboot: killed {describe(child)}, left by the run and not attributable "
              "to one variant", file=sys.stderr, flush=True)  # fmt: skip
    kill(left)


def describe(proc: psutil.Process) -> str:
    """`pid 123 (cmd args)` on one line: control characters (a newline in an argument) are
    shown escaped, and a long command is cut."""
    try:
        cmd = " ".join(proc.cmdline()) or proc.name()
    except psutil.Error:
        cmd = "?"
    cmd = re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m[0])[1:-1], cmd)
    return f"pid {proc.pid} ({cmd[:80]})"
