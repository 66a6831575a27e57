"""Commands that must end by themselves: smoke.yaml's `exits:` on a `run` command or a `setup`
step (`start --worker` in a worker mode with no queue must say so and exit 0), parsed, watched
and judged here so spec.py, judge.py and environment.py each only hand over.

A run command with `exits` starts with the others, under the same `fail_on`; it is judged in
phase `boot` once the app is ready (or at once when nothing else runs): it must have ended
within `within` seconds of its start, with `status`, having printed a line that matches
`output`. A set-up step with `exits` is judged the same way in phase `setup`.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect

from smoke_tests import reaper
from smoke_tests.process import RunningApp, describe
from smoke_tests.result import Phase, error, fail
from smoke_tests.spec_steps import Exits, Step


def exit_problem(
    exits: Exits, command: str, status: int | None, matched: bool, last: str
) -> str | None:
    """The one-line reason a command broke its `exits`, naming what was expected and what
    came; None when it kept it. `status` None: it was still running at the deadline."""
    if status is None:
        came = f"it was still running after {exits.within:g} s"
    elif status != exits.status:
        came = f"it exited with status {status}"
    elif not matched:
        came = "no output line matched"
    else:
        return None
    return f"{command} was to end by itself with {exits.expected()}; {came} (last output: {last})"


class EndingApp(RunningApp):
    """A run command that must end by itself: a RunningApp that also remembers when it started
    and whether a line matched its `exits.output`."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        log: Path,
        fail_on: Sequence[re.Pattern[str]],
        exits: Exits,
    ) -> None:
        self.exits = exits
        self.matched = exits.output is None
        self.started = time.monotonic()
        super().__init__(command, cwd, env, log, fail_on)

    def _take(self, raw: str) -> None:
        super()._take(raw)
        pattern = self.exits.output
        if not self.matched and pattern is not None:
            with self._lock:
                line = self._tail[-1] if self._tail else ""
            self.matched = pattern.search(line) is not None


def serving(apps: Sequence[RunningApp]) -> list[RunningApp]:
    """The apps that keep running until stopped (readiness, probes and the stop are theirs)."""
    return [app for app in apps if not isinstance(app, EndingApp)]


def judge_ending(apps: Sequence[RunningApp], phase: Phase = Phase.BOOT) -> None:
    """Wait for each command that must end by itself, up to its deadline, and FAIL the first
    that broke its `exits` or printed a `fail_on` line; one still running is ended here."""
    for app in apps:
        if not isinstance(app, EndingApp):
            continue
        deadline = app.started + app.exits.within
        status = app.wait(max(0.0, deadline - time.monotonic()))  # ended: all output read
        problem = exit_problem(
            app.exits, shlex.join(app.command), status, app.matched, app.last_line()
        )
        if problem is not None:  # first: its last line shows a fail_on line that came
            raise fail(phase, problem, app.excerpt())
        if app.bad_line is not None:
            raise fail(phase, *app.failure())


def check_left(apps: Sequence[RunningApp], phase: Phase = Phase.STOP, grace: float = 1.0) -> None:
    """FAIL when a command that ended by itself left a process running."""
    for app in apps:
        if not isinstance(app, EndingApp):
            continue
        late = time.monotonic() + grace
        while (left := app.survivors()) and time.monotonic() < late:
            time.sleep(0.05)
        if left:
            cmd = shlex.join(app.command)
            raise fail(phase, f"{describe(left[0])} was left running by {cmd}")


def run_ending(
    step: Step, folder: Path, variables: Mapping[str, str], log: Path, phase: Phase
) -> None:
    """Run a set-up step with `exits` and judge it (in `phase`) as a run command is; nothing
    it started is left running."""
    assert step.exits is not None
    if reaper.stopping():
        raise error(phase, "interrupted")
    try:
        app = EndingApp(step.command, folder, variables, log, (), step.exits)
    except pexpect.ExceptionPexpect as exc:
        raise fail(phase, f"cannot start {shlex.join(step.command)}: {exc}") from None
    try:
        judge_ending([app], phase)
        check_left([app], phase)
    finally:
        app.kill()
