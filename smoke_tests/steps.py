"""Install and set-up steps: each command run in its folder with the project's environment,
one after another, to a zero exit status (or, with `exits`, as smoke_tests.exits judges it);
the first that does not is a FAIL naming its most telling line."""

from __future__ import annotations

import signal
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from smoke_tests import reaper
from smoke_tests.blocks import cause_of
from smoke_tests.capped_log import CappedLog
from smoke_tests.executor import Executor
from smoke_tests.exits import run_ending
from smoke_tests.redact import redact
from smoke_tests.result import Phase, error, fail
from smoke_tests.spec import Command, Step

INSTALL_TIMEOUT = 900.0


def as_step(command: Step | Command) -> Step:
    """A command as a Step (run in the project root), a Step as it is."""
    return command if isinstance(command, Step) else Step(tuple(command))


def step_folder(project: Path, step: Step, phase: Phase) -> Path:
    """The folder a (rendered) step runs in; one missing from the project is the template's
    fault, a FAIL in the step's phase."""
    if step.cwd is None:
        return project
    folder = project / step.cwd
    if not folder.is_dir():
        reason = f"cannot run {' '.join(step.command)}: no folder {step.cwd} in the project"
        raise fail(phase, reason)
    return folder


def run_steps(
    steps: Sequence[Step | Command],
    project: Path,
    variables: Mapping[str, str],
    log: Path,
    phase: Phase = Phase.INSTALL,
) -> None:
    """Run (rendered) commands in the project, each in its folder, one after another, each to
    a zero exit status; the first that fails, or outlives INSTALL_TIMEOUT, is a FAIL in
    `phase` with its last lines."""
    with log.open("a", encoding="utf-8") as out:
        for step in map(as_step, steps):
            if step.exits is None:
                _run(step, project, variables, out, phase)
            else:  # a command that must end by itself, with a status and output (exits.py)
                out.flush()
                run_ending(step, step_folder(project, step, phase), variables, log, phase)


def _run(
    command: Step, project: Path, variables: Mapping[str, str], out: TextIO, phase: Phase
) -> None:
    """Run one step, its output (secrets masked) appended to the log."""
    step = command.command
    out.write(redact(f"{command.cwd or ''}$ {' '.join(step)}\n"))
    out.flush()
    if reaper.stopping():
        raise error(phase, "interrupted")
    folder = step_folder(project, command, phase)
    proc = Executor(step, folder, variables, "install")
    try:
        proc.start()
    except FileNotFoundError:
        # A missing installer is the machine's fault; a missing command after install is the
        # project's (its own entry point, say), as a start command that cannot start is.
        verdict = error if phase is Phase.INSTALL else fail
        raise verdict(phase, f"command not found: {step[0]}") from None
    timer = threading.Timer(INSTALL_TIMEOUT, proc.signal, (signal.SIGKILL,))
    timer.start()
    try:
        tail: deque[str] = deque(maxlen=40)
        capped = CappedLog(out)
        for line in proc.stdout:
            tail.append(redact(line.rstrip("\n")))
            capped.write(tail[-1] + "\n")
        capped.finish()
        status = proc.wait()
    finally:
        timer.cancel()
        proc.kill(tree=False)  # what it left running ends with its variant
    if status != 0:
        reason = f"{' '.join(step)} exited with status {status}"
        if status == -9 and not reaper.stopping():
            reason = f"{' '.join(step)} took over {INSTALL_TIMEOUT:.0f} s"
        elif (cause := cause_of(tail)) is not None:
            reason += f": {cause}"
        raise fail(phase, redact(reason), tuple(tail))
