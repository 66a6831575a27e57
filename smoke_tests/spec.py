"""smoke.yaml: everything template-specific the harness needs, loaded into frozen values.

The harness knows nothing about any template; this file is where a template says how it is
installed, started, judged and stopped. Strings stay Jinja templates here and are rendered per
variant (answers) and per run (port, service URLs, values saved by probes).
"""

from __future__ import annotations

import dataclasses
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffolder.bounded_yaml import BoundedLoader, read_bounded
from scaffolder.errors import SpecError
from scaffolder.matrix import Matrix, When
from scaffolder.model import template_kind
from smoke_tests import resolution, spec_keys, spec_matrix
from smoke_tests.probe_spec import Probe, parse_probe
from smoke_tests.resolution import RESOLUTION_AXIS
from smoke_tests.spec_checks import Command, Where
from smoke_tests.spec_keys import Generate, ServiceSpec
from smoke_tests.spec_steps import COMMAND_KEYS, RUN_KEYS, Step, steps

__all__ = [
    "OBSERVE", "PYTHON_AXIS", "SMOKE_FILE", "AxisValue", "Command", "Generate", "Probe",
    "ServiceSpec", "SmokeSpec", "SpecError", "Step", "Stop", "load_spec", "parse_spec",
]  # fmt: skip

SMOKE_FILE = "smoke.yaml"
_TOP_KEYS = {
    "axes", "pin", "exclude", "include", "ids",  # the matrix: see smoke_tests.spec_matrix
    "install", "setup", "env", "run", "port", "services", "ready", "fail_on", "probes", "stop",
    "python", "workdir", "observe",
    "generate", "tasks", "resolution",
}  # fmt: skip
_AXIS_KEYS = {"when", "setup", "run", "env", "probes", "stop", "python", "resolution", "observe"}
PYTHON_AXIS = "python"  # the implicit axis of a `python:` list
# Seconds the app keeps running after readiness, watched by fail_on, before it is stopped: an
# error a background task logs just after start is a first-day failure too (see docs).
OBSERVE = 2.0


