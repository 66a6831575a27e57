"""One variant's first day, as a short pipeline of stages:
variant → project → services → environment → running app → judgements → result."""

from __future__ import annotations

import shlex
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pexpect

from scaffolder.render import RenderError, leftover_markers, render_cached, render_project
from scaffolder.variants import Variant
from smoke_tests import reaper
from smoke_tests.environment import Environment, create_environment
from smoke_tests.ports import LOOPBACK, free_port, is_listening
from smoke_tests.probes import check_apps, run_probes, wait_ready
from smoke_tests.process import RunningApp, describe
from smoke_tests.redact import redact
from smoke_tests.result import Phase, Result, Status, Verdict, fail
from smoke_tests.services import Service, ServiceMode, needed, running_services
from smoke_tests.spec import SmokeSpec
from smoke_tests.templating import TemplateError, render_all


@dataclass(frozen=True)
class RunOptions:
    """Where a run reads its template, writes its logs, and builds its projects."""

    template: Path
    out: Path
    workdir: Path
    trust: bool = False
    cache: Path | None = None  # renders and environments kept between runs; None: no reuse
    services: ServiceMode = "auto"
    timeout: float | None = None  # seconds one variant may take in all


def repro_command(template: Path, variant: Variant) -> str:
    """One line that reproduces this variant alone."""
    return shlex.join(["freshboot", "smoke", "--template", str(template), "--variant", variant.id])


def run_variant(variant: Variant, spec: SmokeSpec, options: RunOptions) -> Result:
    """Generate, install, boot, judge and stop one variant; never raises for a verdict."""
    log = options.out / f"{variant.id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    started = time.monotonic()
    phase, excerpt = Phase.GENERATE, tuple[str, ...]()
    expired = threading.Event()
    try:
        with reaper.scope(variant.id, options.timeout) as expired:
            _stages(variant, spec.with_axes(variant.axes), options, log, timings)
        status, phase, reason = Status.PASS, Phase.DONE, ""
    except Verdict as verdict:
        status, phase, reason, excerpt = (
            verdict.status,
            verdict.phase,
            verdict.reason,
            verdict.excerpt,
        )
    except TemplateError as exc:
        status, phase, reason = Status.ERROR, _phase(timings), f"smoke.yaml: {exc}"
    except Exception as exc:  # the harness's own fault: report it, keep going with the others
        status, phase = Status.ERROR, _phase(timings)
        reason = f"internal error: {type(exc).__name__}: {exc}"
        excerpt = tuple(traceback.format_exc().splitlines()[-8:])
    if expired.is_set() and status is not Status.PASS:
        status, phase = Status.FAIL, _phase(timings)
        reason = f"did not finish within {options.timeout:g} s (timed out in {phase.value})"
    return Result(
        variant=variant.id, status=status, phase=phase, reason=redact(reason),
        duration=time.monotonic() - started, timings=timings,
        excerpt=tuple(redact(line) for line in excerpt),
        log=log if log.exists() else None, repro=repro_command(options.template, variant),
    )  # fmt: skip


def _stages(
    variant: Variant, spec: SmokeSpec, options: RunOptions, log: Path, timings: dict[str, float]
) -> None:
    with ExitStack() as stack:
        with _timed(timings, "render"):
            project: Path = _generate(options, variant)
        with _timed(timings, "services"):
            wanted = needed(spec.services, variant.answers)
            services = stack.enter_context(running_services(wanted, options.services))
        context = _context(variant, services)
        with _timed(timings, "environment"):
            envs = options.cache / "envs" if options.cache else None
            env = create_environment(project, render_all(spec.install, context), log, envs)
        with _timed(timings, "boot"):
            apps = _boot(spec, env, context, services, log, stack)
            client = stack.enter_context(httpx.Client(base_url=context["base_url"]))
            wait_ready(client, apps, spec.ready_path, spec.ready_timeout)
        with _timed(timings, "checks"):
            run_probes(client, apps, spec.probes, context)
            for app in apps:
                app.settle()
            check_apps(apps, Phase.QUIET, "while it was being checked")
        with _timed(timings, "stop"):
            _stop(spec, apps, context["port"])


_STAGE_PHASE = {
    "render": Phase.GENERATE,
    "services": Phase.SERVICES,
    "environment": Phase.INSTALL,
    "boot": Phase.BOOT,
    "checks": Phase.PROBE,
    "stop": Phase.STOP,
}


def _phase(timings: dict[str, float]) -> Phase:
    """The phase of the stage that was running last."""
    return _STAGE_PHASE[next(reversed(timings))] if timings else Phase.GENERATE


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        timings[name] = time.monotonic() - start


def _generate(options: RunOptions, variant: Variant) -> Path:
    dest = options.workdir / variant.id / "project"
    try:
        if options.trust or options.cache is None:
            render_project(options.template, variant.answers, dest, trust=options.trust)
        else:
            render_cached(options.template, variant.answers, dest, options.cache / "renders")
    except RenderError as exc:
        raise fail(Phase.GENERATE, str(exc)) from None
    leftovers = leftover_markers(dest)
    if leftovers:
        raise fail(
            Phase.GENERATE,
            f"unrendered template markers in {len(leftovers)} file(s)",
            tuple(leftovers[:10]),
        )
    return dest


def _context(variant: Variant, services: dict[str, Service]) -> dict[str, Any]:
    port = free_port()
    return {
        **variant.answers,
        "port": port,
        "base_url": f"http://{LOOPBACK}:{port}",
        "services": {name: {"url": s.url} for name, s in services.items()},
    }


def _boot(
    spec: SmokeSpec,
    env: Environment,
    context: dict[str, Any],
    services: dict[str, Service],
    log: Path,
    stack: ExitStack,
) -> list[RunningApp]:
    variables = dict(env.variables)
    variables.update(render_all(dict(spec.env), context))
    for service in spec.services:
        if service.name in services:
            variables.update(render_all(dict(service.env), context))
    apps = []
    for command in render_all(spec.run, context):
        try:
            app = RunningApp(command, env.project, variables, log, spec.fail_on)
        except pexpect.ExceptionPexpect as exc:
            raise fail(Phase.BOOT, f"cannot start {shlex.join(command)}: {exc}") from None
        stack.callback(app.kill)
        apps.append(app)
    return apps


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
            raise fail(Phase.STOP, app.bad_line, app.excerpt())
        late = time.monotonic() + 1.0
        while (left := app.survivors()) and time.monotonic() < late:
            time.sleep(0.05)
        if left:
            cmd = shlex.join(app.command)
            raise fail(Phase.STOP, f"{describe(left[0])} survived {name} to {cmd}")
    if is_listening(port):
        raise fail(Phase.STOP, f"port {port} still accepts connections after the app stopped")
