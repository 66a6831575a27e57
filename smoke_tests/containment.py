"""Every process a variant starts stays where freshboot can find it, whatever it does.

Where the machine allows it (a writable cgroup v2, as root in CI and in containers), the run is
a cgroup `freshboot-<run id>-<pid>` under freshboot's own, each variant a folder in it and each
started process (app, service, install step) a folder in its variant's. A child moves into its
folder between fork and exec, so all it starts is born there: setsid, a double fork or a
scrubbed environment (`env -i sh -c 'nohup helper &'`) do not take a process out. An app's
folder is what survives its stop; a variant's folder is emptied when the variant ends (with -j 2
each variant has its own, so nothing is attributed to the wrong one).

Elsewhere (no cgroup v2, or FRESHBOOT_CONTAINMENT=subreaper) freshboot registers as a child
subreaper: an orphan is re-parented to freshboot instead of init, and is found among its
children on top of the process tree and the marker; the run says once that this is weaker.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from smoke_tests import cgroups, orphans
from smoke_tests.run_id import RUN_ID

VARIABLE = "FRESHBOOT_CONTAINMENT"  # "subreaper": no cgroup even where one could be made
_PR_SET_CHILD_SUBREAPER = 36


@dataclass
class _State:
    decided: bool = False
    root: Path | None = None  # the run's cgroup, when containment is by cgroup
    weaker: str = ""  # why it is not, said once
    warned: bool = False


_state = _State()
_lock = threading.Lock()


class _Local(threading.local):
    folder: Path | None = None  # the variant's cgroup folder, for this thread's spawns
    scope: str = "-"


_local = _Local()


def mode() -> str:
    """`cgroup` or `subreaper`, decided on first use (once per run)."""
    _decide()
    return "cgroup" if _state.root is not None else "subreaper"


def _decide() -> None:
    with _lock:
        if _state.decided:
            return
        _state.decided = True
        try:
            _state.root = _make_root()
        except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
            _state.weaker = f"no writable cgroup v2 ({_one_line(exc)})"
    atexit.register(finish)
    if _state.root is None:
        _become_subreaper()


def _make_root() -> Path:
    if os.environ.get(VARIABLE, "auto") == "subreaper":
        raise OSError(f"{VARIABLE}=subreaper")
    own = cgroups.own_folder()
    _remove_dead(own)
    root = cgroups.make(own / f"freshboot-{RUN_ID}-{os.getpid()}")
    try:  # a folder may be made where a process may not be moved: check once, with `true`
        subprocess.run(
            [shutil.which("true") or "/bin/true"], check=True, stdin=subprocess.DEVNULL,
            preexec_fn=lambda: cgroups.join_or_raise(str(root)),
        )  # fmt: skip
    except BaseException:
        cgroups.remove(root)
        raise
    return root


def _become_subreaper() -> None:
    """Orphans of what freshboot starts are re-parented to freshboot, not to init."""
    reason = _state.weaker
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        if prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
        how = "orphans are found as children of freshboot"
    except (OSError, AttributeError) as exc:
        how = f"nor a child subreaper ({_one_line(exc)})"
    _state.weaker = f"{reason}; {how}"
    orphans.active = True


def warning() -> str | None:
    """The one line that says containment is weaker here, the first time it is asked."""
    _decide()
    with _lock:
        if _state.root is not None or _state.warned:
            return None
        _state.warned = True
    return (
        f"freshboot: note: containment is weaker here: {_state.weaker}; a process that leaves "
        "its tree and scrubs its environment is found only if it is re-parented to freshboot"
    )


@contextmanager
def variant(name: str) -> Iterator[Path | None]:
    """This thread's spawns belong to variant `name`; on leaving, whatever of it still runs is
    killed and its cgroup removed. Yields that cgroup (None without cgroups)."""
    line = warning()
    if line is not None:
        print(line, file=sys.stderr, flush=True)
    folder, began = None, time.time()
    if _state.root is not None:
        with contextlib.suppress(OSError):
            folder = cgroups.make(_state.root / _safe(name))
    _local.folder, _local.scope = folder, name
    try:
        yield folder
    finally:
        _local.folder, _local.scope = None, "-"
        if folder is not None:
            cgroups.remove(folder)
        if _state.root is None and _state.decided:
            orphans.kill(orphans.adopted(name, began))


def current() -> str | None:
    """This thread's variant folder, as a string for a forked child's `join` (or None)."""
    folder = _local.folder
    return str(folder) if folder is not None else None


def scope_name() -> str:
    """The variant this thread runs ("-" outside one)."""
    return _local.scope


def cell(kind: str) -> Path | None:
    """A new folder for one started process in this thread's variant (None without cgroups)."""
    parent = _local.folder
    if parent is None:
        return None
    try:
        return cgroups.make(parent / f"{kind}-{uuid.uuid4().hex[:8]}")
    except OSError:
        return None


def members(folder: Path | None) -> list[psutil.Process]:
    """The live processes in a folder and under it."""
    if folder is None:
        return []
    found = []
    for pid in cgroups.pids(folder):
        with contextlib.suppress(psutil.Error):
            found.append(psutil.Process(pid))
    return found


def members_for(prefix: str) -> list[psutil.Process]:
    """The processes in the cgroup of what a reaper prefix names: `<run id>` (a whole run,
    this one or a dead one's) or `<run id>:<variant>:` (one variant of this run); none for
    the tag of one started thing (its executor reads its own folder)."""
    parts = prefix.split(":")
    base = _runs_folder()
    if base is None or not parts[0] or len(parts) > 3 or (len(parts) == 3 and parts[2]):
        return []
    found = []
    for folder in base.glob(f"freshboot-{parts[0]}-*"):
        found += members(folder / _safe(parts[1]) if len(parts) > 1 and parts[1] else folder)
    return found


def _runs_folder() -> Path | None:
    if _state.root is not None:
        return _state.root.parent
    try:
        return cgroups.own_folder()
    except OSError:
        return None


def remove_run(run_id: str) -> None:
    """Remove a (dead) run's cgroup, killing what is left in it."""
    base = _runs_folder()
    if base is not None and re.fullmatch(r"[0-9a-f]+", run_id):
        for folder in base.glob(f"freshboot-{run_id}-*"):
            cgroups.remove(folder)


def _remove_dead(own: Path) -> None:
    """Remove the cgroups of runs whose process is gone (a killed run whose record another
    run swept, or which kept none); what is left in them was theirs."""
    for folder in own.glob("freshboot-*-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            cgroups.remove(folder)


def finish() -> None:
    """At exit: nothing of the run is left, and its cgroup goes. Without cgroups, orphans no
    variant could be blamed for (-j 2) are killed and named here."""
    if _state.root is not None:
        cgroups.remove(_state.root)
    else:
        orphans.finish()


def track(pid: int) -> None:
    """Remember a process freshboot started in this thread's variant (for orphans)."""
    orphans.track(pid, _local.scope)


def _safe(name: str) -> str:
    """A variant id as a cgroup folder name (no slash, no newline, not a core file's name)."""
    return "v-" + re.sub(r"[^A-Za-z0-9_.=+-]", "_", name)[:200]


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
