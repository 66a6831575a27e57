"""Which variants a change to the template cannot have affected: those whose rendered project
is byte-identical before and after it (and whose smoke.yaml did not change either)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from scaffolder.errors import RenderError
from scaffolder.render import ANSWERS_FILE, render_project
from scaffolder.variants import Variant


def tree_hash(root: Path, ignore: Sequence[str] = (ANSWERS_FILE,)) -> str:
    """A hash of every file's path and bytes under `root` (symlinks by target), except
    `ignore` (copier's answers file records where and when it rendered, not what)."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if relative in ignore:
                continue
            content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            digest.update(relative.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


Make = Callable[[Path, Variant, Path], Path]  # template folder, variant, dest: the project


def _render(template: Path, variant: Variant, dest: Path) -> Path:
    return render_project(template, variant.answers, dest)


def unchanged_variants(
    now: Path, then: Path, variants: Sequence[Variant], make: Make = _render
) -> set[str]:
    """Ids of the variants that `make` (by default: copier or cookiecutter, without running
    the template's own code) makes byte-identically from `then` and `now`."""
    if _read(now / "smoke.yaml") != _read(then / "smoke.yaml"):
        return set()
    same = set()
    with tempfile.TemporaryDirectory(prefix="freshboot-changes-") as folder:
        for variant in variants:
            try:
                after = make(now, variant, Path(folder, variant.id, "now"))
                before = make(then, variant, Path(folder, variant.id, "then"))
            except RenderError:
                continue  # it does not even render the same way: it changed
            if tree_hash(after) == tree_hash(before):
                same.add(variant.id)
    return same


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None
