"""`python -m benchmarks [--only B1,B3] [--repeat N] ...`: run the benchmarks, print the table."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version

from benchmarks import matrix, memory, pairwise, ready, services, single
from benchmarks.measure import BenchError
from benchmarks.table import Row, Section, render
from benchmarks.workspace import Workspace, workspace

BENCHES = ("B1", "B2", "B3", "B4", "B5", "B6")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="e.g. B1,B3 (default: all)")
    parser.add_argument("--variant", default="async", help="B1's variant (default: async)")
    parser.add_argument("--repeat", type=int, default=5, help="B1 repetitions (default: 5)")
    parser.add_argument("--matrix-repeat", type=int, default=1,
                        help="B2's -j 1 runs, each between two -j 2 runs (default: 1)")  # fmt: skip
    parser.add_argument("--pg-repeat", type=int, default=5,
                        help="B5 starts of each kind of server (default: 5)")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=2, help="B2's parallel -j (default: 2)")
    parser.add_argument("--ready-rounds", type=int, default=2,
                        help="B3 rounds of 10 boots per contender (default: 2)")  # fmt: skip
    parser.add_argument("--flood-mb", type=float, default=200.0,
                        help="B4's output volume in MB (default: 200)")  # fmt: skip
    parser.add_argument("--spinner-mb", type=float, default=10.0,
                        help="B4: one line of N MB, then 2N (default: 10)")  # fmt: skip
    parser.add_argument("--memory-rounds", type=int, default=1, help="B4 rounds (default: 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    chosen = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        print(f"benchmarks: unknown {', '.join(unknown)}; choose from {BENCHES}", file=sys.stderr)
        return 2
    plans: dict[str, Callable[[Workspace], Section]] = {
        "B1": lambda ws: single.bench(ws, args.variant, args.repeat),
        "B2": lambda ws: matrix.bench(ws, args.jobs, args.matrix_repeat),
        "B3": lambda ws: ready.bench(ws, args.ready_rounds),
        "B4": lambda ws: memory.bench(ws, args.flood_mb, args.spinner_mb, args.memory_rounds),
        "B5": lambda ws: services.bench(ws, args.pg_repeat),
        "B6": pairwise.bench,
    }
    started = time.monotonic()
    sections: list[Section] = []
    failed = False
    with workspace() as ws:
        for name in BENCHES:
            if name not in chosen:
                continue
            print(f"{name} ...", file=sys.stderr, flush=True)
            try:
                sections.append(plans[name](ws))
            except BenchError as exc:
                failed = True
                first, *rest = str(exc).splitlines() or [""]
                sections.append(Section([Row(name, "could not be measured", first, "-")], rest))
            finally:
                left = ws.reap()
                if left:
                    sections.append(Section(notes=[f"{name} left processes: {'; '.join(left)}"]))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    header = [
        f"freshboot benchmarks: {os.cpu_count()} CPUs (load {load}), Python "
        f"{platform.python_version()}, copier {version('copier')}, uv {version('uv')}; "
        f"took {time.monotonic() - started:.0f} s",
        "Ratios are per repetition (contenders interleaved, order rotated), then the median.",
    ]
    print(render(sections, header))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
