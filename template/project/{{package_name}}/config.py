"""Settings: one typed class (pydantic-settings), filled from one YAML file per environment.

`APP_ENV` (or `start -e`) picks `config/<environment>.yaml`. In the file, `${NAME}` is the
environment variable NAME and must be set (start refuses, naming it, when it is not);
`${NAME:-default}` falls back to `default` when NAME is unset or empty. Variables come from the
process environment, else from a `.env` file in the folder the app starts in (see
`.env.example`). Command-line options (`-p`, `-b`) override the file. pydantic checks every
value; a wrong one is reported as one line naming the file, the key and what to write instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import yaml
from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

CONFIG_DIR = Path("config")
DOTENV = Path(".env")
DEFAULT_ENVIRONMENT = "development"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

QUEUE_SCHEMES = {
    "Sqlite": ("sqlite:///",),
    "Redis": ("redis://", "rediss://", "unix://"),
    "Postgres": ("postgresql://", "postgres://"),
}
DATABASE_SCHEMES = ("sqlite:///", "sqlite+aiosqlite:///", "postgresql://", "postgres://",
                    "postgresql+asyncpg://")  # fmt: skip


class WorkerMode(Enum):
    """How jobs run; the names are Loco's."""

    BackgroundAsync = "BackgroundAsync"
    BackgroundQueue = "BackgroundQueue"
    ForegroundBlocking = "ForegroundBlocking"


class QueueKind(Enum):
    """Queue providers for BackgroundQueue."""

    Sqlite = "Sqlite"
    Redis = "Redis"
    Postgres = "Postgres"


class Section(BaseModel):
    """A section of the file: unknown keys are errors, values never change after start."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ServerConfig(Section):
    """Where the HTTP server listens."""

    binding: str = Field(min_length=1)
    port: int = Field(ge=0, le=65535)


class WorkersConfig(Section):
    """How jobs run, and how many seconds running ones get to finish when the app stops."""

    mode: WorkerMode
    drain_timeout: float = Field(default=5.0, ge=0, le=3600)


class QueueConfig(Section):
    """Which queue provider BackgroundQueue uses."""

    kind: QueueKind
    uri: str = Field(min_length=1)

    @model_validator(mode="after")
    def _scheme(self) -> Self:
        schemes = QUEUE_SCHEMES[self.kind.value]
        if not self.uri.startswith(schemes):
            raise ValueError(f"uri for {self.kind.value} must start with {' or '.join(schemes)}, "
                             f"got {redact(self.uri)}")  # fmt: skip
        return self


class DatabaseConfig(Section):
    """The app's database, and whether `start` applies pending migrations itself."""

    uri: str = Field(min_length=1)
    auto_migrate: bool = False

    @model_validator(mode="after")
    def _scheme(self) -> Self:
        if not self.uri.startswith(DATABASE_SCHEMES):
            raise ValueError(f"uri must be a sqlite:/// or postgresql:// URL, got "
                             f"{redact(self.uri)}")  # fmt: skip
        return self


class ScheduledJob(Section):
    """A periodic job run by the scheduler (`start --all`): every N seconds, or on a cron."""

    name: str
    task: str = Field(min_length=1)
    every: int | None = Field(default=None, ge=1)
    cron: str | None = None
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_period(self) -> Self:
        if (self.every is None) == (self.cron is None):
            raise ValueError("needs exactly one of every (seconds) or cron")
        return self


class SchedulerConfig(Section):
    """`scheduler.jobs`: periodic jobs by name."""

    jobs: dict[str, ScheduledJob] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if isinstance(jobs, dict):
            named = {k: {"name": k, **v} if isinstance(v, dict) else v for k, v in jobs.items()}
            return {**data, "jobs": named}
        return data


