"""Parsers of the self-contained smoke.yaml keys (`generate`, `tasks`, `stop`, `port`,
`services`) and the line of every key, for smoke_tests.spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from smoke_tests.spec_checks import Where

SERVICE_KINDS = ("redis", "postgres")


@dataclass(frozen=True)
class ServiceSpec:
    """A throwaway server some variants need, and the variables that point the app at it."""

    name: str
    when: str | None
    env: Mapping[str, str]
    version: str | None = None  # a constraint on the server's version (templated)


@dataclass(frozen=True)
class Generate:
    """How a project is made and checked: for a template without copier.yml or
    cookiecutter.json, the generator `command` (run in the empty project folder) and the
    Python packages to `install` it from; for a template, whether unrendered expressions
    (`markers`) fail it, except in the files the `ignore` globs match."""

    markers: bool = True
    ignore: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    install: tuple[str, ...] = ()


def key_lines(node: yaml.Node | None, prefix: str) -> dict[str, int]:
    """Line numbers of every key path (`probes[1].get`) so errors can point at the line."""
    found: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            found[path] = key.start_mark.line + 1
            found.update(key_lines(value, path))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            path = f"{prefix}[{i}]"
            found[path] = item.start_mark.line + 1
            found.update(key_lines(item, path))
    return found


def generate(at: Where, raw: Any) -> Generate:
    opts = at.mapping(raw, "generate")
    at.known(opts, {"markers", "ignore", "command", "install"}, "generate")
    markers = opts.get("markers", True)
    if not isinstance(markers, bool):
        raise at.bad("generate.markers", f"expected true or false, got {markers!r}")
    ignore = tuple(
        at.string(glob, f"generate.ignore[{i}]")
        for i, glob in enumerate(at.list(opts.get("ignore", []), "generate.ignore"))
    )
    command = tuple(
        at.string(arg, f"generate.command[{i}]")
        for i, arg in enumerate(at.list(opts.get("command", []), "generate.command"))
    )
    if "command" in opts and not command:
        raise at.bad("generate.command", "expected a command (a list of words), got []")
    install = tuple(
        at.string(requirement, f"generate.install[{i}]")
        for i, requirement in enumerate(at.list(opts.get("install", []), "generate.install"))
    )
    return Generate(markers=markers, ignore=ignore, command=command, install=install)


def tasks(at: Where, value: Any) -> bool:
    """`tasks: run | skip`; whether the template's _tasks are skipped."""
    if value not in ("run", "skip"):
        raise at.bad("tasks", f"expected run or skip, got {value!r}")
    return bool(value == "skip")


def stop(at: Where, raw: Any, where: str) -> dict[str, Any]:
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


def port(at: Where, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise at.bad("port", f"expected a TCP port number (1-65535), got {value!r}")
    return value


def service(at: Where, name: str, value: Any) -> ServiceSpec:
    where = f"services.{name}"
    if name not in SERVICE_KINDS:
        raise at.bad(where, f"unknown service; known: {', '.join(SERVICE_KINDS)}")
    opts = at.mapping(value or {}, where)
    at.known(opts, {"when", "env", "version"} if name == "postgres" else {"when", "env"}, where)
    when = opts.get("when")
    return ServiceSpec(
        name=name,
        when=None if when is None else str(when),
        env=at.env(opts.get("env", {}), f"{where}.env"),
        version=at.version(opts["version"], f"{where}.version") if "version" in opts else None,
    )
