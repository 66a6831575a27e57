"""What changed since an earlier run (--compare PREVIOUS.json): the first thing a maintainer
asks of a red matrix is whether it was red yesterday.

Failing means FAIL or ERROR (a result that stops a release). A variant is newly failing when it
failed now and did not before, fixed when it failed before and passes now, still failing when
it failed both times; new and removed compare the variants reported before with the variants
selected now; slower names variants that passed both times and took more than 25% (and at
least half a second) longer, which keeps noise on sub-second variants out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smoke_tests.result import Result, Status

SLOWER = 1.25  # a variant is slower when it took more than this times as long as before
SLOWER_BY = 0.5  # and at least this many seconds more

KINDS = ("newly_failing", "fixed", "still_failing", "new", "removed")


@dataclass(frozen=True)
class Change:
    """One variant's status before and after ("" where it was not there)."""

    variant: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class Slower:
    """A variant that passed both times, with both durations in seconds."""

    variant: str
    before: float
    after: float


@dataclass(frozen=True)
class Changes:
    """Every difference between two runs that a report names."""

    previous: str  # the earlier report, as the user named it
    newly_failing: tuple[Change, ...] = ()
    fixed: tuple[Change, ...] = ()
    still_failing: tuple[Change, ...] = ()
    new: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    slower: tuple[Slower, ...] = ()

    @property
    def any(self) -> bool:
        """Whether anything changed (still failing counts: it is news too)."""
        return any(getattr(self, kind) for kind in KINDS) or bool(self.slower)


def compare(
    previous: Sequence[Result], current: Sequence[Result], selection: Sequence[str], name: str
) -> Changes:
    """The changes from `previous` to `current`; `selection` is every variant selected now
    (it tells a removed variant from one this run did not get to, e.g. another shard's)."""
    before = {r.variant: r for r in previous}
    now = {r.variant: r for r in current}
    chosen = set(selection) | set(now)
    found: dict[str, list[Change]] = {kind: [] for kind in KINDS}
    slower = []
    for variant, result in now.items():
        old = before.get(variant)
        if old is None:
            found["new"].append(Change(variant, "", result.status.value))
            continue
        change = Change(variant, old.status.value, result.status.value)
        if not result.ok:
            found["still_failing" if not old.ok else "newly_failing"].append(change)
        elif not old.ok and result.status is Status.PASS:
            found["fixed"].append(change)
        elif old.status is Status.PASS is result.status and _slower(old.duration, result.duration):
            slower.append(Slower(variant, old.duration, result.duration))
    found["removed"] = [Change(v, r.status.value, "") for v, r in before.items() if v not in chosen]
    return _changes(name, {kind: tuple(found[kind]) for kind in KINDS}, tuple(slower))


def _changes(
    name: str, kinds: Mapping[str, tuple[Change, ...]], slower: tuple[Slower, ...]
) -> Changes:
    return Changes(
        name, kinds["newly_failing"], kinds["fixed"], kinds["still_failing"], kinds["new"],
        kinds["removed"], slower,
    )  # fmt: skip


def _slower(before: float, after: float) -> bool:
    return after > before * SLOWER and after - before >= SLOWER_BY


def lines(changes: Changes) -> list[str]:
    """The changes for people: a headline, then one line per kind that has any."""
    counts = [
        f"{len(getattr(changes, kind))} {kind.replace('_', ' ')}"
        for kind in KINDS
        if getattr(changes, kind)
    ]
    if changes.slower:
        counts.append(f"{len(changes.slower)} slower")
    head = f"compared with {changes.previous}: {', '.join(counts) if counts else 'no changes'}"
    out = [head]
    for kind in KINDS:
        items = getattr(changes, kind)
        if items:
            out.append(f"  {kind.replace('_', ' ')}: {', '.join(_describe(c) for c in items)}")
    if changes.slower:
        out.append("  slower: " + ", ".join(describe_slower(s) for s in changes.slower))
    return out


def _describe(change: Change) -> str:
    if change.before and change.after and change.before != change.after:
        return f"{change.variant} ({change.before} → {change.after})"
    return change.variant


def describe_slower(slow: Slower) -> str:
    """`clean 1.0s → 4.6s (+360%)`."""
    more = (slow.after / slow.before - 1) * 100 if slow.before else float("inf")
    return f"{slow.variant} {slow.before:.1f}s → {slow.after:.1f}s (+{more:.0f}%)"


def to_dict(changes: Changes) -> dict[str, Any]:
    """The changes as JSON data; `from_dict` reads it back."""
    doc: dict[str, Any] = {"previous": changes.previous}
    for kind in KINDS:
        doc[kind] = [
            {"variant": c.variant, "before": c.before, "after": c.after}
            for c in getattr(changes, kind)
        ]
    doc["slower"] = [
        {"variant": s.variant, "before": round(s.before, 3), "after": round(s.after, 3)}
        for s in changes.slower
    ]
    return doc


def from_dict(doc: Mapping[str, Any]) -> Changes:
    """Changes from `to_dict`'s data."""
    kinds = {
        kind: tuple(Change(c["variant"], c["before"], c["after"]) for c in doc.get(kind, ()))
        for kind in KINDS
    }
    slower = tuple(Slower(s["variant"], s["before"], s["after"]) for s in doc.get("slower", ()))
    return _changes(str(doc.get("previous", "")), kinds, slower)
