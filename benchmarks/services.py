"""B5: how long a throwaway PostgreSQL server takes to answer, started from the cached cluster
(a copy of one initialised once) against started from its own `initdb` (`--no-cache`).

Both are timed in this process around `postgres_server`, from the call to the server being
ready, interleaved and rotated; the stop is timed apart, as it is the same for both.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.measure import BenchError, Spread, rotate
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace
from smoke_tests.result import Verdict
from smoke_tests.services import postgres_server

TARGET = 0.6


def bench(ws: Workspace, repeat: int) -> Section:
    cache = ws.cache
    _start(cache)  # fills the cluster cache; not measured
    times: dict[str, list[float]] = {"cached": [], "initdb": []}
    stops: list[float] = []
    for turn in range(repeat):
        for name in rotate(list(times), turn):
            ready, stop = _start(cache if name == "cached" else None)
            times[name].append(ready)
            stops.append(stop)
        print(f"  B5 {turn + 1}/{repeat}", file=sys.stderr)
    ratio = Spread.of([c / i for c, i in zip(times["cached"], times["initdb"], strict=True)])
    cached, initdb = Spread.of(times["cached"]), Spread.of(times["initdb"])
    measured = f"cached {cached.median:.2f} s, initdb {initdb.median:.2f} s"
    row = Row("B5", "postgres ready: cached cluster / initdb", measured, ratio.show("x"),
              f"<= {TARGET}x", ratio.median <= TARGET)  # fmt: skip
    notes = [
        f"B5: ready from the cached cluster {cached.show(' s')}, from initdb {initdb.show(' s')};"
        f" stop {Spread.of(stops).show(' s')} either way"
    ]
    return Section([row], notes=notes)


def _start(cache: Path | None) -> tuple[float, float]:
    """Seconds to a ready server, and seconds to stop it."""
    started = time.perf_counter()
    try:
        with postgres_server(cache):
            ready = time.perf_counter()
    except Verdict as verdict:
        raise BenchError(f"postgres could not start: {verdict.reason}") from None
    return ready - started, time.perf_counter() - ready
