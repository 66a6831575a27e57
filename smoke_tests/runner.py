"""One variant's first day, as a short pipeline of stages:
variant → project → services → environment → running app → judgements → result."""

from __future__ import annotations

import dataclasses
import shlex
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder.errors import RenderError, TaskFailed
from scaffolder.history import BASE_TAG, HEAD_TAG
from scaffolder.markers import SPEC_FILE
from scaffolder.model import TemplateModel
from scaffolder.render import (
    leftover_markers,
    render_cached,
    render_project,
)
from scaffolder.upgrade import commit_project, update_project
from scaffolder.variants import Variant
from smoke_tests import home as homes
from smoke_tests import interpreters, out_errors, reaper, resolution
from smoke_tests.environment import (
    Environment,
    base_variables,
    create_environment,
    install_into,
    installed_packages,
)
from smoke_tests.interpreters import Interpreter
from smoke_tests.judge import judge_app, timed
from smoke_tests.network import Network, can_isolate, private_network, taking_turns
from smoke_tests.redact import redact
from smoke_tests.result import Phase, Result, Status, Verdict, error, fail, skip
from smoke_tests.services import Service, ServiceMode, needed, running_services
from smoke_tests.spec import SmokeSpec, Step
from smoke_tests.templating import TemplateError, render, render_steps
from smoke_tests.versions import ConstraintError


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
    skip_tasks: bool = False  # --skip-tasks: copier's skip_tasks (smoke.yaml `tasks: skip` too)
    horizons: tuple[str, ...] = ()  # --python/--resolution as given, for the repro line
    model: TemplateModel | None = None  # `template`'s copier.yml as the command read it
    warned: set[str] = field(default_factory=set, compare=False, repr=False)  # once per run


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
    words += options.horizons
    if options.trust:
        words.append("--trust")
    if options.skip_tasks:
        words.append("--skip-tasks")
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
    made: dict[str, Any] = {}  # what the environment holds, recorded whatever the verdict
    try:
        with reaper.scope(variant.id, options.timeout) as expired:
            _stages(variant, spec.with_axes(variant.axes), options, log, timings, made)
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
        if isinstance(exc, OSError) and out_errors.is_out_error(exc, options.out):
            reason = out_errors.reason(exc, options.out)
        else:
            reason = f"internal error: {type(exc).__name__}: {exc}"
            excerpt = tuple(traceback.format_exc().splitlines()[-8:])
    if expired.is_set() and status is not Status.PASS:
        status, phase = Status.FAIL, _phase(timings)
        reason = f"did not finish within {options.timeout:g} s (timed out in {phase.value})"
    return Result(
        variant=variant.id, status=status, phase=phase, reason=redact(reason),
        duration=time.monotonic() - started, timings=timings,
        excerpt=tuple(redact(line) for line in excerpt),
        log=log if log.exists() else None, repro=redact(repro_command(options, variant)),
        installed=made.get("installed", ()), interpreter=made.get("interpreter", ""),
    )  # fmt: skip


def _stages(
    variant: Variant, spec: SmokeSpec, options: RunOptions, log: Path, timings: dict[str, float],
    made: dict[str, Any],
) -> None:  # fmt: skip
    answers: dict[str, Any] = {**variant.computed, **variant.answers}
    python = _interpreter(spec, answers)  # a missing one SKIPs before anything is made
    with ExitStack() as stack:
        fresh = stack.enter_context(homes.fresh_folders(options.workdir / variant.id))
        stack.callback(homes.note, fresh.home, log)  # last: once every process of it has ended
        with timed(timings, "render"):
            project: Path = _generate(options, variant, spec, log, fresh)
        network = _network(spec, options, stack)
        with timed(timings, "services"):
            wanted = [
                dataclasses.replace(s, version=render(s.version, answers)) if s.version else s
                for s in needed(spec.services, variant)
            ]
            services = stack.enter_context(
                running_services(wanted, options.services, options.cache)
            )
        context: dict[str, Any] = {
            **answers,
            "services": {name: s.context() for name, s in services.items()},
        }
        install = [
            *render_steps(spec.install, context, spec.workdir),
            *_with_steps(options.with_specs),
        ]
        envs = options.cache / "envs" if options.cache else None
        with timed(timings, "environment"), _on_host(network):
            settings = resolution.variables(spec.resolution)
            env = create_environment(project, install, log, envs, python, fresh, settings)
        made.update(interpreter=(python or interpreters.own()).version)
        made.update(installed=installed_packages(env))  # ~20 ms: for the version diff
        if options.upgrade is not None:
            try:
                baseline = (options.upgrade.baseline or spec).with_axes(variant.axes)
                _judge_watching(services, baseline, env, context, log, timings, network)
            except Verdict as verdict:
                verdict.reason = f"baseline (template at {options.upgrade.ref}): {verdict.reason}"
                raise
            with timed(timings, "upgrade"):
                _update(project, options, options.skip_tasks or spec.skip_tasks, log, fresh)
            with timed(timings, "environment"), _on_host(network):
                install_into(env, install, log)
            made.update(installed=installed_packages(env))
        _judge_watching(services, spec, env, context, log, timings, network)


