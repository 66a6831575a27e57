"""Results for people: one line per variant as it ends, details for each failure, a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from smoke_tests.result import Result, Status

_ORDER = (Status.PASS, Status.FAIL, Status.ERROR, Status.SKIP)


def line(result: Result, width: int = 0) -> str:
    """`PASS  queue-redis  done  4.1s`, with the reason when it did not pass."""
    status, phase = result.status.value, result.phase.value
    text = f"{status:<5} {result.variant:<{width}}  {phase:<8} {result.duration:5.1f}s"
    return f"{text}  {result.reason}" if result.reason else text


def details(result: Result) -> list[str]:
    """What a maintainer needs to act on a FAIL or ERROR without re-running it."""
    if result.status in (Status.PASS, Status.SKIP):
        return []
    out = [f"--- {result.variant}: {result.status.value} in {result.phase.value}: {result.reason}"]
    out += [f"    | {text}" for text in result.excerpt]
    out += [f"    {text}" for text in result.differs]
    if result.log is not None:
        out.append(f"    log:   {result.log}")
    out.append(f"    repro: {result.repro}")
    return out


def timing(result: Result) -> str:
    """Per-stage seconds, e.g. `render 0.6  environment 1.9  boot 0.7  checks 0.1  stop 0.3`."""
    return "  ".join(f"{name} {seconds:.2f}" for name, seconds in result.timings.items())


def summary(results: Sequence[Result]) -> str:
    """`3 passed, 1 failed, 0 errors, 1 skipped in 12.3s`-style closing line."""
    counts = Counter(r.status for r in results)
    words = {
        Status.PASS: "passed",
        Status.FAIL: "failed",
        Status.ERROR: "errors",
        Status.SKIP: "skipped",
    }
    return ", ".join(f"{counts[s]} {words[s]}" for s in _ORDER)


def exit_status(results: Sequence[Result]) -> int:
    """0 all passed or skipped, 1 any failed, 3 any harness error and no failure."""
    statuses = {r.status for r in results}
    if Status.FAIL in statuses:
        return 1
    if Status.ERROR in statuses:
        return 3
    return 0
