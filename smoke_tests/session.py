"""Running many variants: bounded parallelism, results in variant order, one working folder
that is removed afterwards whatever happens."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scaffolder.variants import Variant
from smoke_tests import reaper
from smoke_tests.result import Result
from smoke_tests.runner import RunOptions, run_variant
from smoke_tests.services import needed
from smoke_tests.spec import SmokeSpec

_DRAIN_TIMEOUT = 4.0


@contextmanager
def working_folder(keep: bool) -> Iterator[Path]:
    """A fresh folder for generated projects and their venvs, removed unless `keep`."""
    folder = Path(tempfile.mkdtemp(prefix="freshboot-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Outcome:
    """What a run produced: the results of the variants that finished, in variant order, and
    the exit status of the signal that stopped it early, if one did."""

    results: list[Result]
    interrupted: int | None = None


def run_all(
    variants: Sequence[Variant],
    spec: SmokeSpec,
    options: RunOptions,
    jobs: int,
    on_result: Callable[[Result], None] = lambda _: None,
) -> Outcome:
    """Run every variant, at most `jobs` at once; `on_result` sees each as it ends.

    On Ctrl-C or SIGTERM every process of the run is killed at once, the variants still
    running are dropped (their verdicts would only describe the kill), and the run ends.
    """
    results: dict[str, Result] = {}
    interrupted: int | None = None
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="variant") as pool:
        # Longest first: variants with services take longest, and a long one started last
        # would run alone at the end.
        order = sorted(variants, key=lambda v: -len(needed(spec.services, v.answers)))
        pending: set[Future[Result]] = {
            pool.submit(run_variant, variant, spec, options) for variant in order
        }
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    results[result.variant] = result
                    on_result(result)
        except (KeyboardInterrupt, reaper.Interrupted) as exc:
            interrupted = exc.status if isinstance(exc, reaper.Interrupted) else 130
            for future in pending:
                future.cancel()
            reaper.kill_everything()
            wait(pending, timeout=_DRAIN_TIMEOUT)
    return Outcome([results[v.id] for v in variants if v.id in results], interrupted)
