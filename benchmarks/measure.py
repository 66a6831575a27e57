"""Measuring one command: its wall time, exit status, output and CPU, and the peak memory of
the process itself; and summarising repeated measurements as a median with its range."""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil


class BenchError(Exception):
    """A measurement could not be made (a command failed to run or ran too long)."""


@dataclass(frozen=True)
class Run:
    """One finished command."""

    argv: tuple[str, ...]
    wall: float  # seconds, from spawn to exit
    status: int
    peak_rss_mb: float | None  # the process's own high-water mark (VmHWM), children excluded
    output: str  # stdout and stderr, interleaved
    cpu: float = 0.0  # CPU seconds of the whole tree (every descendant that was waited for)
    own_cpu: float | None = None  # CPU seconds of the process itself, when it was watched


@dataclass(frozen=True)
class Spread:
    """A median and the range of the values it summarises."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def show(self, unit: str = "", digits: int = 2, scale: float = 1.0) -> str:
        """`0.63x (0.60-0.70, n=5)`: the median, then the range."""
        m, lo, hi = (f"{v * scale:.{digits}f}" for v in (self.median, self.low, self.high))
        return f"{m}{unit} ({lo}-{hi}, n={self.n})" if self.n > 1 else f"{m}{unit}"


class Watch(threading.Thread):
    """Polls a process's VmHWM (the kernel's own peak of its resident set) and its own CPU
    time until stopped.

    VmHWM only grows, so polling misses nothing but what happens in the last interval before
    the process exits; VmRSS is sampled too, as a cross-check.
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(name=f"watch-{pid}", daemon=True)
        self._status = Path(f"/proc/{pid}/status")
        self._proc = psutil.Process(pid)
        self._interval = interval
        self._halt = threading.Event()
        self.peak_kb = 0
        self.cpu = 0.0

    def run(self) -> None:
        while not self._halt.is_set():
            self._sample()
            self._halt.wait(self._interval)

    def _sample(self) -> None:
        try:
            text = self._status.read_text()
            times = self._proc.cpu_times()
        except (OSError, psutil.Error):
            return
        self.cpu = max(self.cpu, times.user + times.system)
        for line in text.splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def finish(self) -> tuple[float | None, float | None]:
        """Peak RSS in MB and CPU seconds, as last seen."""
        self._halt.set()
        self.join()
        return (self.peak_kb / 1024 or None), (self.cpu or None)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    timeout: float,
    watch: bool = False,
) -> Run:
    """Run `argv` in its own session, its output to `log`; kill its group after `timeout`.

    One command at a time: its CPU is read from this process's RUSAGE_CHILDREN."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        watcher = Watch(proc.pid) if watch else None
        if watcher is not None:
            watcher.start()
        try:
            status = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise BenchError(f"{' '.join(argv[:6])} ... ran over {timeout:g} s") from None
        finally:
            peak, own = watcher.finish() if watcher is not None else (None, None)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    output = log.read_text(encoding="utf-8", errors="replace")
    return Run(tuple(argv), wall, status, peak, output, cpu, own)


def rotate(items: Sequence[str], turn: int) -> list[str]:
    """`items` starting at position `turn`: each repetition leads with another contender, so a
    slow drift of the machine is spread over all of them."""
    k = turn % len(items)
    return [*items[k:], *items[:k]]
