"""``when`` in smoke.yaml: one evaluator, one meaning, at two moments.

A condition is a bare Jinja expression (``db == 'postgres'``) or a constant (true/false; none
given: true). It holds when ``{{ condition }}`` renders to text that copier's ``cast_to_bool``
reads as true, exactly as copier reads a question's ``when``: ``"false"``, ``"no"``, ``"0"``,
``""`` and an undefined name are false.

* **Matrix time** (``axes.<axis>.<value>.when``, while the variants are enumerated): the
  context is copier's own, the answers asked so far and the computed (``when: false``) values,
  in the template's Jinja (its ``_envops``, copier's filters; see
  :class:`scaffolder.copier_jinja.Renderer`).
* **Run time** (``services.<kind>.when``, ``setup[].when``, while one variant runs): the
  variant's context (:attr:`scaffolder.variants.Variant.context`, its answers and computed
  values) plus what exists only once it runs (``services.*``, ``port``, ``base_url``...), in a
  sandboxed Jinja with the default delimiters and copier's filters. Services are chosen before
  any of them starts, so a service's ``when`` sees the variant's context only.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, Template, Undefined
from jinja2.sandbox import SandboxedEnvironment

from scaffolder.copier_jinja import FILTERS, cast_to_bool
from scaffolder.matrix import When


class ConditionError(Exception):
    """A condition could not be evaluated (bad Jinja, a strict undefined name...)."""

    def __init__(self, condition: str, text: str, reason: Exception) -> None:
        super().__init__(f"cannot evaluate condition {condition!r}: {reason}")
        self.condition, self.text, self.reason = condition, text, reason


@cache
def run_time_env() -> Environment:
    """The Jinja of run-time conditions: a name the context lacks is undefined, hence false."""
    return SandboxedEnvironment(undefined=Undefined, autoescape=False, extensions=FILTERS)


@lru_cache(maxsize=1024)
def _compiled(env: Environment, text: str) -> Template:
    return env.from_string(text)


def holds(
    condition: When | None, context: Mapping[str, Any], env: Environment | None = None
) -> bool:
    """Whether ``condition`` holds in ``context``: at matrix time ``env`` is the template's
    (``Renderer.env``), at run time the default (:func:`run_time_env`)."""
    if condition is None or isinstance(condition, bool):
        return condition is not False
    env = env or run_time_env()
    text = f"{env.variable_start_string}{condition}{env.variable_end_string}"
    try:
        return cast_to_bool(_compiled(env, text).render(context))
    except Exception as error:  # whatever Jinja raises: the condition is what is wrong
        raise ConditionError(condition, text, error) from None
