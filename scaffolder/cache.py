"""Content-keyed folders kept between runs (renders, environments).

Entries are keyed by a hash of everything that produced them, so reuse is never a correctness
risk; an entry appears whole or not at all (built aside, then renamed into place).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_root() -> Path:
    """`$FRESHBOOT_CACHE`, else `$XDG_CACHE_HOME/freshboot`, else `~/.cache/freshboot`."""
    if configured := os.environ.get("FRESHBOOT_CACHE"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "freshboot"


def store(entry: Path, build: Callable[[Path], object]) -> None:
    """Make `entry` by calling `build(folder)` on a fresh folder beside it, then renaming it in.

    When another run stored the same entry first, theirs is kept: it is as good.
    """
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=entry.parent))
    try:
        build(staging / "entry")
        with contextlib.suppress(OSError):
            (staging / "entry").rename(entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def link_tree(source: Path, dest: Path) -> None:
    """Copy a folder as hard links (instant, no extra space); copy the bytes across devices.

    Safe for trees whose files are replaced rather than rewritten in place, as installers and
    Python's bytecode writer do.
    """
    try:
        shutil.copytree(source, dest, symlinks=True, copy_function=os.link, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        if isinstance(exc, OSError) and exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)
