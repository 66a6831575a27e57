"""B1: one variant of the bundled template, `freshboot smoke --variant ID` against a bare shell
script doing the same steps by hand (benchmarks/bare_smoke.sh).

Three contenders, interleaved and rotated each repetition: freshboot with its caches warm (its
render and venv caches are part of what it is), freshboot with `--no-cache`, and the script.
All three share uv's cache, warmed before anything is measured, so the script's install is as
warm as freshboot's.
"""

from __future__ import annotations

import itertools
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.freshboot import Smoke, smoke, variant_answers
from benchmarks.measure import BenchError, Run, Spread, rotate, run
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace

SCRIPT = Path(__file__).with_name("bare_smoke.sh")
STAGES = ("render", "environment", "boot", "checks", "stop")
TARGET = 1.25


@dataclass(frozen=True)
class Bare:
    """One run of the bare script, with the seconds each of its steps took."""

    run: Run
    steps: dict[str, float]

    @property
    def wall(self) -> float:
        return self.run.wall


def bare(ws: Workspace, answers: dict[str, object]) -> Bare:
    """Run the script once, in a folder of the workspace that the script removes at its end."""
    folder = ws.folder("bare")
    work = folder / "work"
    app = str(answers["project_name"])
    argv = [
        "bash", str(SCRIPT), str(ws.bundled), str(work), sys.executable, app,
        *(f"{k}={v}" for k, v in answers.items()),
    ]  # fmt: skip
    done = run(argv, env=ws.env(), cwd=folder, log=folder / "stdout.txt", timeout=120)
    if done.status != 0:
        raise BenchError(f"bare_smoke.sh exited {done.status}: {done.output.strip()[-800:]}")
    shutil.rmtree(work, ignore_errors=True)
    marks = [line.split() for line in done.output.splitlines() if line.startswith("BENCH-STEP")]
    times = [(name, float(stamp)) for _, name, stamp in marks]
    steps = {name: t - prev for (_, prev), (name, t) in itertools.pairwise(times)}
    return Bare(done, steps)


def bench(ws: Workspace, variant: str, repeat: int) -> Section:
    answers = variant_answers(ws, ws.bundled, variant)
    args = ["--variant", variant, "-j", "1"]

    def fresh(*extra: str) -> Callable[[], Smoke]:
        def go() -> Smoke:
            result = smoke(ws, ws.bundled, [*args, *extra], watch=True)
            if not result.all_passed():
                raise BenchError(f"freshboot smoke --variant {variant}: {result.statuses()}")
            result.discard_logs()
            return result

        return go

    warm, cold = fresh(), fresh("--no-cache")
    warm()  # fills freshboot's render and venv caches (and uv's), not measured
    bare(ws, answers)  # the script's first run, not measured either
    runs: dict[str, list[Smoke | Bare]] = {"warm": [], "cold": [], "script": []}
    contenders: dict[str, Callable[[], Smoke | Bare]] = {
        "warm": warm, "cold": cold, "script": lambda: bare(ws, answers),
    }  # fmt: skip
    for turn in range(repeat):
        for name in rotate(list(contenders), turn):
            runs[name].append(contenders[name]())
            print(f"  B1 {turn + 1}/{repeat} {name}: {runs[name][-1].wall:.2f} s", file=sys.stderr)
    return _section(variant, runs)


def _section(variant: str, runs: dict[str, list[Smoke | Bare]]) -> Section:
    wall = {name: [r.wall for r in rs] for name, rs in runs.items()}
    section = Section()
    for name, label in (("warm", "caches warm"), ("cold", "--no-cache")):
        ratios = [a / b for a, b in zip(wall[name], wall["script"], strict=True)]
        figure = Spread.of(ratios)
        measured = (
            f"{statistics.median(wall[name]):.2f} s vs {statistics.median(wall['script']):.2f} s"
        )
        section.rows.append(
            Row(
                "B1",
                f"smoke --variant {variant} ({label}) / bare script",
                measured,
                figure.show("x"),
                f"<= {TARGET}x",
                figure.median <= TARGET,
            )
        )
    section.details += _stages(runs)
    section.notes.append(
        "B1: uv's cache is warm for all three; 'caches warm' is freshboot with its render and "
        "venv caches filled by an earlier run, '--no-cache' renders and installs from scratch "
        "as the script does"
    )
    return section


def _stages(runs: dict[str, list[Smoke | Bare]]) -> list[str]:
    """Median seconds per stage, side by side; `outside` is what no stage accounts for
    (interpreter start, imports, reading the template, clean-up)."""
    head = f"{'B1 stages, median s':<24}" + "".join(
        f"{s:>12}" for s in (*STAGES, "outside", "total")
    )
    lines = [head]
    labels = {"warm": "freshboot, warm", "cold": "freshboot, --no-cache", "script": "bare script"}
    for name, rs in runs.items():
        cells = []
        for stage in STAGES:
            values = [_stage(r, stage) for r in rs]
            cells.append(statistics.median(values))
        inside = [sum(_stage(r, s) for s in STAGES) for r in rs]
        outside = statistics.median(r.wall - i for r, i in zip(rs, inside, strict=True))
        total = statistics.median(r.wall for r in rs)
        lines.append(
            f"  {labels[name]:<22}" + "".join(f"{c:>12.2f}" for c in (*cells, outside, total))
        )
    peaks = {
        name: [r.run.peak_rss_mb for r in rs if isinstance(r, Smoke) and r.run.peak_rss_mb]
        for name, rs in runs.items()
    }
    shown = [f"{labels[n]} {statistics.median(p):.0f} MB" for n, p in peaks.items() if p]
    lines.append("  freshboot peak RSS (its own process): " + ", ".join(shown))
    return lines


def _stage(result: Smoke | Bare, stage: str) -> float:
    if isinstance(result, Bare):
        return result.steps.get(stage, 0.0)
    return sum(result.timings(stage))