class Config(BaseSettings):
    """The checked settings of one environment; read them with `load_config`."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    environment: str
    secret_key: str = Field(min_length=1)
    server: ServerConfig
    workers: WorkersConfig
    queue: QueueConfig | None = None
    database: DatabaseConfig | None = None
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `load_config` passes: the file, its variables filled in, and overrides."""
        return (init_settings,)

    @property
    def scheduled(self) -> tuple[ScheduledJob, ...]:
        """The periodic jobs, in file order."""
        return tuple(self.scheduler.jobs.values())


def load_config(
    environment: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_dir: Path = CONFIG_DIR,
    port: int | None = None,
    binding: str | None = None,
) -> Config:
    """Read `config_dir/<environment>.yaml` with `env` (default: the process environment, then
    `.env`), apply the command-line overrides, and check it all."""
    env = read_environment() if env is None else env
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
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (server:, workers:, ...)")
    missing: dict[str, str] = {}
    data = expand(raw, env, "", missing)
    if missing:
        first, key = min(missing.items())
        names = ", ".join(sorted(missing))
        what = f"environment variable{'s' if len(missing) > 1 else ''} {names} "
        what += "are not set" if len(missing) > 1 else "is not set"
        raise ConfigError(f"{what} ({path} reads {key} from {first}); set it and start again")
    if port is not None and not 0 <= port <= 65535:
        raise ConfigError(f"--port must be an integer from 0 to 65535, got {port}")
    server = data.get("server")
    if isinstance(server, dict):
        overrides = {"port": port, "binding": binding}
        data["server"] = {**server, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Config(environment=name, **data)
    except ValidationError as exc:
        raise ConfigError(describe(exc, str(path))) from None


def read_environment() -> dict[str, str]:
    """The process environment over the `.env` file of the working folder, if there is one."""
    dotenv = {k: v for k, v in dotenv_values(DOTENV).items() if v is not None}
    return {**dotenv, **os.environ}


def expand(
    value: Any,
    env: Mapping[str, str],
    where: str,
    missing: dict[str, str],
    everything: bool = False,
) -> Any:
    """`value` with `${NAME}` / `${NAME:-default}` filled in from `env`, at any depth; each
    needed variable that is not set (`everything`: each variable) is added to `missing`
    (name -> key path)."""
    if isinstance(value, dict):
        return {k: expand(v, env, f"{where}.{k}" if where else str(k), missing, everything)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [expand(v, env, f"{where}[{i}]", missing, everything) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is None or everything:
            missing.setdefault(name, where)
        return default or ""

    return VARIABLE.sub(substitute, value)


def variables_read(config_dir: Path = CONFIG_DIR) -> set[str]:
    """Every environment variable the app reads: APP_ENV and those the config files name."""
    missing: dict[str, str] = {}
    for path in config_dir.glob("*.yaml"):
        expand(yaml.safe_load(path.read_text(encoding="utf-8")), {}, "", missing, everything=True)
    return {"APP_ENV", *missing}


def describe(error: ValidationError, source: str) -> str:
    """pydantic's first complaint as one line: the file, the key, what is wrong, the fix."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # typos first
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    kind, message, got = first["type"], first["msg"].removeprefix("Value error, "), first["input"]
    if kind == "missing":
        return f"{source}: {where} is missing; add it to the file{more}"
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(first["loc"][:-1]))
        return f"{source}: unknown key {where} (allowed: {allowed}){more}"
    if kind == "value_error":
        return f"{source}: {where + ': ' if where else ''}{message}{more}"
    shown = "nothing" if got is None else repr(got)
    return f"{source}: {where}: {message[0].lower()}{message[1:]}, got {shown}{more}"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Config
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
        for option in getattr(model, "__args__", ()):  # X | None
            if isinstance(option, type) and issubclass(option, BaseModel):
                model = option
    fields = getattr(model, "model_fields", {})
    return sorted(name for name in fields if name not in ("environment", "name"))


def redact(uri: str) -> str:
    """The URI with its password hidden, fit for logs and error messages."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri
    if not password:
        return uri
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
