"""In-process jobs: asyncio tasks (BackgroundAsync) or inline calls (ForegroundBlocking)."""

from __future__ import annotations

import asyncio
import logging

from taskiq import InMemoryBroker

from ..jobs import MemoryJobStore

logger = logging.getLogger(__name__)


class MemoryProvider:
    """Runs jobs in this process; there is no queue to reach and no worker to start."""

    requeue_on_stop = False  # no queue: a job still running after the drain period is lost

    def __init__(self, *, inplace: bool) -> None:
        self.broker = InMemoryBroker(await_inplace=inplace)
        self.store = MemoryJobStore()
        self.description = "in-process, inline" if inplace else "in-process, asyncio tasks"

    async def open(self) -> None:
        """Start the broker."""
        await self.broker.startup()

    async def check(self) -> None:
        """Always ready: nothing outside the process is needed."""

    async def drain(self, timeout: float) -> None:
        """Let running jobs finish, for up to `timeout` seconds."""
        try:
            await asyncio.wait_for(asyncio.shield(self.broker.wait_all()), timeout)
        except TimeoutError:
            logger.warning("jobs still running after %.1f s are cancelled", timeout)

    async def close(self) -> None:
        """Stop the broker."""
        await self.broker.shutdown()
