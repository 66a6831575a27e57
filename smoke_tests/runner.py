"""One variant's first day, as an object run once through a short pipeline of stages:
variant → project → services → environment → running app → judgements → result."""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path

from scaffolder.variants import Variant
from smoke_tests import home as homes
from smoke_tests import interpreters, out_errors, reaper, resolution
from smoke_tests.environment import (
    Environment,
    create_environment,
    install_into,
    installed_packages,
)
from smoke_tests.generation import generate, update
from smoke_tests.interpreters import Interpreter
from smoke_tests.judge import judge_app
from smoke_tests.network import Network, can_isolate, private_network, taking_turns
from smoke_tests.redact import redact
from smoke_tests.result import Phase, Result, Status, Verdict, error, skip
from smoke_tests.run_context import RunContext
from smoke_tests.run_options import RunOptions, Upgrade, repro_command
from smoke_tests.services import Service, needed, running_services
from smoke_tests.spec import SmokeSpec, Step
from smoke_tests.stages import Stages, timed
from smoke_tests.templating import TemplateError, render, render_steps
from smoke_tests.versions import ConstraintError

__all__ = ["RunOptions", "Upgrade", "VariantRun", "repro_command", "run_variant"]


def run_variant(variant: Variant, spec: SmokeSpec, options: RunOptions) -> Result:
    """Generate, install, boot, judge and stop one variant; never raises for a verdict."""
    return VariantRun(variant, spec, options).result()


@dataclass(frozen=True)
class _Made:
    """What the stages before judging made, which every judging pass uses."""

    project: Path
    fresh: homes.Fresh
    services: dict[str, Service]
    network: Network | None
    context: RunContext  # the answers and the running services
    install: tuple[Step, ...]
    env: Environment


