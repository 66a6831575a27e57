"""A full or failing `--out` folder (disk full, quota, read-only, I/O error) is the machine's
fault: the variants that could not write their log are ERROR naming `--out` and the error,
never an "internal error" with a traceback, and the run ends with one line and exit status 3.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

# What a folder that was writable at the start can run into while a run writes to it.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}
_PROBE = 64 * 1024  # bytes: an ordinary log's worth

_lock = threading.Lock()
_first: list[str] = []  # the run's first such failure, as told


def is_out_error(exc: OSError, out: Path) -> bool:
    """Whether `exc` is `out` failing: an error a full or failing folder gives, about a file in
    `out` (or no file named: a failed write), while `out` cannot take a small write now."""
    if exc.errno not in _FULL:
        return False
    if exc.filename is not None and not Path(os.fsdecode(exc.filename)).is_relative_to(out):
        return False
    return not _writable(out)


def _writable(out: Path) -> bool:
    probe = out / f".freshboot-space-check-{os.getpid()}-{threading.get_ident()}"
    try:
        with probe.open("wb") as file:
            file.write(b"\0" * _PROBE)
        return True
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)


def reason(exc: OSError, out: Path) -> str:
    """The variant's reason, remembered as the run's if it is the first."""
    told = f"cannot write --out {out}: {exc.strerror or exc}"
    with _lock:
        if not _first:
            _first.append(told)
    return told


def failure() -> str | None:
    """The run's first --out failure, if any."""
    with _lock:
        return _first[0] if _first else None
