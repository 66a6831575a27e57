"""The running app and the judgements on it: boot, readiness over HTTP, probes, a quiet log,
and the stop (signal, exit status, grace period, no survivors, port released)."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import pexpect

from smoke_tests.environment import Environment
from smoke_tests.exits import EndingApp, check_left, judge_ending, serving
from smoke_tests.observe import watch
from smoke_tests.ports import LOOPBACK, free_port, is_listening
from smoke_tests.probes import check_apps, run_probes, wait_ready
from smoke_tests.process import RunningApp, describe
from smoke_tests.redact import redact, remember_env
from smoke_tests.result import Phase, fail
from smoke_tests.run_context import RunContext
from smoke_tests.services import Service
from smoke_tests.spec import SmokeSpec
from smoke_tests.stages import Stages, timed
from smoke_tests.steps import run_steps, step_folder
from smoke_tests.templating import holds, render_all, render_steps


def judge_app(
    spec: SmokeSpec,
    env: Environment,
    context: RunContext,
    services: dict[str, Service],
    log: Path,
    timings: Stages,
) -> None:
    """Run the set-up steps, start the app on a fresh port, prove it ready, probe it, stop it;
    raise a Verdict at the first judgement that does not hold. Every process it started is
    gone afterwards. One call is one judging pass: what its probes save stays in it."""
    port = spec.port or free_port()
    context = context.with_values(port=port, base_url=f"http://{LOOPBACK}:{port}")
    steps = [step for step in spec.setup if holds(step.when, context)]
    with timed(timings, "setup" if steps else "boot"):
        variables = _variables(spec, env, context, services)
        steps = render_steps(steps, context, spec.workdir)
        run_steps(steps, env.project, variables, log, Phase.SETUP)
    with ExitStack() as stack:
        with timed(timings, "boot"):
            started = _boot(spec, env, context, variables, log, stack)
            apps = serving(started)  # those that run until stopped; the others end by themselves
            client = stack.enter_context(httpx.Client(base_url=context["base_url"]))
            if apps:
                wait_ready(client, apps, spec.ready_path, spec.ready_timeout, _note(log))
            judge_ending(started, Phase.BOOT)
        with timed(timings, "checks"):
            observed = time.monotonic() + spec.observe  # stop at max(probes done, this)
            if apps:
                run_probes(client, apps, spec.probes, context)
            watch(apps, observed)
            for app in apps:
                app.settle()
            check_apps(apps, Phase.QUIET, "while it was being checked")
        with timed(timings, "stop"):
            _stop(spec, apps, port)
            check_left(started)


def _variables(
    spec: SmokeSpec, env: Environment, context: RunContext, services: dict[str, Service]
) -> dict[str, str]:
    """What the app's processes (and its set-up steps) see: the venv's variables, smoke.yaml's
    `env`, then each running service's."""
    given = dict(render_all(dict(spec.env), context))
    for service in spec.services:
        if service.name in services:
            given.update(render_all(dict(service.env), context))
    remember_env(given, spec.secrets)  # before any process can print them
    return {**env.variables, **given}


def _boot(
    spec: SmokeSpec,
    env: Environment,
    context: RunContext,
    variables: dict[str, str],
    log: Path,
    stack: ExitStack,
) -> list[RunningApp]:
    apps: list[RunningApp] = []
    for step in render_steps(spec.run, context, spec.workdir):
        command = step.command
        folder = step_folder(env.project, step, Phase.BOOT)
        try:
            app: RunningApp
            if step.exits is not None:
                app = EndingApp(command, folder, variables, log, spec.fail_on, step.exits)
            else:
                app = RunningApp(command, folder, variables, log, spec.fail_on)
        except pexpect.ExceptionPexpect as exc:
            raise fail(Phase.BOOT, f"cannot start {shlex.join(command)}: {exc}") from None
        stack.callback(app.kill)
        apps.append(app)
    return apps


def _note(log: Path) -> Callable[[str], None]:
    """A writer of harness notes (what readiness polling saw) into the variant's log."""

    def note(line: str) -> None:
        with log.open("a", encoding="utf-8") as out:
            out.write(redact(line) + "\n")

    return note


def _stop(spec: SmokeSpec, apps: list[RunningApp], port: int) -> None:
    stop = spec.stop
    name = stop.signal.name
    for app in apps:
        app.signal(stop.signal)
    deadline = time.monotonic() + stop.grace
    for app in apps:
        cmd = shlex.join(app.command)
        status = app.wait(max(0.0, deadline - time.monotonic()))
        if status is None:
            reason = f"{cmd} did not exit within {stop.grace:g} s of {name}"
            raise fail(Phase.STOP, reason, app.excerpt())
        if status != stop.exit:
            reason = f"{cmd} exited with status {status} on {name}; expected {stop.exit}"
            raise fail(Phase.STOP, reason, app.excerpt())
    for app in apps:
        if app.bad_line is not None:
            raise fail(Phase.STOP, *app.failure())
        late = time.monotonic() + 1.0
        while (left := app.survivors()) and time.monotonic() < late:
            time.sleep(0.05)
        if left:
            cmd = shlex.join(app.command)
            raise fail(Phase.STOP, f"{describe(left[0])} survived {name} to {cmd}")
    if is_listening(port):
        raise fail(Phase.STOP, f"port {port} still accepts connections after the app stopped")
