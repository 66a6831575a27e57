"""Configuration: one YAML file per environment, environment variables on top, checked at start.

Precedence, lowest first: `config/<environment>.yaml`, environment variables (`PORT`, `BINDING`,
`REDIS_URL`), command-line options. `APP_ENV` (or `-e`) picks the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ConfigError

_E = TypeVar("_E", bound=Enum)

CONFIG_DIR = Path("config")
DEFAULT_ENVIRONMENT = "development"


class WorkerMode(Enum):
    """How jobs run; the names are Loco's."""

    BackgroundAsync = "BackgroundAsync"
    BackgroundQueue = "BackgroundQueue"
    ForegroundBlocking = "ForegroundBlocking"


class QueueKind(Enum):
    """Queue providers for BackgroundQueue."""

    Sqlite = "Sqlite"
    Redis = "Redis"


_URI_SCHEMES = {
    QueueKind.Sqlite: ("sqlite:///",),
    QueueKind.Redis: ("redis://", "rediss://", "unix://"),
}


@dataclass(frozen=True)
class ServerConfig:
    """Where the HTTP server listens."""

    binding: str
    port: int


@dataclass(frozen=True)
class WorkersConfig:
    """How jobs run."""

    mode: WorkerMode


@dataclass(frozen=True)
class QueueConfig:
    """Which queue provider BackgroundQueue uses."""

    kind: QueueKind
    uri: str


@dataclass(frozen=True)
class Config:
    """The checked configuration of one environment."""

    environment: str
    server: ServerConfig
    workers: WorkersConfig
    queue: QueueConfig | None = None


def load_config(
    environment: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_dir: Path = CONFIG_DIR,
    port: int | None = None,
    binding: str | None = None,
) -> Config:
    """Read `config_dir/<environment>.yaml`, apply `env` and the given overrides, check it all."""
    env = os.environ if env is None else env
    name = environment or env.get("APP_ENV") or DEFAULT_ENVIRONMENT
    path = config_dir / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in config_dir.glob("*.yaml"))
        hint = f"environments here: {', '.join(known)}" if known else "run from the project folder"
        raise ConfigError(f"{path} not found ({hint})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {' '.join(str(exc).split())}") from None
    config = parse_config(raw, name, env, source=str(path))
    if port is not None or binding is not None:
        server = ServerConfig(
            binding=binding if binding is not None else config.server.binding,
            port=_port(port, "--port") if port is not None else config.server.port,
        )
        config = dataclasses.replace(config, server=server)
    return config


def parse_config(raw: Any, environment: str, env: Mapping[str, str], *, source: str) -> Config:
    """Check a parsed config file and apply the environment variables that override it."""
    top = _mapping(raw, "top level", source)
    _known(top, {"server", "workers", "queue"}, "", source)

    server = _mapping(top.get("server"), "server", source)
    _known(server, {"binding", "port"}, "server", source)
    binding = env.get("BINDING") or _string(server.get("binding"), "server.binding", source)
    port_value = env["PORT"] if env.get("PORT") else server.get("port")
    port = _port(port_value, "PORT" if env.get("PORT") else f"{source}: server.port")

    workers = _mapping(top.get("workers"), "workers", source)
    _known(workers, {"mode"}, "workers", source)
    mode = _choice(WorkerMode, workers.get("mode"), "workers.mode", source)

    queue = None
    if top.get("queue") is not None:
        section = _mapping(top["queue"], "queue", source)
        _known(section, {"kind", "uri"}, "queue", source)
        kind = _choice(QueueKind, section.get("kind"), "queue.kind", source)
        uri = _string(section.get("uri"), "queue.uri", source)
        if kind is QueueKind.Redis and env.get("REDIS_URL"):
            uri, source = env["REDIS_URL"], "REDIS_URL"
        if not uri.startswith(_URI_SCHEMES[kind]):
            schemes = " or ".join(_URI_SCHEMES[kind])
            raise ConfigError(f"{source}: queue.uri for {kind.name} must start with {schemes}")
        queue = QueueConfig(kind=kind, uri=uri)

    return Config(
        environment=environment,
        server=ServerConfig(binding=binding, port=port),
        workers=WorkersConfig(mode=mode),
        queue=queue,
    )


def _mapping(value: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        got = "nothing" if value is None else type(value).__name__
        raise ConfigError(f"{source}: {where} must be a mapping, got {got}")
    return {str(k): v for k, v in value.items()}


def _known(section: Mapping[str, Any], keys: set[str], where: str, source: str) -> None:
    for key in section:
        if key not in keys:
            name = f"{where}.{key}" if where else key
            raise ConfigError(f"{source}: unknown key {name} (allowed: {', '.join(sorted(keys))})")


def _string(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: {where} must be a non-empty string, got {value!r}")
    return value.strip()


def _port(value: Any, where: str) -> int:
    try:
        port = int(value) if isinstance(value, int | str) and not isinstance(value, bool) else -1
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError(f"{where} must be an integer from 0 to 65535, got {value!r}")
    return port


def _choice(kind: type[_E], value: Any, where: str, source: str) -> _E:
    for member in kind:
        if value == member.value:
            return member
    allowed = ", ".join(m.value for m in kind)
    raise ConfigError(f"{source}: {where} must be one of {allowed}, got {value!r}")
