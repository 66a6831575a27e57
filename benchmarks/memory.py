"""B4: freshboot's peak memory while a variant prints 200 MB of output.

The bench template's app prints the flood once freshboot probes GET /flood after readiness,
as fast as freshboot drains its pty, and answers `done` when every byte is written; so the
flood happens while freshboot judges the app, as a chatty app's would. The figure is the peak
resident set of the freshboot process itself (the kernel's VmHWM, polled), compared with the
same run of the app printing nothing (`quiet`).

`spinner` prints its bytes as lines that end in a carriage return only, as a progress bar
does: to freshboot, one line that never ends. It is run at two sizes, the second twice the
first, to show how the cost grows with the length of a line (twice the bytes: twice the time
if linear, four times if quadratic).
"""

from __future__ import annotations

import statistics
import sys

from benchmarks.freshboot import Smoke, smoke
from benchmarks.measure import BenchError, rotate
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace

TARGET_MB = 150.0


def bench(ws: Workspace, flood_mb: float, spinner_mb: float, rounds: int) -> Section:
    def go(variant: str, mb: float) -> Smoke:
        args = ["--variant", variant, "-j", "1"]
        env = {"BENCH_FLOOD_MB": f"{mb:g}"}
        result = smoke(ws, ws.bench, args, env=env, watch=True, timeout=900)
        log = result.log(variant)
        size = log.stat().st_size if log.is_file() else 0
        result.discard_logs()
        if not result.all_passed():
            raise BenchError(f"bench template, {variant} at {mb:g} MB: {result.statuses()}")
        if variant != "quiet" and size < mb * 1e6:
            raise BenchError(f"{variant}: the log has {size / 1e6:.0f} MB of {mb:g} MB")
        return result

    go("quiet", 0)  # fills the caches; not measured
    sizes = {
        "quiet": ("quiet", 0.0),
        "flood": ("flood", flood_mb),
        "spinner": ("spinner", spinner_mb),
        "spinner x2": ("spinner", 2 * spinner_mb),
    }
    runs: dict[str, list[Smoke]] = {name: [] for name in sizes}
    for turn in range(rounds):
        for name in rotate(list(runs), turn):
            runs[name].append(go(*sizes[name]))
            done = runs[name][-1]
            peak = done.run.peak_rss_mb or 0
            print(
                f"  B4 {turn + 1}/{rounds} {name}: {peak:.0f} MB, {done.wall:.1f} s",
                file=sys.stderr,
            )
    return _section(runs, flood_mb, spinner_mb)


def _peak(runs: list[Smoke]) -> float:
    return statistics.median(r.run.peak_rss_mb or 0.0 for r in runs)


def _drain(runs: list[Smoke]) -> float:
    """Seconds in the checks stage, where the flood is drained."""
    return statistics.median(sum(r.timings("checks")) for r in runs)


def _section(runs: dict[str, list[Smoke]], flood_mb: float, spinner_mb: float) -> Section:
    section = Section()
    quiet = _peak(runs["quiet"])
    peak = _peak(runs["flood"])
    section.rows.append(
        Row(
            bench="B4",
            what=f"peak RSS, variant prints {flood_mb:g} MB in lines",
            measured=f"{peak:.0f} MB vs {quiet:.0f} MB quiet",
            figure=f"{peak:.0f} MB = {peak / quiet:.2f}x quiet",
            target=f"<= {TARGET_MB:g} MB",
            met=peak <= TARGET_MB,
        )
    )
    # A 200 MB line takes minutes to drain (see below), so it is extrapolated from two sizes.
    small, large = _peak(runs["spinner"]), _peak(runs["spinner x2"])
    per_mb = max(0.0, (large - small) / spinner_mb)
    guess = large + per_mb * (flood_mb - 2 * spinner_mb)
    section.rows.append(
        Row(
            bench="B4",
            what=f"same, one '\\r'-ended line (progress bar), {flood_mb:g} MB extrapolated",
            measured=f"{small:.0f} MB at {spinner_mb:g} MB, {large:.0f} at {2 * spinner_mb:g}",
            figure=f"~{guess:.0f} MB (+{per_mb:.1f} MB per MB)",
            target=f"<= {TARGET_MB:g} MB",
            met=guess <= TARGET_MB,
        )
    )
    one, two = _drain(runs["spinner"]), _drain(runs["spinner x2"])
    section.rows.append(
        Row(
            bench="B4",
            what=f"drain time of one line, {2 * spinner_mb:g} MB / {spinner_mb:g} MB",
            measured=f"{two:.1f} s vs {one:.1f} s",
            figure=f"{two / one:.1f}x",
            target="2x if linear",
            met=two / one <= 2.5,
        )
    )
    flood = _drain(runs["flood"])
    section.details.append(
        f"B4 flood: {flood_mb:g} MB drained in {flood:.1f} s ({flood_mb / flood:.0f} MB/s); "
        f"one line: {spinner_mb:g} MB in {one:.1f} s, {2 * spinner_mb:g} MB in {two:.1f} s"
    )
    if two / one > 2.5:
        extrapolated = two * (flood_mb / (2 * spinner_mb)) ** 2
        section.notes.append(
            f"B4: a line that never ends costs time quadratic in its length: {flood_mb:g} MB "
            f"of progress-bar output would take about {extrapolated / 60:.0f} min to drain"
        )
    return section
