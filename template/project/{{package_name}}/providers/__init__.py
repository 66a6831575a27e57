"""Job providers: where jobs wait and, without a database, where their records live.

One module per kind: `memory.py` (in-process jobs) and, in BackgroundQueue, the queue kind
this project was generated with. To add a queue kind: add it to `config.QueueKind` with its
URI schemes, write a module here with a class that satisfies `Provider`, and map the kind to
it below.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from taskiq import AsyncBroker

from ..config import QueueConfig, QueueKind
from ..errors import AppError, ConfigError
from ..jobs import JobStore

# Per kind: the module and class here, the extra that installs its driver, the driver modules.
_KINDS = {
    QueueKind.Sqlite: ("sqlite_queue", "SqliteProvider", "sqlite", {"aiosqlite"}),
    QueueKind.Redis: ("redis_queue", "RedisProvider", "redis", {"redis", "taskiq_redis"}),
    QueueKind.Postgres: ("postgres_queue", "PostgresProvider", "postgres", {"asyncpg"}),
}


class QueueUnavailable(AppError):
    """The queue provider named in the config cannot be reached or opened."""


class Provider(Protocol):
    """What the app needs from a job provider."""

    @property
    def broker(self) -> AsyncBroker:
        """The taskiq broker jobs are sent through."""
        ...

    @property
    def store(self) -> JobStore:
        """Where job records live when the app has no database."""
        ...

    @property
    def description(self) -> str:
        """What it is, for the log (passwords hidden)."""
        ...

    @property
    def requeue_on_stop(self) -> bool:
        """Whether a job interrupted by a stop goes back to a queue."""
        ...

    async def open(self) -> None:
        """Connect and start the broker; raise QueueUnavailable when that fails."""
        ...

    async def check(self) -> None:
        """Raise if the provider cannot be used right now (the readiness check)."""
        ...

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for jobs this process runs outside a worker."""
        ...

    async def close(self) -> None:
        """Return unfinished jobs to the queue, stop the broker, release connections."""
        ...


def queue_provider(queue: QueueConfig) -> Provider:
    """The provider for `queue.kind`; imports only the driver that kind needs."""
    module, name, extra, drivers = _KINDS[queue.kind]
    try:
        provider: type[Provider] = getattr(importlib.import_module(f".{module}", __name__), name)
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{module}":  # the project was generated for another kind
            raise ConfigError(
                f"queue.kind {queue.kind.name}: this project has no {module}.py provider; add "
                f"it with `copier update --data queue_provider={extra}`"
            ) from None
        if exc.name is None or exc.name.split(".")[0] not in drivers:
            raise
        raise ConfigError(
            f"queue.kind {queue.kind.name} needs the '{extra}' extra "
            f"({exc.name} is not installed): pip install '.[{extra}]'"
        ) from None
    return provider(queue.uri)  # type: ignore[call-arg]
