"""Jobs: the sample `echo` task, job records, and where those records are kept.

A job is enqueued through taskiq under an id we choose, so its record can be written as
`queued` before any worker sees it; a taskiq middleware moves it to `running`, then `done`
or `failed`, in whichever process runs it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from taskiq import AsyncBroker, TaskiqMessage, TaskiqMiddleware, TaskiqResult

logger = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed"]

ECHO_TASK = "echo"  # task names are how servers and workers agree on what to run
MAX_DELAY = 30.0


@dataclass(frozen=True)
class Job:
    """What is known about one job."""

    id: str
    status: JobStatus
    result: Any = None

    def as_json(self) -> dict[str, Any]:
        """The job as the HTTP API shows it."""
        return {"id": self.id, "status": self.status, "result": self.result}


class JobStore(Protocol):
    """Keeps job records where every process of the app can see them."""

    async def save(self, job: Job) -> None:
        """Create or replace the record of `job.id`."""
        ...

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None if there is none."""
        ...


class MemoryJobStore:
    """Job records in this process only: enough when jobs run in the server process."""

    def __init__(self, max_jobs: int = 10_000) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._max_jobs = max_jobs

    async def save(self, job: Job) -> None:
        """Create or replace a record, forgetting the oldest beyond `max_jobs`."""
        self._jobs[job.id] = job
        self._jobs.move_to_end(job.id)
        while len(self._jobs) > self._max_jobs:
            self._jobs.popitem(last=False)

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        return self._jobs.get(job_id)


class JobStatusMiddleware(TaskiqMiddleware):
    """Records each job's progress in a JobStore, on the side that runs it."""

    def __init__(self, store: JobStore) -> None:
        super().__init__()
        self.store = store

    async def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:  # type: ignore[override]
        """Mark the job running."""
        await self.store.save(Job(message.task_id, "running"))
        return message

    async def post_execute(  # type: ignore[override]
        self, message: TaskiqMessage, result: TaskiqResult[Any]
    ) -> None:
        """Mark the job done with its return value, or failed with its error."""
        if result.is_err:
            await self.store.save(Job(message.task_id, "failed", str(result.error)))
        else:
            await self.store.save(Job(message.task_id, "done", result.return_value))
        status = "failed" if result.is_err else "done"
        took = result.execution_time
        logger.info("job %s (%s) %s in %.2f s", message.task_id, message.task_name, status, took)


async def echo(message: str, delay: float = 0.0) -> str:
    """The sample job: wait `delay` seconds, then return `message`."""
    if delay > 0:
        await asyncio.sleep(delay)
    return message


class Jobs:
    """The app's job API, the same in every worker mode: enqueue a job, read its record."""

    def __init__(self, broker: AsyncBroker, store: JobStore) -> None:
        self.store = store
        broker.add_middlewares(JobStatusMiddleware(store))
        self._echo = broker.register_task(echo, task_name=ECHO_TASK)

    async def enqueue_echo(self, message: str, delay: float = 0.0) -> Job:
        """Enqueue the echo job; the record returned is `done` already in ForegroundBlocking."""
        job = Job(id=uuid.uuid4().hex, status="queued")
        await self.store.save(job)
        await self._echo.kicker().with_task_id(job.id).kiq(message, delay=delay)
        return await self.store.get(job.id) or job

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        return await self.store.get(job_id)
