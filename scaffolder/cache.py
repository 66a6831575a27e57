"""Content-keyed folders kept between runs (renders, environments, PostgreSQL clusters).

Entries are keyed by a hash of everything that produced them, so reuse is never a correctness
risk; an entry appears whole or not at all (built aside, then renamed into place). Each use
stamps the entry's modification time, so `prune` can drop what no run has used for a while.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def cache_root() -> Path:
    """`$FRESHBOOT_CACHE`, else `$XDG_CACHE_HOME/freshboot`, else `~/.cache/freshboot`."""
    if configured := os.environ.get("FRESHBOOT_CACHE"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "freshboot"


def reuse(entry: Path) -> bool:
    """Whether `entry` is stored; if so, marks it used now, which keeps it from `prune`."""
    try:
        os.utime(entry)
    except OSError:
        return False
    return entry.is_dir()


def store(entry: Path, build: Callable[[Path], object]) -> None:
    """Make `entry` by calling `build(folder)` on a fresh folder beside it, then renaming it in.

    When another run stored the same entry first, theirs is kept: it is as good.
    """
    entry.parent.mkdir(parents=True, exist_ok=True)
    # Named after this process: a later run removes those of a killed run (smoke_tests.sweep).
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=entry.parent))
    try:
        build(staging / "entry")
        with contextlib.suppress(OSError):
            (staging / "entry").rename(entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def link_tree(source: Path, dest: Path) -> None:
    """Copy a folder as hard links (instant, no extra space); a file that cannot be linked
    (another device, a filesystem without links, too many links) has its bytes copied.

    Safe for trees whose files are replaced rather than rewritten in place, as installers and
    Python's bytecode writer do. `dest` should not exist: a file already there is an error.
    """
    shutil.copytree(source, dest, symlinks=True, copy_function=_link_or_copy, dirs_exist_ok=True)


def _link_or_copy(source: str, dest: str) -> None:
    # Per file: copytree gathers its files' errors into one shutil.Error, without errno.
    try:
        os.link(source, dest)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, dest)


def write_manifest(tree: Path, manifest: Path) -> None:
    """Record every regular file of `tree` (size, modification time) in `manifest`.

    Hard-linked entries share their files with the folders made from them: a write in place in
    one of those (an app patching its venv) changes the entry. `changed` finds that, cheaply."""
    manifest.write_text(json.dumps(stamps(tree)), encoding="utf-8")


def changed(tree: Path, manifest: Path) -> str | None:
    """The first file of `tree` that differs from `manifest` (or why it cannot be checked);
    None when every file is as recorded."""
    try:
        recorded: dict[str, list[int]] = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no manifest"
    now = stamps(tree)
    for name in sorted(recorded.keys() | now.keys()):
        if recorded.get(name) != now.get(name):
            return name
    return None


def stamps(tree: Path, skip: frozenset[str] = frozenset()) -> dict[str, list[int]]:
    """relative path -> [size, mtime_ns] of every regular file under `tree` (one lstat each),
    not looking into folders named in `skip`."""
    found: dict[str, list[int]] = {}
    pending = [""]
    while pending:
        relative = pending.pop()
        with (
            contextlib.suppress(FileNotFoundError, NotADirectoryError),
            os.scandir(os.path.join(tree, relative)) as listing,
        ):
            for item in listing:
                name = f"{relative}/{item.name}" if relative else item.name
                if item.is_dir(follow_symlinks=False):
                    if item.name not in skip:
                        pending.append(name)
                elif item.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        st = item.stat(follow_symlinks=False)
                        found[name] = [st.st_size, st.st_mtime_ns]
    return found


KINDS = ("renders", "envs", "postgres", "generators")  # the cache's folders; nothing else is ours


@dataclass(frozen=True)
class Removal:
    """What removing some entries does (or did): how many, and the disk space it frees."""

    entries: int
    freed: int  # bytes no remaining link holds (venvs share files with uv's cache)


def entries(root: Path, unused_for: float = 0.0, now: float | None = None) -> list[Path]:
    """The cache's entries, with staging folders left by killed runs; with `unused_for`, only
    those not used for that many seconds."""
    limit = (time.time() if now is None else now) - unused_for
    found = []
    for kind in KINDS:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for entry in (root / kind).iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if (
                        entry.is_dir()
                        and not entry.is_symlink()
                        and (not unused_for or entry.stat().st_mtime < limit)
                    ):
                        found.append(entry)
    return sorted(found)


def removal(chosen: list[Path]) -> Removal:
    """What removing `chosen` would free: a file counts only when every link to it is inside."""
    seen: dict[tuple[int, int], int] = {}
    sizes: dict[tuple[int, int], tuple[int, int]] = {}
    for entry in chosen:
        for top, dirs, files in os.walk(entry):
            for name in [*dirs, *files]:
                with contextlib.suppress(FileNotFoundError):
                    st = os.lstat(os.path.join(top, name))
                    key = (st.st_dev, st.st_ino)
                    seen[key] = seen.get(key, 0) + 1
                    sizes[key] = (st.st_nlink, st.st_blocks * 512)
    freed = sum(size for key, (links, size) in sizes.items() if seen[key] >= links)
    return Removal(len(chosen), freed)


def remove(chosen: list[Path]) -> None:
    """Rename each entry aside first, so no run sees one half-removed, then delete it."""
    for entry in chosen:
        trash = entry.with_name(f".trash-{entry.name}-{os.getpid()}")
        try:
            entry.rename(trash)
        except FileNotFoundError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
