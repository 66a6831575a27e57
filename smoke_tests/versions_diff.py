"""A version diff on every failure: when a variant FAILs and another with the same answers
PASSed in the same run under another dependency horizon or interpreter, the packages whose
versions differ are the first suspects, so the report names them.

Only horizon and interpreter axes may differ between the two (the implicit `python` and
`resolution` axes, and any axis whose values set nothing but `python:` or `resolution:`):
any other axis (a topology, an environment) is a different test, not a different install.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from packaging.utils import canonicalize_name

from smoke_tests.result import Result, Status
from smoke_tests.spec import AxisValue, SmokeSpec

HORIZON_AXES = frozenset({"python", "resolution"})
_MAX_LINES = 12  # a whole-dependency-tree diff is noise beyond the first dozen packages


def horizon_axes(spec: SmokeSpec) -> frozenset[str]:
    """The axes that change only what is installed (or with which Python), not the test."""
    only = {
        name for name, values in spec.axes.items()
        if all(v == AxisValue(when=v.when, python=v.python, resolution=v.resolution)
               for v in values.values())
    }  # fmt: skip
    return HORIZON_AXES | only


def annotate(results: Sequence[Result], horizons: frozenset[str] = HORIZON_AXES) -> list[Result]:
    """The results, each FAIL with a PASS twin given `differs`: one line per difference."""
    passed = [r for r in results if r.status is Status.PASS and r.installed]
    out = []
    for result in results:
        twin = _twin(result, passed, horizons) if result.status is Status.FAIL else None
        out.append(replace(result, differs=diff(result, twin)) if twin else result)
    return out


def _twin(failed: Result, passed: Sequence[Result], horizons: frozenset[str]) -> Result | None:
    """The PASS with the same answers and other axes, nearest (fewest horizon axes differing)."""
    if not failed.installed:
        return None
    same = [
        p for p in passed
        if dict(p.answers) == dict(failed.answers)
        and _others(p.axes, horizons) == _others(failed.axes, horizons)
    ]  # fmt: skip
    return min(same, key=lambda p: _distance(p.axes, failed.axes, horizons), default=None)


def _others(axes: Mapping[str, str], horizons: frozenset[str]) -> dict[str, str]:
    return {k: v for k, v in axes.items() if k not in horizons}


def _distance(a: Mapping[str, str], b: Mapping[str, str], horizons: frozenset[str]) -> int:
    return sum(a.get(k) != b.get(k) for k in horizons)


def diff(failed: Result, twin: Result) -> tuple[str, ...]:
    """`starlette 0.46.0 here, 0.45.3 in queue-redis (PASS)` per package that differs, the
    interpreter first; packages installed on one side only say so."""
    where = f"in {twin.variant} (PASS)"
    lines = []
    if failed.interpreter and twin.interpreter and failed.interpreter != twin.interpreter:
        lines.append(f"Python {failed.interpreter} here, {twin.interpreter} {where}")
    here, there = versions(failed.installed), versions(twin.installed)
    for name in sorted(here.keys() | there.keys()):
        mine, theirs = here.get(name), there.get(name)
        if mine == theirs:
            continue
        if mine is None:
            lines.append(f"{name} not installed here, {theirs} {where}")
        elif theirs is None:
            lines.append(f"{name} {mine} here, not installed {where}")
        else:
            lines.append(f"{name} {mine} here, {theirs} {where}")
    if len(lines) > _MAX_LINES:
        lines[_MAX_LINES:] = [f"... and {len(lines) - _MAX_LINES} more (see the JSON report)"]
    return tuple(lines)


def versions(installed: Sequence[str]) -> dict[str, str]:
    """`uv pip freeze` lines as name -> version; a package from a URL is compared by its URL,
    one from a local folder not at all (each variant builds its own project in its own folder,
    so the paths always differ)."""
    found: dict[str, str] = {}
    for line in installed:
        name, sep, version = line.partition("==")
        if not sep:
            name, sep, version = line.partition(" @ ")
            version = "a local folder" if version.startswith("file://") else version
        if sep:
            found[canonicalize_name(name.strip())] = version.strip()
    return found
