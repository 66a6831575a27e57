"""Redis queue provider: jobs wait in a Redis list (taskiq-redis), records in Redis hashes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import AckableMessage
from taskiq_redis import ListQueueBroker

from ..config import redact
from ..jobs import Job, JobStatus
from . import QueueUnavailable

logger = logging.getLogger(__name__)

QUEUE_NAME = "taskiq"
JOB_KEY = "jobs:{}"
JOB_TTL = 7 * 24 * 3600  # seconds a job record is kept
RETRY_DELAY = 1.0
MAX_CONNECTIONS = 50  # per process, for the queue broker
POP_TIMEOUT = 0.5  # seconds a pop waits (Redis 6 or newer); also the longest a stop waits


class RedisQueueBroker(ListQueueBroker):
    """taskiq-redis' list broker, made safe to stop and to lose Redis for a while.

    A pop interrupted by stopping is undone, and so is the pop of a job that a stop
    interrupted: its message goes back to the head of the queue. When Redis is unreachable it
    logs a one-line warning and retries.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unacked: dict[int, bytes] = {}
        self._taken = itertools.count()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:  # type: ignore[override]
        """Yield queued messages, oldest first."""
        while True:
            try:
                message = await self._pop()
            except RedisError as exc:
                logger.warning("Redis queue unreachable (%s); retrying", exc)
                await asyncio.sleep(RETRY_DELAY)
                continue
            if message is not None:
                number = next(self._taken)
                self._unacked[number] = message
                yield AckableMessage(data=message, ack=self._acker(number))

    async def release_unfinished(self) -> None:
        """Put the messages popped here and never acked (their jobs were cancelled) back."""
        if not self._unacked:
            return
        async with Redis(connection_pool=self.connection_pool) as conn:
            await conn.rpush(self.queue_name, *reversed(self._unacked.values()))
        self._unacked.clear()

    def _acker(self, number: int) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            task = asyncio.current_task()
            if task is None or task.cancelling() == 0:  # a cancelled job stays for release
                self._unacked.pop(number, None)

        return ack

    async def _pop(self) -> bytes | None:
        async with Redis(connection_pool=self.connection_pool) as conn:
            pop = asyncio.ensure_future(conn.brpop([self.queue_name], timeout=POP_TIMEOUT))
            try:
                item = await asyncio.shield(pop)
            except asyncio.CancelledError:
                with contextlib.suppress(RedisError):
                    if (taken := await pop) is not None:
                        await conn.rpush(self.queue_name, taken[1])
                raise
        return None if item is None else cast(bytes, item[1])


class RedisJobStore:
    """Job records as Redis hashes that expire after a week."""

    def __init__(self, client: Redis) -> None:
        self.client = client

    async def save(self, job: Job) -> None:
        """Create or replace a record."""
        key = JOB_KEY.format(job.id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": job.status, "result": json.dumps(job.result)})
            pipe.expire(key, JOB_TTL)
            await pipe.execute()

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        fields = cast(dict[bytes, bytes], await self.client.hgetall(JOB_KEY.format(job_id)))
        if not fields:
            return None
        status = cast(JobStatus, fields[b"status"].decode())
        return Job(job_id, status, json.loads(fields[b"result"]))


class RedisProvider:
    """Jobs queued in Redis; workers anywhere that reach the same Redis run them.

    A worker killed outright (SIGKILL, a crash) loses the jobs it was running: Redis lists have
    no acknowledgements. SIGINT and SIGTERM return them to the queue.
    """

    requeue_on_stop = True

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.broker = RedisQueueBroker(
            uri,
            queue_name=QUEUE_NAME,
            max_connection_pool_size=MAX_CONNECTIONS,
            socket_connect_timeout=3,
            socket_timeout=10,
        )
        self.client = Redis.from_url(uri, socket_connect_timeout=3, socket_timeout=5)
        self.store = RedisJobStore(self.client)
        self.description = f"Redis queue {redact(uri)}"

    async def open(self) -> None:
        """Check that Redis answers, then start the broker."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            await self.client.aclose()
            raise QueueUnavailable(f"cannot reach Redis at {redact(self.uri)}: {exc}") from None
        await self.broker.startup()

    async def check(self) -> None:
        """Raise unless Redis answers PING."""
        await self.client.ping()

    async def drain(self, timeout: float) -> None:
        """Nothing to do: workers drain their own jobs."""

    async def close(self) -> None:
        """Return unfinished jobs to the queue, stop the broker and close connections."""
        try:
            await self.broker.release_unfinished()
        except (RedisError, OSError) as exc:
            logger.warning("could not return unfinished jobs to the Redis queue: %s", exc)
        finally:
            await self.broker.shutdown()
            await self.client.aclose()
