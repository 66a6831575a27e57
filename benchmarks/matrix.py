"""B2: the bundled template's pairwise matrix, `freshboot smoke --strategy pairwise -j 2`,
against the same variants one by one (`-j 1`), caches warm for both.

The `-j 1` run is one process running the variants one after another: the sum of their
durations plus one start-up. Separate `--variant ID` runs would add a start-up per variant,
so this baseline is the stricter one. The runs alternate (-j 2, -j 1, -j 2, ...) and each
-j 1 run is compared with the -j 2 runs on either side of it, so a steady drift cancels out.

On a shared machine two cores are not always two free cores: after each run pair, two
CPU-bound tasks of fixed CPU time are run together and one after the other; the same ratio of
theirs says how much parallelism the machine offered at that moment (0.5 when idle).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.freshboot import Smoke, smoke
from benchmarks.measure import Spread
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace

TARGET = 0.6
_SPIN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {:g}: pass"


def bench(ws: Workspace, jobs: int, repeat: int) -> Section:
    base = ["--strategy", "pairwise", "--services", "auto"]
    parallel, serial = f"-j {jobs}", "-j 1"

    def go(flag: str) -> Smoke:
        result = smoke(ws, ws.bundled, [*base, *flag.split()], timeout=900, watch=True)
        result.discard_logs()
        return result

    warm = go(parallel)  # fills freshboot's caches for every variant; not measured
    print(f"  B2 warm-up {parallel}: {warm.wall:.1f} s ({warm.statuses()})", file=sys.stderr)
    runs: dict[str, list[Smoke]] = {parallel: [go(parallel)], serial: []}
    machine: list[float] = [_machine(jobs)]
    for turn in range(repeat):
        for flag in (serial, parallel):
            runs[flag].append(go(flag))
            print(f"  B2 {turn + 1}/{repeat} {flag}: {runs[flag][-1].wall:.1f} s", file=sys.stderr)
        machine.append(_machine(jobs))
    section = _section(runs, parallel, serial, warm)
    figure = Spread.of(machine)
    section.rows.append(
        Row(
            bench="B2",
            what=f"machine: {jobs} CPU-bound tasks -j {jobs} / -j 1",
            measured=f"ideal {1 / jobs:.2f}x",
            figure=figure.show("x"),
        )
    )
    return section


def _machine(jobs: int, cpu_seconds: float = 0.5) -> float:
    """Wall time of `jobs` tasks of `cpu_seconds` CPU each run together, over one after the
    other: the parallel speed-up this machine gives right now."""

    def wall(together: bool) -> float:
        started = time.perf_counter()
        argv = [sys.executable, "-c", _SPIN.format(cpu_seconds)]
        if together:
            for proc in [subprocess.Popen(argv) for _ in range(jobs)]:
                proc.wait()
        else:
            for _ in range(jobs):
                subprocess.run(argv, check=True)
        return time.perf_counter() - started

    serial = wall(together=False)
    return wall(together=True) / serial


def _section(runs: dict[str, list[Smoke]], parallel: str, serial: str, warm: Smoke) -> Section:
    par, ser = runs[parallel], runs[serial]
    ratios = [p.wall / s.wall for i, s in enumerate(ser) for p in par[i : i + 2]]
    figure = Spread.of(ratios)
    n = len(par[0].results)
    measured = (
        f"{statistics.median(p.wall for p in par):.1f} s vs "
        f"{statistics.median(s.wall for s in ser):.1f} s"
    )
    section = Section()
    section.rows.append(
        Row(
            "B2",
            f"pairwise ({n} variants) {parallel} / {serial}",
            measured,
            figure.show("x"),
            f"<= {TARGET}x",
            figure.median <= TARGET,
        )
    )
    sum_serial = statistics.median(sum(s.durations()) for s in ser)
    per_par = statistics.median(statistics.median(p.durations()) for p in par)
    per_ser = statistics.median(statistics.median(s.durations()) for s in ser)
    section.details.append(
        f"B2 {serial}: sum of variant durations {sum_serial:.1f} s; median variant "
        f"{per_ser:.2f} s at {serial}, {per_par:.2f} s at {parallel} "
        f"(x{per_par / per_ser:.2f}: contention for 2 cores); statuses: {warm.statuses()}"
    )
    for label, group in ((parallel, par), (serial, ser)):
        cpu = statistics.median(r.run.cpu for r in group)
        own = statistics.median(r.run.own_cpu or 0.0 for r in group)
        wall = statistics.median(r.wall for r in group)
        section.details.append(
            f"  {label}: CPU {cpu:.1f} s in {wall:.1f} s ({cpu / wall:.2f} cores busy on average); "
            f"freshboot's own process {own:.1f} s of it"
        )
    stages = ("render", "services", "environment", "setup", "boot", "checks", "stop")
    for label, group in ((parallel, par), (serial, ser)):
        cells = "  ".join(
            f"{stage} {statistics.median(sum(r.timings(stage)) for r in group):.1f}"
            for stage in stages
        )
        section.details.append(f"  {label}: summed over variants, s: {cells}")
    if not all(r.all_passed() for r in (*par, *ser)):
        section.notes.append(
            f"B2: not every variant passed ({warm.statuses()}); a variant that fails early "
            "does less work, so the matrix measured is lighter than a passing one"
        )
    return section
