"""Postgres queue provider: jobs wait in a table of a PostgreSQL database (asyncpg).

`PostgresBroker` claims the oldest free row with `FOR UPDATE SKIP LOCKED`, so any number of
workers share the queue without taking a job twice. `kick` sends a NOTIFY so idle workers wake
at once; they also poll, so a missed notification only delays a job, and jobs enqueued while
no worker was running are picked up when one starts. The ack deletes the row. A job
interrupted by a stop is released at once; a claim older than `claim_timeout` (its worker
died) is free again, so a job is run at least once. Without a database, job records live in a
table beside the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable

import asyncpg
from taskiq import AckableMessage, AsyncBroker, BrokerMessage

from ..config import redact
from ..jobs import Job
from . import QueueUnavailable

logger = logging.getLogger(__name__)

CHANNEL = "taskiq_queue"
CONNECT_TIMEOUT = 3.0
RETRY_DELAY = 1.0
SCHEMA_LOCK = 7_402_157  # advisory lock that serializes creating the tables below
SCHEMA = """
CREATE TABLE IF NOT EXISTS taskiq_queue (
    id BIGSERIAL PRIMARY KEY,
    data BYTEA NOT NULL,
    claimed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS taskiq_jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    result JSONB,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""
_CLAIM = """
UPDATE taskiq_queue SET claimed_at = now()
WHERE id = (
    SELECT id FROM taskiq_queue
    WHERE claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $1)
    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id, data
"""


class PostgresBroker(AsyncBroker):
    """A taskiq broker on one Postgres table, shared by every process that reaches it."""

    def __init__(
        self, dsn: str, *, poll_interval: float = 2.0, claim_timeout: float = 300.0
    ) -> None:
        super().__init__()
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.claim_timeout = claim_timeout
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._wake = asyncio.Event()
        self._claimed: set[int] = set()

    @property
    def pool(self) -> asyncpg.Pool:
        """The connection pool, once opened."""
        if self._pool is None:
            raise RuntimeError("the Postgres queue is not open")
        return self._pool

    async def connect(self) -> None:
        """Open the pool and create the tables if needed (one process at a time)."""
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=1, max_size=10, timeout=CONNECT_TIMEOUT, command_timeout=30
        )
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await conn.execute(SCHEMA)

    async def kick(self, message: BrokerMessage) -> None:
        """Add a message to the queue and wake a waiting worker."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO taskiq_queue (data) VALUES ($1)", message.message)
            await conn.execute(f"NOTIFY {CHANNEL}")

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Yield claimed messages, waiting for a NOTIFY (or polling) while the queue is empty."""
        await self._listen_for_kicks()  # before the first claim, so no kick falls in between
        while True:
            self._wake.clear()
            claim = asyncio.ensure_future(self._claim())
            try:
                row = await asyncio.shield(claim)
            except asyncio.CancelledError:
                # Stopping: a row claimed at this very moment goes back to the queue.
                with contextlib.suppress(asyncpg.PostgresError, OSError):
                    row = await claim
                    if row is not None:
                        await self._release([row[0]])
                raise
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                logger.warning("Postgres queue unreachable (%s); retrying", exc)
                await asyncio.sleep(RETRY_DELAY)
                continue
            if row is None:
                await self._wait()
                continue
            self._claimed.add(row[0])
            yield AckableMessage(data=row[1], ack=self._acker(row[0]))

    async def release_unfinished(self) -> None:
        """Put the messages claimed here and never acked (their jobs were cancelled) back."""
        if self._claimed:
            await self._release(sorted(self._claimed))
            self._claimed.clear()

    async def close(self) -> None:
        """Close the listening connection and the pool."""
        if self._listener is not None:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await self._listener.close(timeout=2)
            self._listener = None
        if self._pool is not None:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await asyncio.wait_for(self._pool.close(), 5)
            self._pool = None

    async def _claim(self) -> tuple[int, bytes] | None:
        row = await self.pool.fetchrow(_CLAIM, self.claim_timeout)
        return None if row is None else (row["id"], row["data"])

    async def _release(self, row_ids: list[int]) -> None:
        await self.pool.execute(
            "UPDATE taskiq_queue SET claimed_at = NULL WHERE id = ANY($1::bigint[])", row_ids
        )

    async def _listen_for_kicks(self) -> None:
        """Have NOTIFYs set `_wake`, on a connection of their own (re-opened when lost)."""
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
            await self._listener.add_listener(CHANNEL, lambda *_: self._wake.set())
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            logger.debug("cannot LISTEN (%s); polling", exc)
            self._listener = None

    async def _wait(self) -> None:
        """Until a NOTIFY arrives or `poll_interval` passes."""
        await self._listen_for_kicks()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    def _acker(self, row_id: int) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            task = asyncio.current_task()
            if task is not None and task.cancelling() > 0:  # interrupted: left for release
                return
            self._claimed.discard(row_id)
            await self.pool.execute("DELETE FROM taskiq_queue WHERE id = $1", row_id)

        return ack


class PostgresJobStore:
    """Job records in a table beside the queue, so servers and workers see the same ones."""

    def __init__(self, broker: PostgresBroker) -> None:
        self.broker = broker

    async def save(self, job: Job) -> None:
        """Create or replace a record."""
        await self.broker.pool.execute(
            "INSERT INTO taskiq_jobs (id, status, result, updated_at) "
            "VALUES ($1, $2, $3::jsonb, now()) ON CONFLICT (id) DO UPDATE "
            "SET status = EXCLUDED.status, result = EXCLUDED.result, updated_at = now()",
            job.id, job.status, json.dumps(job.result),
        )  # fmt: skip

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        row = await self.broker.pool.fetchrow(
            "SELECT status, result FROM taskiq_jobs WHERE id = $1", job_id
        )
        return None if row is None else Job(job_id, row["status"], json.loads(row["result"]))


class PostgresProvider:
    """Jobs queued in a Postgres table; workers anywhere that reach the database run them."""

    requeue_on_stop = True

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.broker = PostgresBroker(uri)
        self.store = PostgresJobStore(self.broker)
        self.description = f"Postgres queue {redact(uri)}"

    async def open(self) -> None:
        """Connect, create the queue's tables if needed, start the broker."""
        try:
            await self.broker.connect()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            await self.broker.close()
            if isinstance(exc, TimeoutError):
                reason = f"no answer within {CONNECT_TIMEOUT:g} s"
            else:
                reason = " ".join(str(exc).split()) or type(exc).__name__
            where = redact(self.uri)
            raise QueueUnavailable(f"cannot reach Postgres at {where}: {reason}") from None
        await self.broker.startup()

    async def check(self) -> None:
        """Raise unless the database answers."""
        await self.broker.pool.fetchval("SELECT 1")

    async def drain(self, timeout: float) -> None:
        """Nothing to do: workers drain their own jobs."""

    async def close(self) -> None:
        """Return unfinished jobs to the queue, stop the broker and close connections."""
        try:
            await self.broker.release_unfinished()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            logger.warning("could not return unfinished jobs to the Postgres queue: %s", exc)
        finally:
            await self.broker.shutdown()
            await self.broker.close()
