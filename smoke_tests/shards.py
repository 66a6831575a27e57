"""A matrix spread over many machines: `--shard K/N` takes a deterministic share of the
selected variants, and `freshboot report merge` joins the shards' JSON reports into one.

Shares are balanced by the durations an earlier JSON report recorded (`--durations FILE`), else
by count: longest first, each variant goes to the least loaded shard (ties to the lowest
number). Every shard computes the same split from the same selection and file, so the N shards
are disjoint and together exactly the selection, with no coordination between machines.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import replace

from smoke_tests.record import Run
from smoke_tests.result import Result, Status


class MergeError(Exception):
    """Reports that cannot be one run's shards; the message names the reports and the fix."""


def parse(text: str) -> tuple[int, int]:
    """`2/5` → (2, 5); raises ValueError naming the expected form."""
    k, sep, n = text.partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit():
        raise ValueError(f"expected K/N such as 2/5, got {text!r}")
    index, count = int(k), int(n)
    if not 1 <= index <= count:
        raise ValueError(f"expected K/N with 1 <= K <= N, got {text!r}")
    return index, count


def share(ids: Sequence[str], index: int, count: int, durations: Mapping[str, float]) -> set[str]:
    """The ids shard `index` of `count` runs (see the module docstring)."""
    known = [durations[i] for i in ids if durations.get(i, 0) > 0]
    typical = statistics.median(known) if known else 1.0
    weight = {i: durations[i] if durations.get(i, 0) > 0 else typical for i in ids}
    position = {i: n for n, i in enumerate(ids)}
    loads = [0.0] * count
    mine = set()
    for i in sorted(ids, key=lambda i: (-weight[i], position[i])):
        lightest = min(range(count), key=lambda s: (loads[s], s))
        loads[lightest] += weight[i]
        if lightest == index - 1:
            mine.add(i)
    return mine


def durations(run: Run) -> dict[str, float]:
    """Each variant's duration in an earlier run, for balancing; SKIPs say nothing."""
    return {r.variant: r.duration for r in run.results if r.status is not Status.SKIP}


def merge(runs: Sequence[tuple[str, Run]]) -> Run:
    """One run from the named shard reports: results in selection order, as a single run
    would have reported them. Refuses reports that overlap, come from different selections,
    or leave selected variants unaccounted for (a shard's report missing)."""
    seen: dict[str, str] = {}
    for name, run in runs:
        for variant in [*(r.variant for r in run.results), *run.not_run]:
            if variant in seen:
                raise MergeError(
                    f"variant {variant} is in both {seen[variant]} and {name}; "
                    "pass each shard's report once"
                )
            seen[variant] = name
    selections = {run.selection for _, run in runs if run.selection}
    if len(selections) > 1:
        names = ", ".join(name for name, _ in runs)
        raise MergeError(
            f"{names} come from different selections of variants; merge the shards of one run"
        )
    selection = next(iter(selections), ())
    missing = [v for v in selection if v not in seen]
    if missing:
        raise MergeError(
            f"{_missing_shards(runs)}{len(missing)} selected variant(s) are in no report, "
            f"e.g. {missing[0]}; pass every shard's report"
        )
    order = {v: n for n, v in enumerate(dict.fromkeys([*selection, *seen]))}
    results = sorted(_renumbered(runs), key=lambda r: order[r.variant])
    first = runs[0][1]
    context = dict(first.context)
    if len(runs) > 1:
        context["shards"] = _lanes(runs)
        context["wall"] = max(float(run.context.get("wall", 0.0)) for _, run in runs)
    return Run(
        tuple(results), suite=first.suite, selection=selection or tuple(order),
        not_run=tuple(v for v in order if any(v in run.not_run for _, run in runs)),
        interrupted=any(run.interrupted for _, run in runs), context=context,
    )  # fmt: skip


def _missing_shards(runs: Sequence[tuple[str, Run]]) -> str:
    """`no report of shard 2/3: ` when the reports are shards of one N, else ""."""
    got = {run.shard for _, run in runs}
    counts = {shard.partition("/")[2] for shard in got}
    if "" in got or len(counts) != 1:
        return ""
    count = int(counts.pop())
    lost = [f"{k}/{count}" for k in range(1, count + 1) if f"{k}/{count}" not in got]
    return f"no report of shard {', '.join(lost)}: " if lost else ""


def _renumbered(runs: Sequence[tuple[str, Run]]) -> list[Result]:
    """Results with worker slots numbered across shards, so each shard has its own lanes."""
    return [
        r if r.worker is None else replace(r, worker=r.worker + offset)
        for (_, run), offset in zip(runs, _offsets(runs), strict=True)
        for r in run.results
    ]


def _lanes(runs: Sequence[tuple[str, Run]]) -> list[dict[str, object]]:
    """Each shard's own context, with the first worker lane its results were given."""
    return [
        {"report": name, "shard": run.shard, "first_worker": offset, **run.context}
        for (name, run), offset in zip(runs, _offsets(runs), strict=True)
    ]


def _offsets(runs: Sequence[tuple[str, Run]]) -> list[int]:
    """Each shard's first worker lane: after every lane of the shards before it."""
    offsets, offset = [], 0
    for _, run in runs:
        offsets.append(offset)
        slots = [r.worker + 1 for r in run.results if r.worker is not None]
        offset += max([int(run.context.get("jobs", 0)), *slots])
    return offsets
