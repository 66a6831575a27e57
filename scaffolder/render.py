"""Turning a template and answers into a fresh project directory, through copier's own API."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scaffolder.bake import bake_project
from scaffolder.cache import cache_root, remove, reuse, store
from scaffolder.child import COPIER_LOCK, copier_in_child, raise_for
from scaffolder.copy_child import describe
from scaffolder.errors import RenderError
from scaffolder.model import TemplateModel, read_template, template_kind

ANSWERS_FILE = ".copier-answers.yml"
MAX_CACHED_RENDER = 200 * 1024 * 1024  # bytes; a bigger render goes to its project, not the cache


def render_key(template: Path, answers: Mapping[str, Any]) -> str:
    """A hash of everything a render depends on: every file of the template as it is on disk
    (so uncommitted changes count), the answers, and copier's version."""
    digest = hashlib.sha256()
    digest.update(str(template.resolve()).encode())  # copier records it in the answers file
    digest.update(json.dumps(dict(answers), sort_keys=True, default=str).encode())
    digest.update(f"{version('copier')} {version('cookiecutter')}".encode())
    for path in sorted(_files(template, skip={".git"})):
        digest.update(b"\0" + str(path.relative_to(template)).encode() + b"\0")
        digest.update(path.read_bytes() if not path.is_symlink() else os.readlink(path).encode())
    return digest.hexdigest()[:32]


def render_cached(
    template: Path,
    answers: Mapping[str, Any],
    dest: Path,
    cache: Path | None = None,
    *,
    skip_tasks: bool = False,
    note: Callable[[str], object] = lambda line: None,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """`render_project`, reusing an earlier render of the same template state and answers;
    a render above MAX_CACHED_RENDER bytes is not kept (`note` says so).

    Templates that need trust are never cached: their tasks must run every time. A template
    with `_tasks` comes here only with `skip_tasks`, so its cached renders never ran them.
    With a `log`, a render that is not in the cache runs in a child process (see render_project).
    """
    entry = (cache or cache_root() / "renders") / render_key(template, answers)
    fresh = not reuse(entry)
    if fresh:
        store(
            entry,
            lambda folder: render_project(
                template, answers, folder, skip_tasks=skip_tasks, log=log, env=env
            ),
        )
    shutil.copytree(entry, dest, symlinks=True, dirs_exist_ok=True)
    if fresh and (size := _tree_bytes(entry)) > MAX_CACHED_RENDER:
        remove([entry])  # one huge project would otherwise stay on disk for every later run
        note(f"render of {size} bytes not cached (the limit is {MAX_CACHED_RENDER} bytes)")
    return dest


def _tree_bytes(tree: Path) -> int:
    total = 0
    for top, _dirs, files in os.walk(tree):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(top, name)).st_size
    return total


def render_project(
    template: Path,
    answers: Mapping[str, Any],
    dest: Path,
    *,
    trust: bool = False,
    skip_tasks: bool = False,
    vcs_ref: str = "HEAD",
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    interactive: bool = False,
) -> Path:
    """Generate a project into `dest` (which must not exist or be empty).

    A template that is a git repository is rendered from its working tree (HEAD plus
    uncommitted changes), not its latest tag: a release gate tests what is about to ship.
    Tasks, migrations and Jinja extensions run only with `trust`; tasks not with `skip_tasks`.
    With a `log`, the render happens in a child process with environment `env` (default: this
    one's), its whole output (the tasks' too) appended to the log: a template's Jinja can loop
    for ever, and only a process can be stopped (by --timeout, Ctrl-C, SIGTERM) whatever it does.
    `interactive` asks the questions `answers` leaves open on the terminal, as `copier copy`.
    """
    kind = template_kind(template)
    if kind != "copier":
        bake_project(template, answers, dest, trust, skip_tasks, log, env, interactive)
    elif log is not None and not interactive:
        _render_in_child(template, answers, dest, trust, skip_tasks, vcs_ref, log, env)
    else:
        _render_here(template, answers, dest, trust, skip_tasks, vcs_ref, log, interactive)
    return dest


def _render_in_child(
    template: Path, answers: Mapping[str, Any], dest: Path, trust: bool, skip_tasks: bool,
    vcs_ref: str, log: Path, env: Mapping[str, str] | None,
) -> None:  # fmt: skip
    """copier copy in a child process that --timeout and signals can stop, output to `log`."""
    request = {"operation": "copy", "template": str(template), "dest": str(dest),
               "answers": dict(answers), "vcs_ref": vcs_ref, "unsafe": trust,
               "skip_tasks": skip_tasks}  # fmt: skip
    shown = "copier copy --trust" if trust else "copier copy"
    outcome = copier_in_child(request, f"{shown} {template} {dest}", log, env)
    raise_for(outcome, str(template), f"copier could not render {template}")


def _render_here(
    template: Path, answers: Mapping[str, Any], dest: Path, trust: bool, skip_tasks: bool,
    vcs_ref: str, log: Path | None, interactive: bool,
) -> None:  # fmt: skip
    """copier copy in this process (questions asked on the terminal when `interactive`);
    copier's warnings go to `log` when there is one, else to the terminal."""
    import copier  # imported here: about 0.4 s that only rendering needs
    from copier.errors import CopierError, DirtyLocalWarning, UnsafeTemplateError
    from jinja2 import TemplateError

    caught: list[warnings.WarningMessage] = []
    try:
        with COPIER_LOCK, warnings.catch_warnings(record=log is not None) as recorded:
            warnings.simplefilter(
                "ignore", DirtyLocalWarning
            )  # testing the working tree is the point
            caught = recorded or []  # copier's warnings go to the log, not the terminal
            copier.run_copy(
                str(template), dest, data=dict(answers), vcs_ref=vcs_ref, defaults=not interactive,
                unsafe=trust, skip_tasks=skip_tasks, quiet=True, cleanup_on_error=True,
            )  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C at a question (copier's CopierAnswersInterrupt)
        raise KeyboardInterrupt from None
    except UnsafeTemplateError as exc:
        raise RenderError(f"{template}: {one_line(exc)}; pass --trust if you trust it") from None
    except (CopierError, ValueError, TemplateError) as exc:
        raise RenderError(
            f"copier could not render {template}: {describe(exc, template)}"
        ) from None
    finally:
        if log is not None:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"$ copier copy {template} {dest}\n")
                out.writelines(f"copier: {w.category.__name__}: {w.message}\n" for w in caught)


def leftover_markers(
    project: Path, template: TemplateModel | Path, ignore: Sequence[str] = ()
) -> list[str]:
    """Files and names of `project` that still hold an unrendered expression of `template`,
    as `path:line: text` (see scaffolder.markers); other tools' braces are not counted. Pass
    the command's TemplateModel: a Path reads the template's copier.yml again."""
    from scaffolder.markers import MarkerScan

    model = read_template(template) if isinstance(template, Path) else template
    return MarkerScan(model).project(project, ignore)


def _files(root: Path, skip: set[str]) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            yield Path(folder, name)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
