"""Turning a template and answers into a fresh project directory, through copier's own API."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import warnings
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scaffolder.cache import cache_root, reuse, store

ANSWERS_FILE = ".copier-answers.yml"
_MARKERS = ("{{", "{%")
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}
# copier (through plumbum) changes the process's working directory while it clones a git
# template, so two renders in parallel threads must not overlap.
COPIER_LOCK = threading.Lock()


class RenderError(Exception):
    """Copier refused or failed; the message says why in one line."""


def render_key(template: Path, answers: Mapping[str, Any]) -> str:
    """A hash of everything a render depends on: every file of the template as it is on disk
    (so uncommitted changes count), the answers, and copier's version."""
    digest = hashlib.sha256()
    digest.update(str(template.resolve()).encode())  # copier records it in the answers file
    digest.update(json.dumps(dict(answers), sort_keys=True, default=str).encode())
    digest.update(version("copier").encode())
    for path in sorted(_files(template, skip={".git"})):
        digest.update(b"\0" + str(path.relative_to(template)).encode() + b"\0")
        digest.update(path.read_bytes() if not path.is_symlink() else os.readlink(path).encode())
    return digest.hexdigest()[:32]


def render_cached(
    template: Path, answers: Mapping[str, Any], dest: Path, cache: Path | None = None
) -> Path:
    """`render_project`, reusing an earlier render of the same template state and answers.

    Templates that need trust are never cached: their tasks must run every time.
    """
    entry = (cache or cache_root() / "renders") / render_key(template, answers)
    if not reuse(entry):
        store(entry, lambda folder: render_project(template, answers, folder))
    shutil.copytree(entry, dest, symlinks=True, dirs_exist_ok=True)
    return dest


def render_project(
    template: Path,
    answers: Mapping[str, Any],
    dest: Path,
    *,
    trust: bool = False,
    vcs_ref: str = "HEAD",
) -> Path:
    """Generate a project into `dest` (which must not exist or be empty).

    A template that is a git repository is rendered from its working tree (HEAD plus
    uncommitted changes), not its latest tag: a release gate tests what is about to ship.
    Tasks, migrations and Jinja extensions run only with `trust`.
    """
    import copier  # imported here: about 0.4 s that only rendering needs
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError

    try:
        with COPIER_LOCK, warnings.catch_warnings():
            warnings.simplefilter(
                "ignore", DirtyLocalWarning
            )  # testing the working tree is the point
            copier.run_copy(
                str(template), dest, data=dict(answers), vcs_ref=vcs_ref, defaults=True,
                unsafe=trust, quiet=True, cleanup_on_error=True,
            )  # fmt: skip
    except UnsafeTemplateError as exc:
        raise RenderError(f"{template}: {one_line(exc)}; pass --trust if you trust it") from None
    except (CopierError, ValueError) as exc:
        raise RenderError(f"copier could not render {template}: {one_line(exc)}") from None
    return dest


def leftover_markers(project: Path) -> list[str]:
    """Files that still hold unrendered Jinja markers, as `path:line: text`."""
    found = []
    for path in _files(project, _SKIP_DIRS):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, 1):
            if any(m in line for m in _MARKERS):
                found.append(f"{path.relative_to(project)}:{number}: {line.strip()[:120]}")
                break
    return found


def _files(root: Path, skip: set[str]) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            yield Path(folder, name)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
