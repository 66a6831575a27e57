"""Job providers: where jobs wait and where their records live. One module per kind.

To add a queue kind (Postgres, say): add it to `config.QueueKind` with its URI schemes, write a
module here with a class that satisfies `Provider`, and map the kind to it in `queue_provider`.
"""

from __future__ import annotations

from typing import Protocol

from taskiq import AsyncBroker

from ..config import QueueConfig, QueueKind
from ..errors import AppError, ConfigError
from ..jobs import JobStore

# The extra that installs each kind's driver, and the driver's top-level module.
_EXTRAS = {QueueKind.Sqlite: ("sqlite", "aiosqlite"), QueueKind.Redis: ("redis", "redis")}


class QueueUnavailable(AppError):
    """The queue provider named in the config cannot be reached or opened."""


class Provider(Protocol):
    """What the app needs from a job provider."""

    broker: AsyncBroker
    store: JobStore
    description: str

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
        """Stop the broker and release connections."""
        ...


def queue_provider(queue: QueueConfig) -> Provider:
    """The provider for `queue.kind`; imports only the driver that kind needs."""
    extra, driver = _EXTRAS[queue.kind]
    try:
        if queue.kind is QueueKind.Sqlite:
            from .sqlite_queue import SqliteProvider

            return SqliteProvider(queue.uri)
        from .redis_queue import RedisProvider

        return RedisProvider(queue.uri)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in {driver, "taskiq_redis"}:
            raise
        raise ConfigError(
            f"queue.kind {queue.kind.name} needs the '{extra}' extra "
            f"({exc.name} is not installed): pip install '.[{extra}]'"
        ) from None