def _interpreter(spec: SmokeSpec, answers: dict[str, Any]) -> Interpreter | None:
    """The interpreter smoke.yaml's `python` asks for (None: freshboot's own); one that is not
    installed here is a SKIP naming it and how to get it."""
    if spec.python is None:
        return None
    try:
        request = render(spec.python, answers).strip()
        interpreters.check_request(request)
    except (TemplateError, ConstraintError) as exc:
        raise error(Phase.INSTALL, f"smoke.yaml python: {exc}") from None
    found = interpreters.find(request)
    if found is None:
        raise skip(Phase.INSTALL, interpreters.missing_reason(request))
    return found


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


def _with_steps(specs: Sequence[str]) -> list[Step]:
    """Install each --with requirement over the project's own; a local folder is rebuilt from
    its current files every time (uv would otherwise reuse a build of an older state)."""
    if not specs:
        return []
    local = [s for s in specs if Path(s).exists()]
    steps = [Step(("uv", "pip", "install", *specs))]  # in the project root, whatever `workdir`
    steps += [Step(("uv", "pip", "install", "--reinstall", "--no-deps", p)) for p in local]
    return steps


def _update(
    project: Path, options: RunOptions, skip_tasks: bool, log: Path, fresh: homes.Fresh
) -> None:
    """Commit what the user has after a first day (as they must before updating), then
    `copier update` to the template under test; a failed or conflicting update is a FAIL.

    With tasks skipped, the cli checked both templates run no other code of their own."""
    assert options.upgrade is not None
    try:
        commit_project(project, "after the first day")
        trust = options.trust or skip_tasks
        env = reaper.marked(base_variables(project / ".venv", fresh), reaper.new_tag("upgrade"))
        conflicts = update_project(
            project, HEAD_TAG, trust=trust, skip_tasks=skip_tasks, log=log, env=env
        )
    except TaskFailed as exc:
        _note(log, f"upgrade: {exc}")
        raise fail(Phase.UPGRADE, str(exc), exc.output) from None
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


def _generate(
    options: RunOptions, variant: Variant, spec: SmokeSpec, log: Path, fresh: homes.Fresh
) -> Path:
    """Render the variant's project (a failed `_tasks` command is a FAIL with its last output
    lines), then check it for Copier expressions left unrendered."""
    dest = options.workdir / variant.id / "project"
    skip_tasks = options.skip_tasks or spec.skip_tasks
    # A template's tasks see what install commands see (uv on PATH, no Python downloads).
    env = reaper.marked(base_variables(dest / ".venv", fresh), reaper.new_tag("generate"))
    try:
        if options.upgrade is not None:
            render_project(
                options.upgrade.repo, variant.answers, dest, trust=options.trust,
                skip_tasks=skip_tasks, vcs_ref=BASE_TAG, log=log, env=env,
            )  # fmt: skip
            commit_project(dest, f"generated from the template at {options.upgrade.ref}")
        elif options.trust or options.cache is None:
            render_project(
                options.template, variant.answers, dest, trust=options.trust,
                skip_tasks=skip_tasks, log=log, env=env,
            )  # fmt: skip
        else:
            render_cached(
                options.template, variant.answers, dest, options.cache / "renders",
                skip_tasks=skip_tasks, log=log, env=env,
                note=lambda line: _note(log, f"generate: {line}"),
            )  # fmt: skip
    except TaskFailed as exc:
        _note(log, f"generate: {exc}")
        raise fail(Phase.GENERATE, str(exc), exc.output) from None
    except RenderError as exc:
        _note(log, f"generate: {exc}")
        raise fail(Phase.GENERATE, str(exc)) from None
    if (dest / SPEC_FILE).is_file():
        _warn_once(
            options, SPEC_FILE,
            f"freshboot: warning: the template's {SPEC_FILE} lands in every generated project; "
            f"add it to _exclude in copier.yml (or keep the project in a _subdirectory)",
        )  # fmt: skip
    if spec.generate.markers:
        leftovers = leftover_markers(dest, options.model or options.template, spec.generate.ignore)
        if leftovers:
            _note(log, "generate: unrendered Copier expressions:\n" + "\n".join(leftovers))
            raise fail(
                Phase.GENERATE,
                f"unrendered Copier expressions in {len(leftovers)} file(s) (a missing .jinja "
                f"suffix?): {leftovers[0]}",
                tuple(leftovers[:10]),
            )
    return dest


def _note(log: Path, text: str) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(text.rstrip("\n") + "\n")


_WARN_LOCK = threading.Lock()


def _warn_once(options: RunOptions, key: str, message: str) -> None:
    """One line on stderr, once per run however many variants meet it."""
    with _WARN_LOCK:
        if key in options.warned:
            return
        options.warned.add(key)
    print(message, file=sys.stderr, flush=True)
