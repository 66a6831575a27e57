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
from smoke_tests import resolution
from smoke_tests.exits import Exits, parse_exits
from smoke_tests.probe_spec import Probe, parse_probe
from smoke_tests.resolution import RESOLUTION_AXIS
from smoke_tests.spec_checks import Command, SpecError, Where

__all__ = [
    "PYTHON_AXIS", "SMOKE_FILE", "AxisValue", "Command", "Generate", "Probe", "ServiceSpec",
    "SmokeSpec", "SpecError", "Step", "Stop", "load_spec", "parse_spec",
]  # fmt: skip

SMOKE_FILE = "smoke.yaml"
_TOP_KEYS = {
    "axes", "pin", "exclude", "include", "ids",  # the matrix: read by scaffolder.variants
    "install", "setup", "env", "run", "port", "services", "ready", "fail_on", "probes", "stop",
    "python", "workdir",
    "generate", "tasks", "resolution",
}  # fmt: skip
_AXIS_KEYS = {"when", "setup", "run", "env", "probes", "stop", "python", "resolution"}
PYTHON_AXIS = "python"  # the implicit axis of a `python:` list
_SERVICE_KINDS = ("redis", "postgres")


@dataclass(frozen=True)
class Step:
    """A command of `install`, `setup` or `run`, and the folder it runs in: `cwd` is relative
    to the project root (None: smoke.yaml's `workdir`, else the root). A set-up step runs only
    when `when` holds; a run command or set-up step with `exits` must end by itself."""

    command: Command
    when: str | None = None
    cwd: str | None = None
    exits: Exits | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """A throwaway server some variants need, and the variables that point the app at it."""

    name: str
    when: str | None
    env: Mapping[str, str]
    version: str | None = None  # a constraint on the server's version (templated)


@dataclass(frozen=True)
class AxisValue:
    """One value of a boot-time axis: when it applies and what it changes."""

    when: str | None = None
    setup: tuple[Step, ...] | None = None  # replaces the top-level setup
    run: tuple[Step, ...] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    probes: tuple[Probe, ...] | None = None  # replaces the top-level probes
    stop: Mapping[str, Any] = field(default_factory=dict)  # keys over the top-level stop
    python: str | None = None  # replaces the top-level python
    resolution: str | None = None  # replaces the top-level resolution (a dependency horizon)


@dataclass(frozen=True)
class Stop:
    """How the app is stopped and how it must end."""

    signal: signal.Signals = signal.SIGINT
    grace: float = 10.0
    exit: int = 0