class VariantRun:
    """One variant's run, as copier's Worker holds one copy's inputs and derived state: the
    variant, its smoke.yaml and the run's options; the stage it is in (set as each starts, and
    named by a timeout or an internal error); what its environment holds. Run it once."""

    def __init__(self, variant: Variant, spec: SmokeSpec, options: RunOptions) -> None:
        self.variant, self.options = variant, options
        self.spec = spec.with_axes(variant.axes)
        self.log = options.out / f"{variant.id}.log"
        self.stages = Stages()
        self.interpreter = ""  # recorded whatever the verdict, once known
        self.installed: tuple[str, ...] = ()

    def result(self) -> Result:
        """Run every stage; the verdict, reason and phase of the first judgement that does not
        hold (or of the stage a timeout or harness fault interrupted), with what was made."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.unlink(missing_ok=True)
        started = time.monotonic()
        expired = threading.Event()
        try:
            with reaper.scope(self.variant.id, self.options.timeout) as expired:
                self._stages()
            status, phase, reason, excerpt = Status.PASS, Phase.DONE, "", tuple[str, ...]()
        except Exception as exc:  # the harness's own fault is reported, the others go on
            status, phase, reason, excerpt = self._ending(exc)
        if expired.is_set() and status is not Status.PASS:
            status, phase = Status.FAIL, self.stages.phase
            reason = (
                f"did not finish within {self.options.timeout:g} s (timed out in {phase.value})"
            )
        return Result(
            variant=self.variant.id, status=status, phase=phase, reason=redact(reason),
            duration=time.monotonic() - started, timings=self.stages.timings,
            excerpt=tuple(redact(line) for line in excerpt),
            log=self.log if self.log.exists() else None,
            repro=redact(repro_command(self.options, self.variant)),
            installed=self.installed, interpreter=self.interpreter,
        )  # fmt: skip

    def _ending(self, exc: Exception) -> tuple[Status, Phase, str, tuple[str, ...]]:
        """The status, phase, reason and excerpt of a run that `exc` ended."""
        if isinstance(exc, Verdict):
            return exc.status, exc.phase, exc.reason, exc.excerpt
        phase = self.stages.phase
        if isinstance(exc, TemplateError):
            return Status.ERROR, phase, f"smoke.yaml: {exc}", ()
        if isinstance(exc, OSError) and out_errors.is_out_error(exc, self.options.out):
            return Status.ERROR, phase, out_errors.reason(exc, self.options.out), ()
        reason = f"internal error: {type(exc).__name__}: {exc}"
        return Status.ERROR, phase, reason, tuple(traceback.format_exc().splitlines()[-8:])

    def _stages(self) -> None:
        answers = RunContext.of(self.variant, self.options.template_model)
        python = _interpreter(self.spec, answers)  # a missing one SKIPs before anything is made
        with ExitStack() as stack:
            fresh = stack.enter_context(homes.fresh_folders(self.options.workdir / self.variant.id))
            stack.callback(homes.note, fresh.home, self.log)  # last: once all of it has ended
            made = self._prepare(answers, python, fresh, stack)
            if self.options.upgrade is not None:
                self._upgrade(made, self.options.upgrade)
            self._judge(self.spec, made)

    def _prepare(
        self, answers: RunContext, python: Interpreter | None, fresh: homes.Fresh,
        stack: ExitStack,
    ) -> _Made:  # fmt: skip
        """Generate the project, start its services, make its environment."""
        options, spec = self.options, self.spec
        with timed(self.stages, "render"):
            project = generate(options, self.variant, spec, self.log, fresh)
        network = _network(spec, options, stack)
        with timed(self.stages, "services"):
            wanted = [
                dataclasses.replace(s, version=render(s.version, answers)) if s.version else s
                for s in needed(spec.services, answers)
            ]
            services = stack.enter_context(
                running_services(wanted, options.services, options.cache)
            )
        context = answers.with_values(services={n: s.context() for n, s in services.items()})
        install = (
            *render_steps(spec.install, context, spec.workdir),
            *_with_steps(options.with_specs),
        )
        envs = options.cache / "envs" if options.cache else None
        with timed(self.stages, "environment"), _on_host(network):
            settings = resolution.variables(spec.resolution)
            env = create_environment(project, install, self.log, envs, python, fresh, settings)
        self.interpreter = (python or interpreters.own()).version
        self.installed = installed_packages(env)  # ~20 ms: for the version diff
        return _Made(project, fresh, services, network, context, install, env)

    def _upgrade(self, made: _Made, upgrade: Upgrade) -> None:
        """Judge the project the older template made, `copier update` it, install again."""
        try:
            self._judge((upgrade.baseline or self.spec).with_axes(self.variant.axes), made)
        except Verdict as verdict:
            verdict.reason = f"baseline (template at {upgrade.ref}): {verdict.reason}"
            raise
        skip_tasks = self.options.skip_tasks or self.spec.skip_tasks
        with timed(self.stages, "upgrade"):
            update(made.project, self.options, skip_tasks, self.log, made.fresh)
        with timed(self.stages, "environment"), _on_host(made.network):
            install_into(made.env, made.install, self.log)
        self.installed = installed_packages(made.env)

    def _judge(self, spec: SmokeSpec, made: _Made) -> None:
        """judge_app, but a verdict reached after a service died is the machine's fault (ERROR).

        An app with a fixed port and no private network takes turns with the others."""
        services = made.services
        try:
            with nullcontext() if spec.port is None or made.network else taking_turns(spec.port):
                judge_app(spec, made.env, made.context, services, self.log, self.stages)
        except Verdict as verdict:
            dead = [name for name, service in services.items() if service.died()]
            if dead and verdict.status is Status.FAIL:
                reason = f"the {dead[0]} service died during the run; then: {verdict.reason}"
                raise error(verdict.phase, reason, verdict.excerpt) from None
            raise


def _interpreter(spec: SmokeSpec, answers: RunContext) -> Interpreter | None:
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


def _with_steps(specs: Sequence[str]) -> list[Step]:
    """Install each --with requirement over the project's own; a local folder is rebuilt from
    its current files every time (uv would otherwise reuse a build of an older state)."""
    if not specs:
        return []
    local = [s for s in specs if Path(s).exists()]
    steps = [Step(("uv", "pip", "install", *specs))]  # in the project root, whatever `workdir`
    steps += [Step(("uv", "pip", "install", "--reinstall", "--no-deps", p)) for p in local]
    return steps
