"""Running many variants: bounded parallelism, results in variant order, one working folder
that is removed afterwards whatever happens."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from scaffolder.variants import Variant
from smoke_tests import reaper, sweep
from smoke_tests.record import shown_answers
from smoke_tests.result import Result, Status
from smoke_tests.run_options import RunOptions
from smoke_tests.runner import run_variant
from smoke_tests.services import needed
from smoke_tests.spec import SmokeSpec

_DRAIN_TIMEOUT = 4.0


@contextmanager
def working_folder(keep: bool) -> Iterator[Path]:
    """A fresh folder for generated projects and their venvs, removed unless `keep`."""
    folder = sweep.folder(Path(tempfile.mkdtemp(prefix="freshboot-")))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Outcome:
    """What a run produced: the results of the variants that finished, in variant order, the
    exit status of the signal that stopped it early, if one did, and the variants that were
    never started because -x stopped the run at a failure."""

    results: list[Result]
    interrupted: int | None = None
    not_run: tuple[str, ...] = ()


def run_all(
    variants: Sequence[Variant],
    spec: SmokeSpec,
    options: RunOptions,
    jobs: int,
    on_result: Callable[[Result], None] = lambda _: None,
    *,
    first: Collection[str] = (),
    exitfirst: bool = False,
) -> Outcome:
    """Run every variant, at most `jobs` at once; `on_result` sees each as it ends.

    The variants named in `first` (those that failed last time, for --ff) start first. With
    `exitfirst`, no variant starts after the first FAIL; those running finish. Each result
    records when it started (seconds after the run began) and on which of the `jobs` slots,
    which is what the HTML report's timeline draws.

    On Ctrl-C or SIGTERM every process of the run is killed at once, the variants still
    running are dropped (their verdicts would only describe the kill), and the run ends.
    """
    results: dict[str, Result] = {}
    began = time.monotonic()

    def attempt(variant: Variant, slot: int) -> Result:
        started = time.monotonic() - began
        result = run_variant(variant, spec, options)
        return replace(result, answers=shown_answers(variant), axes=variant.axes,
                       started=started, worker=slot)  # fmt: skip

    def done(result: Result) -> bool:
        results[result.variant] = result
        on_result(result)
        return exitfirst and result.status is Status.FAIL

    interrupted = _pool(_queue(variants, spec, first), attempt, done, jobs)
    finished = [results[v.id] for v in variants if v.id in results]
    not_run = () if interrupted else tuple(v.id for v in variants if v.id not in results)
    return Outcome(finished, interrupted, not_run)


def _queue(variants: Sequence[Variant], spec: SmokeSpec, first: Collection[str]) -> list[Variant]:
    """The variants in the order they start, last one first (popped from the end): last
    failures first; then longest first, as variants with services take longest, and a long
    one started last would run alone at the end."""

    def services(v: Variant) -> int:
        return len(needed(spec.services, {**v.axes, **v.context}))

    queue = sorted(variants, key=lambda v: (v.id not in first, -services(v)))
    queue.reverse()
    return queue


def _pool(
    queue: list[Variant],
    attempt: Callable[[Variant, int], Result],
    done: Callable[[Result], bool],
    jobs: int,
) -> int | None:
    """Run `attempt` on the queue's variants, at most `jobs` at once, each on a free slot;
    `done` sees each result, and True from it starts no more. The exit status of the signal
    that interrupted the run, if one did (every process of the run is then killed)."""
    free = list(range(max(1, jobs)))
    running: dict[Future[Result], int] = {}
    with ThreadPoolExecutor(max_workers=len(free), thread_name_prefix="variant") as pool:
        try:
            while queue or running:
                while queue and free:  # started here, one per free slot: -x stops in time
                    slot = free.pop(0)
                    running[pool.submit(attempt, queue.pop(), slot)] = slot
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    free.append(running.pop(future))
                    free.sort()
                    if done(future.result()):
                        queue.clear()
        except (KeyboardInterrupt, reaper.Interrupted) as exc:
            reaper.kill_everything()
            wait(running, timeout=_DRAIN_TIMEOUT)
            return exc.status if isinstance(exc, reaper.Interrupted) else 130
    return None
