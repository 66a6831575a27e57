"""Updating a generated project to a newer template with `copier update`, the way a user
keeps a project current: the project under git, committed, then updated in place."""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Mapping
from pathlib import Path

from scaffolder.child import COPIER_LOCK, copier_in_child, raise_for
from scaffolder.copy_child import describe
from scaffolder.errors import RenderError
from scaffolder.render import one_line

_IDENTITY = ("-c", "user.name=freshboot", "-c", "user.email=freshboot@localhost")
_CONFLICT = "<<<<<<< "
# What the harness itself puts in a project; a user's own venv is theirs to ignore.
_HARNESS_FILES = (".venv/",)


def commit_project(project: Path, message: str) -> None:
    """Put the project under git (once) and commit everything git does not ignore."""
    if not (project / ".git").exists():
        _git(project, "init", "-q")
        exclude = project / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        exclude.write_text("\n".join(_HARNESS_FILES) + "\n", encoding="utf-8")
    # A fresh index: git's stat cache can miss a same-size rewrite within the same second.
    (project / ".git" / "index").unlink(missing_ok=True)
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "--allow-empty", "-m", message)


def untracked_changes(project: Path) -> list[str]:
    """Files that changed or appeared since the last commit and that git does not ignore."""
    status = _git(project, "status", "--porcelain", "--untracked-files=all")
    return [line[3:] for line in status.splitlines() if line.strip()]


def update_project(
    project: Path,
    vcs_ref: str,
    *,
    trust: bool = False,
    skip_tasks: bool = False,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """`copier update` the project to the template at `vcs_ref`; the files it left with
    conflict markers (none when the update applied cleanly). copier counts the old template's
    `_tasks` as unsafe even when skipped, so the caller checks both templates and trusts.
    With a `log`, the update happens in a child process, which --timeout and Ctrl-C can stop
    (see render_project)."""
    import copier
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError
    from jinja2 import TemplateError

    if log is not None:
        request = {"operation": "update", "dest": str(project), "vcs_ref": vcs_ref,
                   "unsafe": trust, "skip_tasks": skip_tasks}  # fmt: skip
        shown = "copier update --trust" if trust else "copier update"
        outcome = copier_in_child(request, f"{shown} {project}", log, env)
        raise_for(outcome, "copier update", "copier update failed")
        return [name for name in untracked_changes(project) if _has_conflict(project / name)]
    try:
        with COPIER_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore", DirtyLocalWarning)
            copier.run_update(
                project, vcs_ref=vcs_ref, defaults=True, overwrite=True, skip_answered=True,
                conflict="inline", unsafe=trust, skip_tasks=skip_tasks, quiet=True,
            )  # fmt: skip
    except UnsafeTemplateError as exc:
        raise RenderError(f"copier update: {one_line(exc)}; pass --trust if you trust it") from None
    except (CopierError, ValueError, subprocess.CalledProcessError, TemplateError) as exc:
        raise RenderError(f"copier update failed: {describe(exc, None)}") from None
    return [name for name in untracked_changes(project) if _has_conflict(project / name)]


def _has_conflict(path: Path) -> bool:
    try:
        return any(
            line.startswith(_CONFLICT) for line in path.read_text(encoding="utf-8").splitlines()
        )
    except (OSError, UnicodeDecodeError):
        return False


def _git(project: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *_IDENTITY, *args], cwd=project, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RenderError(f"git {args[0]} failed in {project}: {done.stderr.strip()}")
    return done.stdout
