"""The project of one variant, as copier makes it: generated (from the template, its cache, or
the older template for `--upgrade-from`), checked for expressions left unrendered, and later
updated by `copier update`. A failed task, render or update is the template's FAIL."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from scaffolder.errors import RenderError, TaskFailed
from scaffolder.history import BASE_TAG, HEAD_TAG
from scaffolder.markers import SPEC_FILE
from scaffolder.render import (
    leftover_markers,
    render_cached,
    render_project,
)
from scaffolder.upgrade import commit_project, update_project
from scaffolder.variants import Variant
from smoke_tests import home as homes
from smoke_tests import reaper
from smoke_tests.environment import base_variables
from smoke_tests.generator import run_generator
from smoke_tests.result import Phase, fail
from smoke_tests.run_context import RunContext
from smoke_tests.run_options import RunOptions
from smoke_tests.spec import SmokeSpec


def generate(
    options: RunOptions, variant: Variant, spec: SmokeSpec, log: Path, fresh: homes.Fresh
) -> Path:
    """Render the variant's project (a failed `_tasks` command is a FAIL with its last output
    lines), then check it for Copier expressions left unrendered."""
    dest = options.workdir / variant.id / "project"
    try:
        _render(options, variant, spec, dest, log, fresh)
    except TaskFailed as exc:
        note(log, f"generate: {exc}")
        raise fail(Phase.GENERATE, str(exc), exc.output) from None
    except RenderError as exc:
        note(log, f"generate: {exc}")
        raise fail(Phase.GENERATE, str(exc)) from None
    if (dest / SPEC_FILE).is_file():
        _warn_once(
            options, SPEC_FILE,
            f"freshboot: warning: the template's {SPEC_FILE} lands in every generated project; "
            f"add it to _exclude in copier.yml (or keep the project in a _subdirectory)",
        )  # fmt: skip
    model = options.template_model
    if spec.generate.markers and model.kind != "command":
        leftovers = leftover_markers(dest, model, (*spec.generate.ignore, *model.verbatim))
        if leftovers:
            what, hint = _MARKERS[model.kind]
            note(log, f"generate: unrendered {what} expressions:\n" + "\n".join(leftovers))
            raise fail(
                Phase.GENERATE,
                f"unrendered {what} expressions in {len(leftovers)} file(s) ({hint}): "
                f"{leftovers[0]}",
                tuple(leftovers[:10]),
            )
    return dest


# What a leftover expression is called, and its likely cause, per kind of template.
_MARKERS = {
    "copier": ("Copier", "a missing .jinja suffix?"),
    "cookiecutter": ("cookiecutter", "inside {% raw %} or _copy_without_render by mistake?"),
}


def _render(
    options: RunOptions, variant: Variant, spec: SmokeSpec, dest: Path, log: Path,
    fresh: homes.Fresh,
) -> None:  # fmt: skip
    """From the older template (--upgrade-from), afresh (trusted code may do anything, so its
    output is not reused), or through the render cache."""
    if options.template_model.kind == "command":
        context = RunContext.of(variant, options.template_model)
        store = options.cache or options.workdir
        run_generator(spec, context, options.template, store, dest, log, fresh)
        return
    skip_tasks = options.skip_tasks or spec.skip_tasks
    # A template's tasks see what install commands see (uv on PATH, no Python downloads).
    env = reaper.marked(base_variables(dest / ".venv", fresh), reaper.new_tag("generate"))
    if options.upgrade is not None:
        render_project(
            options.upgrade.repo, variant.answers, dest, trust=options.trust,
            skip_tasks=skip_tasks, vcs_ref=BASE_TAG, log=log, env=env,
        )  # fmt: skip
        commit_project(dest, f"generated from the template at {options.upgrade.ref}")
    elif options.trust or options.cache is None:
        render_project(
            options.template, variant.answers, dest, trust=options.trust,
            skip_tasks=skip_tasks, log=log, env=env,
        )  # fmt: skip
    else:
        render_cached(
            options.template, variant.answers, dest, options.cache / "renders",
            skip_tasks=skip_tasks, log=log, env=env,
            note=lambda line: note(log, f"generate: {line}"),
        )  # fmt: skip


def update(
    project: Path, options: RunOptions, skip_tasks: bool, log: Path, fresh: homes.Fresh
) -> None:
    """Commit what the user has after a first day (as they must before updating), then
    `copier update` to the template under test; a failed or conflicting update is a FAIL.

    With tasks skipped, the cli checked both templates run no other code of their own."""
    assert options.upgrade is not None
    try:
        commit_project(project, "after the first day")
        trust = options.trust or skip_tasks
        env = reaper.marked(base_variables(project / ".venv", fresh), reaper.new_tag("upgrade"))
        conflicts = update_project(
            project, HEAD_TAG, trust=trust, skip_tasks=skip_tasks, log=log, env=env
        )
    except TaskFailed as exc:
        note(log, f"upgrade: {exc}")
        raise fail(Phase.UPGRADE, str(exc), exc.output) from None
    except RenderError as exc:
        raise fail(Phase.UPGRADE, str(exc)) from None
    if conflicts:
        raise fail(
            Phase.UPGRADE,
            f"copier update from {options.upgrade.ref} conflicts in {', '.join(conflicts)}",
        )


def note(log: Path, text: str) -> None:
    """A harness note in the variant's log."""
    with log.open("a", encoding="utf-8") as out:
        out.write(text.rstrip("\n") + "\n")


_WARN_LOCK = threading.Lock()


def _warn_once(options: RunOptions, key: str, message: str) -> None:
    """One line on stderr, once per run however many variants meet it."""
    with _WARN_LOCK:
        if key in options.warned:
            return
        options.warned.add(key)
    print(message, file=sys.stderr, flush=True)
