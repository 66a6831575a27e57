"""A cookiecutter template's project, made as scaffolder.render makes a Copier one."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scaffolder.child import COPIER_LOCK, copier_in_child, raise_for
from scaffolder.copy_child import bake
from scaffolder.errors import RenderError, TaskFailed
from scaffolder.model import read_template


def bake_project(
    template: Path, answers: Mapping[str, Any], dest: Path, trust: bool, skip_tasks: bool,
    log: Path | None, env: Mapping[str, str] | None, interactive: bool,
) -> None:  # fmt: skip
    """cookiecutter, as `_render_in_child` and `_render_here` run copier (see copy_child.bake)."""
    model = read_template(template)
    if model.kind != "cookiecutter":
        raise RenderError(f"{template}: smoke.yaml's generate.command makes its projects")
    unsafe = model.unsafe_settings(skip_tasks)
    if unsafe and not trust:
        raise RenderError(f"{template} runs its own code ({', '.join(unsafe)}); pass --trust "
                          "if you trust it")  # fmt: skip
    request = {
        "operation": "cookiecutter",
        "template": str(template.resolve()),
        "dest": str(dest.resolve()),
        "answers": dict(answers),
        "skip_tasks": skip_tasks,
        "interactive": interactive,
    }
    if log is None or interactive:
        with COPIER_LOCK:  # cookiecutter changes the working directory to run hooks
            outcome = bake(request)
        if outcome["kind"] == "task":
            raise TaskFailed(outcome["command"], outcome["status"], [], outcome["what"])
    else:
        outcome = copier_in_child(request, f"cookiecutter --no-input {template}", log, env)
    raise_for(outcome, str(template), f"cookiecutter could not render {template}")
