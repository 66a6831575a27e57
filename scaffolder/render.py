"""Turning a template and answers into a fresh project directory, through copier's own API."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import copier
from copier.errors import CopierError, UnsafeTemplateError

ANSWERS_FILE = ".copier-answers.yml"
_MARKERS = ("{{", "{%")
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}
# copier (through plumbum) changes the process's working directory while it clones a git
# template, so two renders in parallel threads must not overlap.
_COPIER_LOCK = threading.Lock()


class RenderError(Exception):
    """Copier refused or failed; the message says why in one line."""


def render_project(
    template: Path, answers: Mapping[str, Any], dest: Path, *, trust: bool = False
) -> Path:
    """Generate a project into `dest` (which must not exist or be empty).

    A template that is a git repository is rendered from its working tree (HEAD plus
    uncommitted changes), not its latest tag: a release gate tests what is about to ship.
    Tasks, migrations and Jinja extensions run only with `trust`.
    """
    try:
        with _COPIER_LOCK:
            copier.run_copy(
                str(template), dest, data=dict(answers), vcs_ref="HEAD", defaults=True,
                unsafe=trust, quiet=True, cleanup_on_error=True,
            )  # fmt: skip
    except UnsafeTemplateError as exc:
        raise RenderError(f"{template}: {_one_line(exc)}; pass --trust if you trust it") from None
    except (CopierError, ValueError) as exc:
        raise RenderError(f"copier could not render {template}: {_one_line(exc)}") from None
    return dest


def leftover_markers(project: Path) -> list[str]:
    """Files that still hold unrendered Jinja markers, as `path:line: text`."""
    found = []
    for path in _text_files(project):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, 1):
            if any(m in line for m in _MARKERS):
                found.append(f"{path.relative_to(project)}:{number}: {line.strip()[:120]}")
                break
    return found


def _text_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        for name in files:
            yield Path(folder, name)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
