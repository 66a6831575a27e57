"""B3: how long after the app's port accepts connections freshboot marks it ready.

The instrument is the bench template's app (tests/templates/bench), which stamps three moments
on CLOCK_MONOTONIC (`time.monotonic()`, one clock for every process of a Linux machine):
`listen`, right after listen() returns (the kernel queues connections from then on);
`first_ready`, when the readiness request that succeeds arrives; `first_probe`, when freshboot's
first probe arrives. freshboot sends that probe as soon as `wait_ready` returns, so
`first_probe - listen` is the latency asked for, give or take one loopback request (a small
overestimate); `first_ready - listen` is how soon its polling noticed the port.

All stamps come from the app's own clock, so no clock is compared across processes. The
`sample` axis of the bench template gives ten boots per `freshboot smoke -k quiet` run. A
reference poller (a 1 ms loop of plain HTTP requests, ready on the first 2xx, nothing else)
boots the same app in between: the floor any poller could reach on this machine.
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from typing import Any

from benchmarks.freshboot import Smoke, smoke
from benchmarks.measure import BenchError, Spread, rotate
from benchmarks.table import Row, Section
from benchmarks.workspace import Workspace
from smoke_tests.ports import free_port

TARGET_MS = 50.0
Stamps = dict[str, float]


def bench(ws: Workspace, rounds: int) -> Section:
    smoke(ws, ws.bench, ["--variant", "quiet", "-j", "1"])  # fills the caches; not measured
    samples: dict[str, list[Stamps]] = {"-j 1": [], "-j 2": [], "reference": []}
    for turn in range(rounds):
        for name in rotate(list(samples), turn):
            if name == "reference":
                samples[name] += [_reference(ws) for _ in range(10)]
            else:
                samples[name] += _stamps(smoke(ws, ws.bench, ["-k", "quiet", *name.split()]))
            print(f"  B3 {turn + 1}/{rounds} {name}: {len(samples[name])} samples", file=sys.stderr)
    return _section(samples)


def _stamps(result: Smoke) -> list[Stamps]:
    if not result.all_passed():
        raise BenchError(f"bench template, -k quiet: {result.statuses()}")
    found = []
    for row in result.results:
        for line in result.log(row["variant"]).read_text().splitlines():
            if line.startswith("BENCH stamps "):
                found.append(json.loads(line.removeprefix("BENCH stamps ")))
    result.discard_logs()
    return found


def _get(port: int, path: str) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def _reference(ws: Workspace) -> Stamps:
    """Boot the bench app directly and poll it in a tight loop: the floor."""
    port = free_port()
    app = ws.bench / "project" / "app.py"
    proc = subprocess.Popen(
        [sys.executable, str(app)], env=ws.env(PORT=str(port), BENCH_MODE="quiet"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if 200 <= _get(port, "/ready")[0] < 300:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise BenchError("the bench app did not answer the reference poller")
            time.sleep(0.001)
        stamps: Stamps = _get(port, "/stamps")[1]
        return stamps
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ms(samples: list[Stamps], start: str, end: str) -> Spread:
    return Spread.of([(s[end] - s[start]) * 1000 for s in samples])


def _section(samples: dict[str, list[Stamps]]) -> Section:
    section = Section()
    floor = _ms(samples["reference"], "listen", "first_probe")
    for name in ("-j 1", "-j 2"):
        marked = _ms(samples[name], "listen", "first_probe")
        caught = _ms(samples[name], "listen", "first_ready")
        section.rows.append(
            Row(
                "B3",
                f"port accepting -> marked ready, bench app, {name}",
                f"seen +{caught.median:.1f} ms, marked +{marked.median:.1f} ms",
                marked.show(" ms", 1),
                f"<= {TARGET_MS:g} ms",
                marked.median <= TARGET_MS,
            )
        )
        ratio = marked.median / floor.median
        section.details.append(
            f"B3 {name}: 2xx seen {caught.show(' ms', 1)} after listen; settled and marked ready "
            f"{_ms(samples[name], 'first_ready', 'first_probe').show(' ms', 1)} after that; "
            f"{ratio:.1f}x the reference poller"
        )
    section.rows.append(
        Row(
            "B3",
            "same, reference poller (1 ms loop, no settle)",
            f"marked +{floor.median:.1f} ms",
            floor.show(" ms", 1),
        )
    )
    return section
