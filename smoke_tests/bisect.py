"""`freshboot bisect`: the first bad step of an ordered history, found in few smoke runs, and
never guessed.

The history is a list of steps, oldest first: the template's commits from a good ref to a bad
one, or a dependency's released versions from a good one to a bad one. The first step is the
good end (taken as the user says), the last the bad end (run first: it must FAIL). A step that
cannot be judged (the variant does not exist or render there, or the run ERRORs) is a skip and
the search goes around it, as `git bisect skip` does. When the search has a boundary (a last
good step and the first bad one), both are run once more: a step that changes its verdict is a
flake, and the run says so instead of naming a step.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smoke_tests.result import Phase, Result, Status


class Kind(enum.StrEnum):
    """What one run of one step says about it."""

    GOOD = "good"
    BAD = "bad"
    SKIP = "skip"


@dataclass(frozen=True)
class Observation:
    """One run of one step: its verdict, the result behind it, and (for a skip) why."""

    kind: Kind
    result: Result | None = None
    why: str = ""


@dataclass(frozen=True)
class Point:
    """One step of the history, as messages name it: `label` (a short commit id or a version)
    and `title` (the commit's subject; empty for a version)."""

    label: str
    title: str = ""

    def __str__(self) -> str:
        return f"{self.label} {self.title}".strip()


@dataclass
class Finding:
    """The outcome: the first bad step (or None, with `undecided` saying why), and every run."""

    points: Sequence[Point]
    first_bad: int | None = None
    undecided: str = ""
    seen: dict[int, list[Observation]] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        """How many smoke runs the search took."""
        return sum(len(o) for o in self.seen.values())

    @property
    def culprit(self) -> Result | None:
        """The failing result at the first bad step (phase and reason for the report)."""
        if self.first_bad is None:
            return None
        return next(o.result for o in self.seen[self.first_bad] if o.kind is Kind.BAD)


def classify(result: Result, hunted: Phase | None) -> Observation:
    """A smoke result as a bisect step: FAIL is bad, PASS good, SKIP and ERROR cannot be
    judged. A FAIL in generate (the template does not render there) is a skip too, unless
    the failure hunted is itself one in generate."""
    if result.status is Status.PASS:
        return Observation(Kind.GOOD, result)
    if result.status is Status.FAIL and (
        result.phase is not Phase.GENERATE or hunted is Phase.GENERATE
    ):
        return Observation(Kind.BAD, result)
    why = f"{result.status.value} in {result.phase.value}: {result.reason}"
    return Observation(Kind.SKIP, result, why)


Judge = Callable[[int, Phase | None], Observation]
Say = Callable[[str], None]


def search(points: Sequence[Point], judge: Judge, say: Say = lambda _: None) -> Finding:
    """Bisect `points` (oldest first; the first is good, the last bad) with `judge`, which runs
    step i and classifies its result (given the phase of the failure hunted, once known)."""
    found = Finding(points)
    hunted: Phase | None = None

    def observe(i: int) -> Observation:
        seen = judge(i, hunted)
        found.seen.setdefault(i, []).append(seen)
        detail = seen.why if seen.kind is Kind.SKIP else _verdict(seen.result)
        say(f"[{found.runs}] {points[i]}: {seen.kind.value} ({detail})")
        return seen

    last = len(points) - 1
    if last < 1:
        found.undecided = "the good and bad ends are the same step; name an older --good"
        return found
    end = observe(last)
    if end.kind is not Kind.BAD:
        found.undecided = f"the bad end {points[last]} does not fail: {_why(end)}"
        return found
    hunted = end.result.phase if end.result else None
    lo, hi, skipped = 0, last, set[int]()
    while hi - lo > 1:
        middle = _middle(lo, hi, skipped)
        if middle is None:
            found.undecided = _all_skipped(found, lo, hi)
            return found
        seen = observe(middle)
        if seen.kind is Kind.GOOD:
            lo = middle
        elif seen.kind is Kind.BAD:
            hi = middle
        else:
            skipped.add(middle)
    for i, wanted in ((hi, Kind.BAD), (lo, Kind.GOOD)):
        again = observe(i)
        if i == 0 and len(found.seen[i]) == 1 and again.kind is not wanted:
            found.undecided = f"the good end {points[i]} does not pass: {_why(again)}"
            return found
        if again.kind is not wanted:
            kinds = " then ".join(o.kind.value for o in found.seen[i])
            found.undecided = (
                f"flaky: {points[i]} was {kinds} on the same inputs ({_why(again)}); "
                "fix or exclude the flake, then bisect again"
            )
            return found
    found.first_bad = hi
    return found


def _middle(lo: int, hi: int, skipped: set[int]) -> int | None:
    """The untried step nearest the middle of (lo, hi), or None if every one was skipped."""
    centre = (lo + hi) // 2
    inside = [i for i in range(lo + 1, hi) if i not in skipped]
    return min(inside, key=lambda i: (abs(i - centre), i)) if inside else None


def _all_skipped(found: Finding, lo: int, hi: int) -> str:
    points = found.points
    reasons = sorted({o.why for i in range(lo + 1, hi) for o in found.seen.get(i, [])})
    between = ", ".join(points[i].label for i in range(lo + 1, hi + 1))
    because = f"; skipped because: {'; '.join(reasons)}" if reasons else ""
    return (
        f"the first bad step is one of {between} (after {points[lo].label}), but the steps "
        f"between could not be judged{because}"
    )


def _verdict(result: Result | None) -> str:
    if result is None:
        return "no result"
    if result.status is Status.PASS:
        return "PASS"
    return f"{result.status.value} in {result.phase.value}: {result.reason}"


def _why(seen: Observation) -> str:
    return seen.why if seen.kind is Kind.SKIP else _verdict(seen.result)
