"""One variant's first day, as a short pipeline of stages:
variant → project → services → environment → running app → judgements → result."""

from __future__ import annotations

import shlex
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.history import BASE_TAG, HEAD_TAG
from scaffolder.render import RenderError, leftover_markers, render_cached, render_project
from scaffolder.upgrade import commit_project, update_project
from scaffolder.variants import Variant
from smoke_tests import home as homes
from smoke_tests import reaper
from smoke_tests.environment import (
    Environment,
    create_environment,
    install_into,
    installed_packages,
)
from smoke_tests.judge import judge_app, timed
from smoke_tests.network import Network, can_isolate, private_network, taking_turns
from smoke_tests.redact import redact
from smoke_tests.result import Phase, Result, Status, Verdict, error, fail
from smoke_tests.services import Service, ServiceMode, needed, running_services
from smoke_tests.spec import Command, SmokeSpec
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
    upgrade: Upgrade | None = None  # generate from an older template, then `copier update`
    with_specs: tuple[str, ...] = ()  # requirements installed over each project's own


@dataclass(frozen=True)
class Upgrade:
    """Where the older template is: a repository holding it at BASE_TAG and the template under
    test at HEAD_TAG (see scaffolder.history), and the ref the user named."""

    repo: Path
    ref: str
    baseline: SmokeSpec | None = None  # the older template's smoke.yaml, if it had one


def repro_command(options: RunOptions, variant: Variant) -> str:
    """One line that reproduces this variant alone, with the options that change what runs."""
    words = ["freshboot", "smoke", "--template", str(options.template), "--variant", variant.id]
    if options.upgrade is not None:
        words += ["--upgrade-from", options.upgrade.ref]
    for spec in options.with_specs:
        words += ["--with", spec]
    if options.trust:
        words.append("--trust")
    return shlex.join(words)


def run_variant(variant: Variant, spec: SmokeSpec, options: RunOptions) -> Result:
    """Generate, install, boot, judge and stop one variant; never raises for a verdict."""
    log = options.out / f"{variant.id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    started = time.monotonic()
    phase, excerpt = Phase.GENERATE, tuple[str, ...]()
    expired = threading.Event()
    installed: tuple[str, ...] = ()
    try:
        with reaper.scope(variant.id, options.timeout) as expired:
            installed = _stages(variant, spec.with_axes(variant.axes), options, log, timings)
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
        log=log if log.exists() else None, repro=repro_command(options, variant),
        installed=installed,
    )  # fmt: skip


def _stages(
    variant: Variant, spec: SmokeSpec, options: RunOptions, log: Path, timings: dict[str, float]
) -> tuple[str, ...]:
    with ExitStack() as stack:
        with timed(timings, "render"):
            project: Path = _generate(options, variant)
        home = project.parent / "home"  # fresh, beside the project: see smoke_tests.home
        home.mkdir(exist_ok=True)
        stack.callback(homes.note, home, log)  # last: once every process of it has ended
        network = _network(spec, options, stack)
        with timed(timings, "services"):
            wanted = needed(spec.services, variant.answers)
            services = stack.enter_context(
                running_services(wanted, options.services, options.cache)
            )
        context: dict[str, Any] = {
            **variant.answers,
            "services": {name: {"url": s.url} for name, s in services.items()},
        }
        install = [*render_all(spec.install, context), *_with_steps(options.with_specs)]
        envs = options.cache / "envs" if options.cache else None
        with timed(timings, "environment"), _on_host(network):
            env = create_environment(project, install, log, envs, home)
        if options.upgrade is not None:
            try:
                baseline = (options.upgrade.baseline or spec).with_axes(variant.axes)
                _judge_watching(services, baseline, env, context, log, timings, network)
            except Verdict as verdict:
                verdict.reason = f"baseline (template at {options.upgrade.ref}): {verdict.reason}"
                raise
            with timed(timings, "upgrade"):
                _update(project, options)
            with timed(timings, "environment"), _on_host(network):
                install_into(env, install, log)
        _judge_watching(services, spec, env, context, log, timings, network)
        return installed_packages(env) if options.with_specs else ()


def _network(spec: SmokeSpec, options: RunOptions, stack: ExitStack) -> Network | None:
    """A private network for an app with a fixed port, where one can be made; an external
    service lives on the machine's network, so it rules one out."""
    if spec.port is None or options.services == "external" or not can_isolate():
        return None
    return stack.enter_context(private_network())


def _on_host(network: Network | None) -> AbstractContextManager[None]:
    return network.host() if network is not None else nullcontext()


def _judge_watching(
    services: dict[str, Service],
    spec: SmokeSpec,
    env: Environment,
    context: dict[str, Any],
    log: Path,
    timings: dict[str, float],
    network: Network | None,
) -> None:
    """judge_app, but a verdict reached after a service died is the machine's fault (ERROR).

    An app with a fixed port and no private network takes turns with the others."""
    try:
        with nullcontext() if spec.port is None or network else taking_turns(spec.port):
            judge_app(spec, env, context, services, log, timings)
    except Verdict as verdict:
        dead = [name for name, service in services.items() if service.died()]
        if dead and verdict.status is Status.FAIL:
            reason = f"the {dead[0]} service died during the run; then: {verdict.reason}"
            raise error(verdict.phase, reason, verdict.excerpt) from None
        raise


def _with_steps(specs: Sequence[str]) -> list[Command]:
    """Install each --with requirement over the project's own; a local folder is rebuilt from
    its current files every time (uv would otherwise reuse a build of an older state)."""
    if not specs:
        return []
    local = [s for s in specs if Path(s).exists()]
    steps: list[Command] = [("uv", "pip", "install", *specs)]
    steps += [("uv", "pip", "install", "--reinstall", "--no-deps", path) for path in local]
    return steps


def _update(project: Path, options: RunOptions) -> None:
    """Commit what the user has after a first day (as they must before updating), then
    `copier update` to the template under test; a failed or conflicting update is a FAIL."""
    assert options.upgrade is not None
    try:
        commit_project(project, "after the first day")
        conflicts = update_project(project, HEAD_TAG, trust=options.trust)
    except RenderError as exc:
        raise fail(Phase.UPGRADE, str(exc)) from None
    if conflicts:
        raise fail(
            Phase.UPGRADE,
            f"copier update from {options.upgrade.ref} conflicts in {', '.join(conflicts)}",
        )


_STAGE_PHASE = {
    "render": Phase.GENERATE,
    "services": Phase.SERVICES,
    "environment": Phase.INSTALL,
    "setup": Phase.SETUP,
    "boot": Phase.BOOT,
    "checks": Phase.PROBE,
    "stop": Phase.STOP,
    "upgrade": Phase.UPGRADE,
}


def _phase(timings: dict[str, float]) -> Phase:
    """The phase of the stage that was running last."""
    return _STAGE_PHASE[next(reversed(timings))] if timings else Phase.GENERATE


def _generate(options: RunOptions, variant: Variant) -> Path:
    dest = options.workdir / variant.id / "project"
    try:
        if options.upgrade is not None:
            render_project(
                options.upgrade.repo, variant.answers, dest, trust=options.trust, vcs_ref=BASE_TAG
            )
            commit_project(dest, f"generated from the template at {options.upgrade.ref}")
        elif options.trust or options.cache is None:
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
