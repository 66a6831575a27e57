"""Sqlite queue provider: jobs wait in a table of a local database file; no server to run.

`SqliteBroker` is a small taskiq broker: `kick` inserts a row, `listen` claims the oldest free
row and hands it over as an ackable message, the ack deletes it. A job interrupted by a stop is
released at once; a claim older than `claim_timeout` (its worker died) is free again, so a job
is run at least once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path

import aiosqlite
from taskiq import AckableMessage, AsyncBroker, BrokerMessage

from ..errors import ConfigError
from ..jobs import Job
from . import QueueUnavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS taskiq_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data BLOB NOT NULL,
    claimed_at REAL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    result TEXT,
    updated_at REAL NOT NULL
);
"""
_CLAIM = """
UPDATE taskiq_queue SET claimed_at = ?
WHERE id = (
    SELECT id FROM taskiq_queue WHERE claimed_at IS NULL OR claimed_at < ? ORDER BY id LIMIT 1
)
RETURNING id, data
"""


def sqlite_path(uri: str) -> Path:
    """`sqlite:///data/q.sqlite3` is relative to the working folder; `sqlite:////srv/q` is not."""
    path = uri.removeprefix("sqlite:///")
    if path == uri or not path:
        raise ConfigError(f"queue.uri {uri!r}: expected sqlite:///<path to a database file>")
    return Path(path)


class SqliteDatabase:
    """One connection to the queue's database file, opened on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise RuntimeError(f"{self.path} is not open")
        return self._conn

    async def open(self) -> None:
        """Create the file and its tables if needed, in WAL mode so processes can share it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, timeout=10, isolation_level=None)
        async with self._conn.execute("PRAGMA journal_mode=WAL") as cursor:
            await cursor.fetchall()
        await self._conn.executescript(SCHEMA)

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


class SqliteBroker(AsyncBroker):
    """A taskiq broker on one Sqlite table, shared by every process that opens the file."""

    def __init__(
        self, db: SqliteDatabase, *, poll_interval: float = 0.2, claim_timeout: float = 300.0
    ) -> None:
        super().__init__()
        self.db = db
        self.poll_interval = poll_interval
        self.claim_timeout = claim_timeout
        self._claimed: set[int] = set()

    async def kick(self, message: BrokerMessage) -> None:
        """Add a message to the queue."""
        await self.db.conn.execute("INSERT INTO taskiq_queue (data) VALUES (?)", (message.message,))

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Yield claimed messages, polling while the queue is empty."""
        while True:
            claim = asyncio.ensure_future(self._claim())
            try:
                row = await asyncio.shield(claim)
            except asyncio.CancelledError:
                # Stopping: a row claimed at this very moment goes back to the queue.
                row = await claim
                if row is not None:
                    await self._release([row[0]])
                raise
            if row is None:
                await asyncio.sleep(self.poll_interval)
                continue
            self._claimed.add(row[0])
            yield AckableMessage(data=row[1], ack=self._acker(row[0]))

    async def release_unfinished(self) -> None:
        """Put the messages claimed here and never acked (their jobs were cancelled) back."""
        if self._claimed:
            await self._release(sorted(self._claimed))
            self._claimed.clear()

    async def _claim(self) -> tuple[int, bytes] | None:
        now = time.time()
        async with self.db.conn.execute(_CLAIM, (now, now - self.claim_timeout)) as cursor:
            rows = list(await cursor.fetchall())
        return (rows[0][0], rows[0][1]) if rows else None

    async def _release(self, row_ids: list[int]) -> None:
        marks = ", ".join("?" * len(row_ids))
        await self.db.conn.execute(
            f"UPDATE taskiq_queue SET claimed_at = NULL WHERE id IN ({marks})", row_ids
        )

    def _acker(self, row_id: int) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            if _cancelled():  # the job was interrupted by a stop: leave it for release
                return
            self._claimed.discard(row_id)
            await self.db.conn.execute("DELETE FROM taskiq_queue WHERE id = ?", (row_id,))

        return ack


def _cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class SqliteJobStore:
    """Job records in the queue's database, so servers and workers see the same ones."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def save(self, job: Job) -> None:
        """Create or replace a record."""
        await self.db.conn.execute(
            "INSERT OR REPLACE INTO jobs (id, status, result, updated_at) VALUES (?, ?, ?, ?)",
            (job.id, job.status, json.dumps(job.result), time.time()),
        )

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        async with self.db.conn.execute(
            "SELECT status, result FROM jobs WHERE id = ?", (job_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else Job(job_id, row[0], json.loads(row[1]))


class SqliteProvider:
    """Jobs queued in a Sqlite file; workers in any process that opens the same file run them."""

    requeue_on_stop = True

    def __init__(self, uri: str) -> None:
        self.db = SqliteDatabase(sqlite_path(uri))
        self.broker = SqliteBroker(self.db)
        self.store = SqliteJobStore(self.db)
        self.description = f"Sqlite queue {self.db.path}"

    async def open(self) -> None:
        """Open the database file (creating it) and start the broker."""
        try:
            await self.db.open()
        except (OSError, sqlite3.Error) as exc:
            raise QueueUnavailable(f"cannot open Sqlite queue {self.db.path}: {exc}") from None
        await self.broker.startup()

    async def check(self) -> None:
        """Raise if the database cannot be read."""
        async with self.db.conn.execute("SELECT 1 FROM taskiq_queue LIMIT 1") as cursor:
            await cursor.fetchall()

    async def drain(self, timeout: float) -> None:
        """Nothing to do: workers drain their own jobs."""

    async def close(self) -> None:
        """Return unfinished jobs to the queue, stop the broker and close the database."""
        try:
            await self.broker.release_unfinished()
        finally:
            await self.broker.shutdown()
            await self.db.close()
