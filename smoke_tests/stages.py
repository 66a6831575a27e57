"""Where one variant's run is: the stage running now, set when the stage starts (so a timeout
or an internal error names the stage it interrupted), and how long each stage took."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from smoke_tests.record import STAGE_PHASE
from smoke_tests.result import Phase


class Stages:
    """The phase a run is in and its timings by stage; one per variant run."""

    def __init__(self) -> None:
        self.phase = Phase.GENERATE  # nothing has started: a failure now is in generate
        self.timings: dict[str, float] = {}


@contextmanager
def timed(stages: Stages, name: str) -> Iterator[None]:
    """Enter stage `name` (a key of record.STAGE_PHASE): until another starts, whatever ends
    the run ends it in this stage's phase. Its time is added under `name` (a stage may run
    twice: `--upgrade-from` installs and judges again)."""
    stages.phase = STAGE_PHASE[name]
    start = time.monotonic()
    try:
        yield
    finally:
        stages.timings[name] = stages.timings.get(name, 0.0) + time.monotonic() - start
