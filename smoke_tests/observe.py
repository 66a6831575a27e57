"""The observation window: a started app keeps running for a while after readiness, watched by
fail_on, before it is stopped. Probes take well under a second, and a background task that
fails a moment after start (a scheduler's first send, a connection pool's first refresh)
would otherwise be stopped before it printed its error."""

from __future__ import annotations

import time
from collections.abc import Sequence

from smoke_tests.probes import check_apps
from smoke_tests.process import RunningApp
from smoke_tests.result import Phase

_TICK = 0.05  # seconds between looks: a bad line ends the window at once


def watch(apps: Sequence[RunningApp], until: float) -> None:
    """Keep the apps running until `until` (time.monotonic()); a bad line or a process that
    ends meanwhile is a FAIL in phase `quiet`, as soon as it is seen."""
    while True:
        check_apps(apps, Phase.QUIET, "while it was being observed after readiness")
        left = until - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(_TICK, left))
