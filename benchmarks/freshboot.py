"""Running `freshboot smoke` as a user would (its own process) and reading its JSON report."""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import BenchError, Run, run
from benchmarks.workspace import Workspace


@dataclass(frozen=True)
class Smoke:
    """One `freshboot smoke` run: the process, its per-variant results, its log folder."""

    run: Run
    results: list[dict[str, Any]]
    out: Path

    @property
    def wall(self) -> float:
        return self.run.wall

    def statuses(self) -> str:
        """`8 PASS, 7 FAIL`."""
        counts = Counter(str(r["status"]) for r in self.results)
        return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))

    def all_passed(self) -> bool:
        return bool(self.results) and all(r["status"] == "PASS" for r in self.results)

    def timings(self, stage: str) -> list[float]:
        """The seconds each variant spent in `stage` (render, environment, boot, ...)."""
        return [float(r["timings"][stage]) for r in self.results if stage in r["timings"]]

    def durations(self) -> list[float]:
        return [float(r["duration"]) for r in self.results]

    def log(self, variant: str) -> Path:
        return self.out / f"{variant}.log"

    def discard_logs(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)


def smoke(
    ws: Workspace,
    template: Path,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    watch: bool = False,
) -> Smoke:
    """`freshboot smoke --template TEMPLATE ARGS`, with a JSON report; a bad-input or
    interrupted exit is a BenchError (FAIL and ERROR verdicts are results, not errors)."""
    folder = ws.folder("smoke")
    out, report = folder / "out", folder / "report.json"
    argv = [
        sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
        "--out", str(out), "--json", str(report), *args,
    ]  # fmt: skip
    done = run(
        argv, env=ws.env(**(env or {})), cwd=folder, log=folder / "stdout.txt", timeout=timeout,
        watch=watch,
    )  # fmt: skip
    if done.status not in (0, 1, 3) or not report.is_file():
        tail = "\n".join(done.output.splitlines()[-10:])
        raise BenchError(f"freshboot smoke {' '.join(args)} exited {done.status}:\n{tail}")
    results: list[dict[str, Any]] = json.loads(report.read_text())["results"]
    return Smoke(done, results, out)


def variant_answers(ws: Workspace, template: Path, variant: str) -> dict[str, Any]:
    """The copier answers of one variant, as `freshboot variants --format json` gives them."""
    folder = ws.folder("variants")
    argv = [
        sys.executable, "-m", "smoke_tests", "variants", "--template", str(template),
        "--variant", variant, "--format", "json",
    ]  # fmt: skip
    done = run(argv, env=ws.env(), cwd=folder, log=folder / "stdout.txt", timeout=60)
    if done.status != 0:
        raise BenchError(f"freshboot variants --variant {variant}: {done.output.strip()}")
    rows: list[dict[str, Any]] = json.loads(done.output)
    return dict(rows[0]["answers"])
