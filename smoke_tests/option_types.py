"""The values options take: positive seconds, days, a job count, a shard; a bad one is refused
naming what was wanted (argparse and pytest both turn the refusal into a usage error)."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)

_HUGE = 10**9  # no count or number of seconds freshboot takes is near this; inf and nan are refused


def _number(
    convert: Callable[[str], N], ok: Callable[[N], bool], wanted: str
) -> Callable[[str], N]:
    """An argparse type: `convert` the text, and refuse it unless `ok`, naming what is wanted."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not math.isfinite(value) or abs(value) > _HUGE:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r} (at most {_HUGE:g})")
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


seconds = _number(float, lambda v: v > 0, "a positive number of seconds")
days = _number(float, lambda v: v >= 0, "a number of days (0 or more)")
jobs = _number(int, lambda v: v >= 1, "a whole number of at least 1")
JOBS_PER_CPU = 4  # more variants at once than this per core only thrash; -j is capped there


def cap_jobs(count: int) -> tuple[int, str | None]:
    """`count` jobs, capped at JOBS_PER_CPU times the cores, and the note to print when capped."""
    cores = os.cpu_count() or 1
    cap = JOBS_PER_CPU * cores
    if count <= cap:
        return count, None
    return cap, f"freshboot: note: -j {count} capped at {cap} ({JOBS_PER_CPU} x {cores} CPUs)"


def shard(text: str) -> tuple[int, int]:
    """`K/N`: share K of N."""
    from smoke_tests.shards import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
