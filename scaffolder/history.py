"""A template at another point of its git history: to render a variant as it was at a tag or
commit, and to give copier a repository in which it can update a project from then to now."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffolder.errors import HistoryError

BASE_TAG = "freshboot-base"
HEAD_TAG = "freshboot-head"
_IDENTITY = ("-c", "user.name=freshboot", "-c", "user.email=freshboot@localhost")


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *_IDENTITY, *args], cwd=cwd, capture_output=True, check=False)


@contextmanager
def template_at(template: Path, ref: str) -> Iterator[Path]:
    """The template folder as it was at `ref`, extracted to a temporary folder.

    Works for a template that is a whole repository and for one in a subfolder of one.
    """
    top = _git("rev-parse", "--show-toplevel", cwd=template)
    if top.returncode != 0:
        raise HistoryError(f"{template} is not in a git repository; a ref like {ref!r} needs one")
    root = Path(top.stdout.decode().strip())
    inside = template.resolve().relative_to(root.resolve()).as_posix()
    if _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=root).returncode != 0:
        raise HistoryError(f"no commit or tag {ref!r} in {root}; 'git tag' lists the tags")
    archive = _git("archive", "--format=tar", ref, "--", inside if inside != "." else ".", cwd=root)
    if archive.returncode != 0:
        raise HistoryError(f"the template folder {inside!r} does not exist at {ref!r}")
    with tempfile.TemporaryDirectory(prefix="freshboot-ref-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder, inside)


@contextmanager
def upgrade_repository(old: Path, new: Path) -> Iterator[Path]:
    """A throwaway git repository holding `old` tagged BASE_TAG and `new` tagged HEAD_TAG, so
    that copier can generate from the one and `copier update` to the other."""
    with tempfile.TemporaryDirectory(prefix="freshboot-upgrade-") as folder:
        repo = Path(folder)
        _checked(_git("init", "-q", cwd=repo))
        for source, tag in ((old, BASE_TAG), (new, HEAD_TAG)):
            _replace_tree(repo, source)
            # Rebuild the index: a file of the same size rewritten within the same second can
            # look unchanged to git's stat cache, and the update would silently do nothing.
            (repo / ".git" / "index").unlink(missing_ok=True)
            _checked(_git("add", "-A", cwd=repo))
            _checked(_git("commit", "-q", "--allow-empty", "-m", tag, cwd=repo))
            _checked(_git("tag", tag, cwd=repo))
        yield repo


def _replace_tree(repo: Path, source: Path) -> None:
    for child in repo.iterdir():
        if child.name == ".git":
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    with tarfile.open(fileobj=io.BytesIO(_tar(source))) as tar:
        tar.extractall(repo, filter="data")


def _tar(source: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for child in sorted(source.iterdir()):
            if child.name != ".git":
                tar.add(child, arcname=child.name)
    return buffer.getvalue()


def _checked(done: subprocess.CompletedProcess[bytes]) -> None:
    if done.returncode != 0:
        raise HistoryError(f"git failed: {done.stderr.decode(errors='replace').strip()}")
