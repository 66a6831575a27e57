"""Rendering smoke.yaml strings: Jinja over the variant's answers and the run's values."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import jinja2

from scaffolder import conditions
from smoke_tests.spec import Step
from smoke_tests.spec_checks import folder_problem


class TemplateError(Exception):
    """A smoke.yaml string could not be rendered; the message names it."""


@cache
def _strict() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


def render(text: str, context: Mapping[str, Any]) -> str:
    """Render one string; a name it uses that the context lacks is an error, not ''."""
    if "{" not in text:
        return text
    try:
        return _strict().from_string(text).render(context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"cannot render {text!r}: {exc}") from None


def render_all(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside a nested structure of lists, tuples and mappings."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, Mapping):
        return {k: render_all(v, context) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(render_all(v, context) for v in value)
    return value


def holds(condition: str | None, context: Mapping[str, Any]) -> bool:
    """Whether a run-time `when` (`worker_mode == 'BackgroundQueue'`) holds: the one evaluator
    of scaffolder.conditions, its failure a TemplateError naming the condition."""
    try:
        return conditions.holds(condition, context)
    except conditions.ConditionError as exc:
        raise TemplateError(str(exc)) from None


def render_steps(
    steps: Iterable[Step], context: Mapping[str, Any], workdir: str | None = None
) -> list[Step]:
    """Each step's command and folder rendered; a step that names no folder gets `workdir`.

    A rendered folder must still stay inside the project (checked at load time only for
    folders that were not templates)."""
    rendered = []
    for step in steps:
        cwd = step.cwd if step.cwd is not None else workdir
        if cwd is not None:
            folder = render(cwd, context)
            problem = folder_problem(folder)
            if problem is not None:
                raise TemplateError(f"folder {cwd!r}: {problem}")
            cwd = folder
        command = tuple(render(arg, context) for arg in step.command)
        rendered.append(dataclasses.replace(step, command=command, cwd=cwd))
    return rendered
