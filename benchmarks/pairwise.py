"""B6: the pairwise cover of a constrained option space against its full enumeration.

The matrix is computed before anything boots, on every `freshboot smoke` and `variants`: a
cover must stay well under a second for spaces of thousands of combinations. Both strategies
are timed side by side, interleaved, on the same template model (read once, as a command does).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from benchmarks.measure import Spread
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace
from scaffolder.matrix import Assignment, Matrix
from scaffolder.model import read_template
from scaffolder.variants import load_variants

TARGET = 1.0  # seconds for the cover
MANY = Path(__file__).resolve().parent.parent / "tests" / "templates" / "many-questions"


def bench(ws: Workspace, rounds: int = 5) -> Section:
    model = read_template(ws.snapshot(MANY, "many-questions"))
    matrix = Matrix(
        exclude=(Assignment("exclude[0]", "exclude #1", {"docker": False, "ci": "none"}),)
    )
    times: dict[str, list[float]] = {"full": [], "pairwise": []}
    sizes: dict[str, int] = {}
    for turn in range(rounds):
        order: list[Literal["full", "pairwise"]] = ["full", "pairwise"]
        for strategy in order if turn % 2 == 0 else order[::-1]:
            began = time.perf_counter()
            sizes[strategy] = len(load_variants(model, matrix, strategy))
            times[strategy].append(time.perf_counter() - began)
    cover, full = Spread.of(times["pairwise"]), Spread.of(times["full"])
    ratio = Spread.of([p / f for p, f in zip(times["pairwise"], times["full"], strict=True)])
    return Section(
        rows=[
            Row(
                "B6",
                f"pairwise cover ({sizes['pairwise']} of {sizes['full']} variants)",
                f"{cover.median:.3f} s vs full {full.median:.3f} s",
                ratio.show("x"),
                f"< {TARGET:g} s",
                cover.high < TARGET,
            ),
        ],
    )
