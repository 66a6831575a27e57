"""Dependency horizons: which versions of its dependencies a project is installed with.

`highest` is what a user installing today gets; `lowest-direct` puts each direct dependency
at its declared lower bound (what a user with older packages gets, and the test of those
bounds); `prerelease` allows pre-releases (what users get after the next releases). They are
uv's own resolver options, passed as its environment variables, so every `uv pip install` and
`uv sync` of the install commands honours them.

smoke.yaml `resolution: lowest-direct` sets it for every variant; a list is an implicit axis
named `resolution` (as a `python:` list is), and an axis value may carry `resolution:`. On the
command line, `--resolution` and `--python` (comma-separated) replace smoke.yaml's keys.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from smoke_tests.spec_checks import Where

RESOLUTION_AXIS = "resolution"
HORIZONS: Mapping[str, Mapping[str, str]] = {
    "highest": {},  # uv's default: today's behaviour
    "lowest-direct": {"UV_RESOLUTION": "lowest-direct"},
    "prerelease": {"UV_PRERELEASE": "allow"},
}


def check(at: Where, value: Any, where: str) -> str:
    """One horizon name, or a `file:line: key: what` error listing them."""
    if value not in HORIZONS:
        raise at.bad(where, f"expected one of {', '.join(HORIZONS)}, got {value!r}")
    return str(value)


def variables(horizon: str | None) -> dict[str, str]:
    """uv's settings for a horizon (none for the default)."""
    return dict(HORIZONS.get(horizon or "highest", {}))


def implicit_axis(at: Where, top: Mapping[str, Any]) -> list[str]:
    """A `resolution:` list: the horizons in order, the values of an implicit axis (ids: a
    segment for every value but the first)."""
    given = at.list(top[RESOLUTION_AXIS], RESOLUTION_AXIS)
    values = [check(at, v, f"resolution[{i}]") for i, v in enumerate(given)]
    if not values or len(set(values)) < len(values):
        raise at.bad(RESOLUTION_AXIS, "expected distinct horizons, e.g. [highest, lowest-direct]")
    if RESOLUTION_AXIS in at.mapping(top.get("axes", {}), "axes"):
        raise at.bad("axes.resolution", "a resolution list already makes this axis; rename one")
    return values


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """smoke.yaml keys the command line replaces: `--python 3.12,3.13`, `--resolution ...`."""
    found: dict[str, Any] = {}
    for key in ("python", RESOLUTION_AXIS):
        given = getattr(args, key, None)
        if given:
            found[key] = given if len(given) > 1 else given[0]
    return found


def repro_words(args: argparse.Namespace) -> tuple[str, ...]:
    """The --python/--resolution options as given, for a variant's repro command line."""
    words: list[str] = []
    for key in ("python", RESOLUTION_AXIS):
        if getattr(args, key, None):
            words += [f"--{key}", ",".join(getattr(args, key))]
    return tuple(words)


def comma_list(text: str) -> list[str]:
    """An argparse type: `3.12,3.13` as ["3.12", "3.13"] (empty items refused)."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def python_list(text: str) -> list[str]:
    """An argparse type for --python: versions or ranges (3.12, >=3.12) or absolute paths."""
    from smoke_tests.interpreters import check_request
    from smoke_tests.versions import ConstraintError

    items = comma_list(text)
    for item in items:
        try:
            check_request(item)
        except ConstraintError as exc:
            raise argparse.ArgumentTypeError(f"{item!r}: {exc}") from None
    return items


def horizon_list(text: str) -> list[str]:
    """An argparse type for --resolution: known horizons only."""
    items = comma_list(text)
    for item in items:
        if item not in HORIZONS:
            raise argparse.ArgumentTypeError(f"unknown horizon {item!r}; use {', '.join(HORIZONS)}")
    return items
