"""cgroup v2 folders as process containers: what a process started inside one does (setsid, a
double fork, a scrubbed environment) never takes it out, so a folder lists exactly what a
variant's process left running, and one write ends all of it.

Only the cgroup v2 core files are used (cgroup.procs, cgroup.kill, cgroup.events): no controller
is enabled, so processes may sit in inner folders too, and nothing is limited or accounted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_MOUNTINFO = Path("/proc/self/mountinfo")
_OWN = Path("/proc/self/cgroup")
_EMPTY_WAIT = 2.0  # seconds a killed folder may take to empty before it is left to the sweep


def own_folder() -> Path:
    """The cgroup v2 folder this process sits in; OSError where there is none (no cgroup2
    mount, or a cgroup v1-only machine)."""
    mount, root = _mount()
    own = next((line[3:] for line in _OWN.read_text().splitlines() if line.startswith("0::")), None)
    if own is None:
        raise OSError("this process is in no cgroup v2 hierarchy")
    own = own.strip()
    if root != "/" and own.startswith(root):
        own = own[len(root) :]
    return mount / own.lstrip("/")


def _mount() -> tuple[Path, str]:
    """Where the cgroup2 filesystem is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
    hybrid machine), and which of its folders the mount shows as its root."""
    for line in _MOUNTINFO.read_text().splitlines():
        head, _, tail = line.partition(" - ")
        if tail.split(" ", 1)[0] == "cgroup2":
            fields = head.split(" ")
            return Path(fields[4]), fields[3]
    raise OSError("no cgroup2 filesystem is mounted")


def join(folder: str | None) -> None:
    """In a freshly forked child, before exec: move into `folder` (so what it starts is born
    there). Errors are ignored: raising here would fail the spawn, and the marker and the
    process tree still find the child."""
    if folder is None:
        return
    try:
        fd = os.open(folder + "/cgroup.procs", os.O_WRONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.write(fd, b"0")
    os.close(fd)


def join_or_raise(folder: str) -> None:
    """`join`, raising when the move fails (used once, to check a machine allows it)."""
    fd = os.open(folder + "/cgroup.procs", os.O_WRONLY)
    try:
        os.write(fd, b"0")
    finally:
        os.close(fd)


def pids(folder: Path) -> list[int]:
    """Every process in `folder` and the folders under it (zombies are already out)."""
    found: list[int] = []
    for top, _dirs, _files in os.walk(folder):
        with contextlib.suppress(OSError):
            found += [int(p) for p in Path(top, "cgroup.procs").read_text().split()]
    return found


def kill(folder: Path) -> None:
    """SIGKILL everything in `folder` and under it, at once where the kernel can (5.14+)."""
    try:
        Path(folder, "cgroup.kill").write_text("1")
        return
    except FileNotFoundError:
        if not folder.is_dir():
            return
    except OSError:
        pass
    for _ in range(5):  # without cgroup.kill: a fork bomb outruns one pass; a few do
        found = pids(folder)
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def populated(folder: Path) -> bool:
    """Whether a process still lives in `folder` or under it."""
    try:
        return "populated 1" in Path(folder, "cgroup.events").read_text()
    except OSError:
        return False


def remove(folder: Path) -> bool:
    """Kill what is in `folder`, wait for it to empty, and remove it and the folders under it;
    False if it would not empty in time (a process stuck in the kernel)."""
    if not folder.is_dir():
        return True
    kill(folder)
    deadline = time.monotonic() + _EMPTY_WAIT
    while populated(folder) and time.monotonic() < deadline:
        time.sleep(0.005)
    gone = True
    for top, _dirs, _files in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        try:
            os.rmdir(top)
        except OSError:
            gone = False
    return gone


def make(folder: Path) -> Path:
    """Create `folder` (its parent exists)."""
    folder.mkdir(exist_ok=True)
    return folder