@dataclass(frozen=True)
class Generate:
    """How a generated project is checked: for unrendered Copier expressions (`markers`),
    except in the files the `ignore` globs match (relative to the project root)."""

    markers: bool = True
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmokeSpec:
    """A template's smoke.yaml, checked."""

    path: Path
    raw: Mapping[str, Any]  # as read, plus the implicit python axis: for scaffolder.variants
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
    generate: Generate = Generate()
    skip_tasks: bool = False  # `tasks: skip`: copier's skip_tasks, no --trust needed for _tasks
    resolution: str | None = None  # the dependency horizon (smoke_tests.resolution); None: highest
    secrets: frozenset[str] = frozenset()  # env names marked `secret: true` (masked everywhere)

    def with_axes(self, chosen: Mapping[str, str]) -> SmokeSpec:
        """This spec as one variant runs it: the chosen axis values' overrides applied."""
        run, env, probes, stop = self.run, dict(self.env), self.probes, self.stop
        setup, python, resolution = self.setup, self.python, self.resolution
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
        return dataclasses.replace(
            self, setup=setup, run=run, env=env, probes=probes, stop=stop, python=python,
            resolution=resolution,
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
        lines = _key_lines(yaml.compose(text, Loader=BoundedLoader), "")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise SpecError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if override and isinstance(raw, dict):
        raw = {**raw, **override}
    return parse_spec(raw, path, lines)


def _key_lines(node: yaml.Node | None, prefix: str) -> dict[str, int]:
    """Line numbers of every key path (`probes[1].get`) so errors can point at the line."""
    found: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            found[path] = key.start_mark.line + 1
            found.update(_key_lines(value, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}[{i}]"
            found[path] = item.start_mark.line + 1
            found.update(_key_lines(item, path))
    return found


def parse_spec(raw: Any, path: Path, lines: Mapping[str, int] | None = None) -> SmokeSpec:
    """Check a parsed smoke.yaml and turn it into a SmokeSpec."""
    at = Where(path, lines or {})
    top = at.mapping(raw, "")
    at.known(top, _TOP_KEYS, "")
    axes = {
        name: _axis(at, values, f"axes.{name}")
        for name, values in at.mapping(top.get("axes", {}), "axes").items()
    }
    run = _steps(at, top.get("run", []), "run", _RUN_KEYS)
    if not run and not any(v.run for values in axes.values() for v in values.values()):
        raise SpecError(
            f"{path}: 'run' is missing; give the start command, e.g. run: [[app, start]]"
        )
    ready = at.mapping(top.get("ready"), "ready")
    at.known(ready, {"http", "timeout"}, "ready")
    python, raw = top.get("python"), top
    if isinstance(python, list):
        axes[PYTHON_AXIS], raw = _python_axis(at, top)
        python = None
    horizon = top.get(RESOLUTION_AXIS)
    if isinstance(horizon, list):
        values, raw = resolution.implicit_axis(at, raw)
        axes[RESOLUTION_AXIS] = {v: AxisValue(resolution=v) for v in values}
        horizon = None
    return SmokeSpec(
        path=path,
        raw=raw,
        python=None if python is None else at.python(python, "python"),
        install=_steps(at, top.get("install", []), "install", _COMMAND_KEYS),
        setup=_steps(at, top.get("setup", []), "setup"),
        workdir=at.folder(top["workdir"], "workdir") if "workdir" in top else None,
        port=_port(at, top["port"]) if "port" in top else None,
        env=at.env(top.get("env", {}), "env"),
        run=run,
        axes=axes,
        services=tuple(
            _service(at, name, value)
            for name, value in at.mapping(top.get("services", {}), "services").items()
        ),
        ready_path=at.app_path(ready.get("http"), "ready.http"),
        ready_timeout=at.number(ready.get("timeout", 30), "ready.timeout"),
        fail_on=tuple(
            at.regex(p, f"fail_on[{i}]")
            for i, p in enumerate(at.list(top.get("fail_on", []), "fail_on"))
        ),
        probes=tuple(
            parse_probe(at, p, f"probes[{i}]")
            for i, p in enumerate(at.list(top.get("probes", []), "probes"))
        ),
        stop=Stop(**_stop(at, top.get("stop", {}), "stop")),
        generate=_generate(at, top.get("generate", {})),
        skip_tasks=_tasks(at, top.get("tasks", "run")),
        resolution=None if horizon is None else resolution.check(at, horizon, RESOLUTION_AXIS),
        secrets=frozenset(at.secrets),  # last: every env mapping above has been read
    )


def _generate(at: Where, raw: Any) -> Generate:
    opts = at.mapping(raw, "generate")
    at.known(opts, {"markers", "ignore"}, "generate")
    markers = opts.get("markers", True)
    if not isinstance(markers, bool):
        raise at.bad("generate.markers", f"expected true or false, got {markers!r}")
    ignore = tuple(
        at.string(glob, f"generate.ignore[{i}]")
        for i, glob in enumerate(at.list(opts.get("ignore", []), "generate.ignore"))
    )
    return Generate(markers=markers, ignore=ignore)


def _tasks(at: Where, value: Any) -> bool:
    """`tasks: run | skip`; whether the template's _tasks are skipped."""
    if value not in ("run", "skip"):
        raise at.bad("tasks", f"expected run or skip, got {value!r}")
    return bool(value == "skip")


def _stop(at: Where, raw: Any, where: str) -> dict[str, Any]:
    """The stop keys given (checked), to build a Stop or to override one."""
    opts = at.mapping(raw, where)
    at.known(opts, {"signal", "grace", "exit"}, where)
    checked: dict[str, Any] = {}
    if "signal" in opts:
        checked["signal"] = at.signal(opts["signal"], f"{where}.signal")
    if "grace" in opts:
        checked["grace"] = at.number(opts["grace"], f"{where}.grace")
    if "exit" in opts:
        value = opts["exit"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise at.bad(f"{where}.exit", f"expected a whole number (e.g. 0 or -15), got {value!r}")
        checked["exit"] = value
    return checked


def _axis(at: Where, values: Any, where: str) -> dict[str, AxisValue]:
    if isinstance(values, list):
        return {at.string(v, where): AxisValue() for v in values}
    result = {}
    for name, options in at.mapping(values, where).items():
        opts = at.mapping(options or {}, f"{where}.{name}")
        at.known(opts, _AXIS_KEYS, f"{where}.{name}")
        result[str(name)] = AxisValue(
            when=opts.get("when"),
            setup=_steps(at, opts["setup"], f"{where}.{name}.setup") if "setup" in opts else None,
            run=_steps(at, opts["run"], f"{where}.{name}.run", _RUN_KEYS)
            if "run" in opts
            else None,
            env=at.env(opts.get("env", {}), f"{where}.{name}.env"),
            probes=tuple(
                parse_probe(at, probe, f"{where}.{name}.probes[{i}]")
                for i, probe in enumerate(at.list(opts["probes"], f"{where}.{name}.probes"))
            )
            if "probes" in opts
            else None,
            stop=_stop(at, opts.get("stop", {}), f"{where}.{name}.stop"),
            python=at.python(opts["python"], f"{where}.{name}.python")
            if "python" in opts
            else None,
            resolution=resolution.check(at, opts["resolution"], f"{where}.{name}.resolution")
            if "resolution" in opts
            else None,
        )
    return result


def _python_axis(at: Where, top: Mapping[str, Any]) -> tuple[dict[str, AxisValue], Any]:
    """A `python:` list is an axis named python whose values each set the interpreter; the
    matrix keys (read by scaffolder.variants) gain it, and ids a `py` segment for each value
    but the first (the default, which has none, as for any axis)."""
    values = [at.python(v, f"python[{i}]") for i, v in enumerate(at.list(top["python"], "python"))]
    if not values or len(set(values)) < len(values):
        raise at.bad("python", 'expected distinct interpreters, e.g. ["3.12", "3.13"]')
    axes = at.mapping(top.get("axes", {}), "axes")
    if PYTHON_AXIS in axes:
        raise at.bad("axes.python", "a python list already makes this axis; rename one of them")
    pin = at.mapping(top.get("pin") or {}, "pin").get(PYTHON_AXIS, values)
    pinned = {str(p) for p in (pin if isinstance(pin, list) else [pin])}
    ids = at.mapping(top.get("ids") or {}, "ids")
    named = {v: f"py{v}" for v in values[1:] if v in pinned and "{" not in v}
    named.update(at.mapping(ids.get(PYTHON_AXIS) or {}, "ids.python"))
    raw = {**top, "axes": {**axes, PYTHON_AXIS: values}, "ids": {**ids, PYTHON_AXIS: named}}
    return {v: AxisValue(python=v) for v in values}, raw


_COMMAND_KEYS = frozenset({"command", "cwd"})
_RUN_KEYS = frozenset({"command", "cwd", "exits"})
_STEP_KEYS = frozenset({"command", "cwd", "when", "exits"})


def _steps(
    at: Where, value: Any, where: str, keys: frozenset[str] = _STEP_KEYS
) -> tuple[Step, ...]:
    """Commands, each a list or `{command: [...], cwd: DIR}`, in setup also with `when: EXPR`
    (as copier's own `_tasks`); a single command may be given as a flat list."""
    items = at.list(value, where)
    if items and not isinstance(items[0], list | dict):
        items = [items]
    steps = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            steps.append(Step(at.command(item, f"{where}[{i}]")))
            continue
        opts = at.mapping(item, f"{where}[{i}]")
        at.known(opts, set(keys), f"{where}[{i}]")
        if "command" not in opts:
            raise at.bad(f"{where}[{i}]", "'command' is missing, e.g. command: [app, db, migrate]")
        when, cwd = opts.get("when"), opts.get("cwd")
        steps.append(
            Step(
                at.command(opts["command"], f"{where}[{i}].command"),
                None if when is None else at.string(when, f"{where}[{i}].when"),
                None if cwd is None else at.folder(cwd, f"{where}[{i}].cwd"),
                parse_exits(at, opts["exits"], f"{where}[{i}].exits") if "exits" in opts else None,
            )
        )
    return tuple(steps)


def _port(at: Where, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise at.bad("port", f"expected a TCP port number (1-65535), got {value!r}")
    return value


def _service(at: Where, name: str, value: Any) -> ServiceSpec:
    where = f"services.{name}"
    if name not in _SERVICE_KINDS:
        raise at.bad(where, f"unknown service; known: {', '.join(_SERVICE_KINDS)}")
    opts = at.mapping(value or {}, where)
    at.known(opts, {"when", "env", "version"} if name == "postgres" else {"when", "env"}, where)
    when = opts.get("when")
    return ServiceSpec(
        name=name,
        when=None if when is None else str(when),
        env=at.env(opts.get("env", {}), f"{where}.env"),
        version=at.version(opts["version"], f"{where}.version") if "version" in opts else None,
    )