@dataclass(frozen=True)
class AxisValue:
    """One value of a boot-time axis: when it applies and what it changes."""

    when: When | None = None  # see scaffolder.conditions (matrix time)
    setup: tuple[Step, ...] | None = None  # replaces the top-level setup
    run: tuple[Step, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    probes: tuple[Probe, ...] | None = None  # replaces the top-level probes
    stop: Mapping[str, Any] = field(default_factory=dict)  # keys over the top-level stop
    python: str | None = None  # replaces the top-level python
    resolution: str | None = None  # replaces the top-level resolution (a dependency horizon)
    observe: float | None = None  # replaces the top-level observe


@dataclass(frozen=True)
class Stop:
    """How the app is stopped and how it must end."""

    signal: signal.Signals = signal.SIGINT
    grace: float = 10.0
    exit: int = 0


@dataclass(frozen=True)
class SmokeSpec:
    """A template's smoke.yaml, checked."""

    path: Path
    matrix: Matrix  # axes (implicit ones included), pin, exclude, include, ids: the variants
    install: tuple[Step, ...]
    env: Mapping[str, str]
    run: tuple[Step, ...]
    axes: Mapping[str, Mapping[str, AxisValue]]
    services: tuple[ServiceSpec, ...]
    ready_path: str
    ready_timeout: float
    fail_on: tuple[re.Pattern[str], ...]
    probes: tuple[Probe, ...]
    stop: Stop
    setup: tuple[Step, ...] = ()
    port: int | None = None  # the app's own fixed port; None: a free one per variant
    python: str | None = None  # the venv's interpreter (templated); None: freshboot's own
    workdir: str | None = None  # every command's folder unless it names one; None: the root
    generate: Generate = field(default_factory=Generate)
    skip_tasks: bool = False  # `tasks: skip`: copier's skip_tasks, no --trust needed for _tasks
    resolution: str | None = None  # the dependency horizon (smoke_tests.resolution); None: highest
    secrets: frozenset[str] = frozenset()  # env names marked `secret: true` (masked everywhere)
    observe: float = OBSERVE  # seconds after readiness the app runs, watched, before its stop

    def with_axes(self, chosen: Mapping[str, str]) -> SmokeSpec:
        """This spec as one variant runs it: the chosen axis values' overrides applied."""
        run, env, probes, stop = self.run, dict(self.env), self.probes, self.stop
        setup, python, resolution, observe = self.setup, self.python, self.resolution, self.observe
        for axis, value in chosen.items():
            override = self.axes.get(axis, {}).get(value)
            if override is None:
                continue
            setup = override.setup if override.setup is not None else setup
            run = override.run if override.run is not None else run
            env.update(override.env)
            probes = override.probes if override.probes is not None else probes
            stop = dataclasses.replace(stop, **override.stop)
            python = override.python if override.python is not None else python
            resolution = override.resolution or resolution
            observe = override.observe if override.observe is not None else observe
        return dataclasses.replace(
            self, setup=setup, run=run, env=env, probes=probes, stop=stop, python=python,
            resolution=resolution, observe=observe,
        )  # fmt: skip


def load_spec(template: Path, override: Mapping[str, Any] | None = None) -> SmokeSpec:
    """Read and check `template/smoke.yaml`, with `override`'s top-level keys replacing its own
    (the command line's --python and --resolution)."""
    path = template / SMOKE_FILE
    if not path.is_file():
        raise SpecError(f"{path}: not found; add a {SMOKE_FILE} that says how to boot the project")
    try:
        text = read_bounded(path).decode("utf-8")
        raw = yaml.load(text, Loader=BoundedLoader) or {}
        lines = spec_keys.key_lines(yaml.compose(text, Loader=BoundedLoader), "")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise SpecError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if override and isinstance(raw, dict):
        raw = {**raw, **override}
    spec = parse_spec(raw, path, lines)
    generate, kind = spec.generate, template_kind(template)
    extra = [k for k, v in (("command", generate.command), ("install", generate.install)) if v]
    if kind != "command" and extra:  # a template's own generator makes its projects
        keys = " and ".join(f"generate.{key}" for key in extra)
        raise Where(path, lines).bad(
            f"generate.{extra[0]}", f"{kind} makes this template's projects; remove {keys}"
        )
    return spec


def load_template_spec(template: Path, override: Mapping[str, Any] | None = None) -> SmokeSpec:
    """`load_spec` for a template about to be run or listed: one without copier.yml or
    cookiecutter.json must name the command that makes its projects."""
    spec = load_spec(template, override)
    if template_kind(template) == "command" and not spec.generate.command:
        raise SpecError(f"{spec.path}: generate.command is missing: without copier.yml or "
                        "cookiecutter.json, give the command that makes a project, e.g. "
                        "generate: {command: [uv, init, --app]}")  # fmt: skip
    return spec


def parse_spec(raw: Any, path: Path, lines: Mapping[str, int] | None = None) -> SmokeSpec:
    """Check a parsed smoke.yaml and turn it into a SmokeSpec."""
    at = Where(path, lines or {})
    top = at.mapping(raw, "")
    at.known(top, _TOP_KEYS, "")
    axes = {
        name: _axis(at, values, f"axes.{name}")
        for name, values in at.mapping(top.get("axes", {}), "axes").items()
    }
    run = steps(at, top.get("run", []), "run", RUN_KEYS)
    if not run and not any(v.run for values in axes.values() for v in values.values()):
        raise SpecError(
            f"{path}: 'run' is missing; give the start command, e.g. run: [[app, start]]"
        )
    ready = at.mapping(top.get("ready"), "ready")
    at.known(ready, {"http", "timeout"}, "ready")
    python, horizon, implicit_ids = _implicit_axes(at, top, axes)
    whens = {name: {v: o.when for v, o in values.items()} for name, values in axes.items()}
    return SmokeSpec(
        path=path,
        matrix=spec_matrix.build(at, top, whens, implicit_ids),
        python=None if python is None else at.python(python, "python"),
        install=steps(at, top.get("install", []), "install", COMMAND_KEYS),
        setup=steps(at, top.get("setup", []), "setup"),
        workdir=at.folder(top["workdir"], "workdir") if "workdir" in top else None,
        port=spec_keys.port(at, top["port"]) if "port" in top else None,
        env=at.env(top.get("env", {}), "env"),
        run=run,
        axes=axes,
        services=tuple(
            spec_keys.service(at, name, value)
            for name, value in at.mapping(top.get("services", {}), "services").items()
        ),
        ready_path=at.app_path(ready.get("http"), "ready.http"),
        ready_timeout=at.number(ready.get("timeout", 30), "ready.timeout"),
        observe=at.number(top.get("observe", OBSERVE), "observe"),
        fail_on=tuple(
            at.regex(p, f"fail_on[{i}]")
            for i, p in enumerate(at.list(top.get("fail_on", []), "fail_on"))
        ),
        probes=_probes(at, top.get("probes", []), "probes"),
        stop=Stop(**spec_keys.stop(at, top.get("stop", {}), "stop")),
        generate=spec_keys.generate(at, top.get("generate", {})),
        skip_tasks=spec_keys.tasks(at, top.get("tasks", "run")),
        resolution=None if horizon is None else resolution.check(at, horizon, RESOLUTION_AXIS),
        secrets=frozenset(at.secrets),  # last: every env mapping above has been read
    )


def _implicit_axes(
    at: Where, top: Mapping[str, Any], axes: dict[str, dict[str, AxisValue]]
) -> tuple[Any, Any, dict[str, Mapping[Any, str]]]:
    """A `python:` or `resolution:` list is an axis: added to `axes`. The top-level python and
    resolution that are left (None when a list made an axis), and the implicit axes' ids."""
    python, horizon = top.get("python"), top.get(RESOLUTION_AXIS)
    ids: dict[str, Mapping[Any, str]] = {}
    if isinstance(python, list):
        axes[PYTHON_AXIS], ids = _python_axis(at, top)
        python = None
    if isinstance(horizon, list):
        values = resolution.implicit_axis(at, top)
        axes[RESOLUTION_AXIS] = {v: AxisValue(resolution=v) for v in values}
        horizon = None
    return python, horizon, ids


def _axis(at: Where, values: Any, where: str) -> dict[str, AxisValue]:
    if isinstance(values, list):
        found = {at.string(v, where): AxisValue() for v in values}
    elif not isinstance(values, dict):
        raise at.bad(where, f"must list values or map them to options, got {values!r}")
    else:
        found = {_text(k): _axis_value(at, v, f"{where}.{_text(k)}") for k, v in values.items()}
    if not found:
        raise at.bad(where, "has no values; give it at least one")
    return found


def _text(value: Any) -> str:
    """An axis value as variants name it (a YAML boolean key `true` stays `true`)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _axis_value(at: Where, options: Any, where: str) -> AxisValue:
    opts = at.mapping(options or {}, where)
    at.known(opts, _AXIS_KEYS, where)

    def given(key: str, parse: Any) -> Any:
        return parse(opts[key], f"{where}.{key}") if key in opts else None

    return AxisValue(
        when=spec_matrix.when(at, opts.get("when"), f"{where}.when"),
        setup=given("setup", lambda v, w: steps(at, v, w)),
        run=given("run", lambda v, w: steps(at, v, w, RUN_KEYS)),
        env=at.env(opts.get("env", {}), f"{where}.env"),
        probes=given("probes", lambda v, w: _probes(at, v, w)),
        stop=spec_keys.stop(at, opts.get("stop", {}), f"{where}.stop"),
        python=given("python", at.python),
        resolution=given("resolution", lambda v, w: resolution.check(at, v, w)),
        observe=given("observe", at.number),
    )


def _probes(at: Where, value: Any, where: str) -> tuple[Probe, ...]:
    return tuple(parse_probe(at, p, f"{where}[{i}]") for i, p in enumerate(at.list(value, where)))


def _python_axis(
    at: Where, top: Mapping[str, Any]
) -> tuple[dict[str, AxisValue], dict[str, Mapping[Any, str]]]:
    """A `python:` list is an axis named python whose values each set the interpreter; the
    matrix gains it, and ids a `py` segment for each value but the first (the default, which
    has none, as for any axis). Returns the axis and its ids."""
    values = [at.python(v, f"python[{i}]") for i, v in enumerate(at.list(top["python"], "python"))]
    if not values or len(set(values)) < len(values):
        raise at.bad("python", 'expected distinct interpreters, e.g. ["3.12", "3.13"]')
    if PYTHON_AXIS in at.mapping(top.get("axes", {}), "axes"):
        raise at.bad("axes.python", "a python list already makes this axis; rename one of them")
    pin = at.mapping(top.get("pin") or {}, "pin").get(PYTHON_AXIS, values)
    pinned = {str(p) for p in (pin if isinstance(pin, list) else [pin])}
    ids = at.mapping(top.get("ids") or {}, "ids")
    named = {v: f"py{v}" for v in values[1:] if v in pinned and "{" not in v}
    named.update(at.mapping(ids.get(PYTHON_AXIS) or {}, "ids.python"))
    return {v: AxisValue(python=v) for v in values}, {PYTHON_AXIS: named}
