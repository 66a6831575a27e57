"""Worker modes: the queue-provider check, which job provider a mode uses, and the queue worker."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from taskiq import AsyncBroker
from taskiq.api import run_receiver_task
from taskiq.receiver import Receiver

from .config import Config, WorkerMode
from .errors import AppError
from .providers import Provider, queue_provider
from .providers.memory import MemoryProvider

logger = logging.getLogger(__name__)

DRAIN_TIMEOUT = 5.0  # seconds running jobs get to finish at stop (config: workers.drain_timeout)
MAX_CONCURRENT_JOBS = 100


class QueueProviderMissing(AppError):
    """The worker mode needs a queue provider and the configuration names none."""


def check_queue_provider(config: Config) -> None:
    """Fail at start when the worker mode needs a queue and the config has none."""
    if config.workers.mode is WorkerMode.BackgroundQueue and config.queue is None:
        raise QueueProviderMissing(
            f"workers.mode {config.workers.mode.name} needs a queue provider; add a `queue` "
            f"section (kind: Sqlite, Redis or Postgres, uri: ...) to "
            f"config/{config.environment}.yaml"
        )


def needs_worker(config: Config) -> bool:
    """Whether jobs wait in a queue for a worker, rather than running in the server process."""
    return config.workers.mode is WorkerMode.BackgroundQueue


def job_provider(config: Config) -> Provider:
    """The provider that runs this config's jobs: a queue, or the server process itself."""
    check_queue_provider(config)
    if config.workers.mode is WorkerMode.BackgroundQueue:
        assert config.queue is not None  # checked above
        return queue_provider(config.queue)
    return MemoryProvider(inplace=config.workers.mode is WorkerMode.ForegroundBlocking)


async def run_worker(
    broker: AsyncBroker, stop: asyncio.Event, *, drain_timeout: float = DRAIN_TIMEOUT
) -> None:
    """Run queued jobs until `stop` is set, then give running jobs `drain_timeout` to finish."""
    receiver_cls = _stoppable_receiver(stop, drain_timeout)
    try:
        await run_receiver_task(
            broker, receiver_cls=receiver_cls, max_async_tasks=MAX_CONCURRENT_JOBS
        )
    except asyncio.CancelledError:
        # taskiq ends its receiver loop by raising CancelledError once the receiver is done.
        task = asyncio.current_task()
        if not stop.is_set() or (task is not None and task.cancelling()):
            raise


def _stoppable_receiver(stop: asyncio.Event, drain_timeout: float) -> type[Receiver]:
    class StoppableReceiver(Receiver):
        """A Receiver that stops taking jobs once `stop` is set and lets running ones finish."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["wait_tasks_timeout"] = drain_timeout
            super().__init__(*args, **kwargs)

        async def listen(self, finish_event: asyncio.Event) -> None:
            relay = asyncio.create_task(_relay(stop, finish_event))
            try:
                await super().listen(finish_event)
            finally:
                relay.cancel()

    return StoppableReceiver


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
