"""Jobs: the tasks the app can run, job records, and where those records are kept.

A job is enqueued through taskiq under an id we choose, so its record can be written as
`queued` before any worker sees it; a taskiq middleware moves it to `running`, then `done`
or `failed`, in whichever process runs it. To add a task, write an async function and add it
to TASKS; `Jobs` registers every one of them, and the scheduler may name any of them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from taskiq import AsyncBroker, TaskiqMessage, TaskiqMiddleware, TaskiqResult

logger = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "done", "failed"]

ECHO_TASK = "echo"  # task names are how servers and workers agree on what to run
MAX_DELAY = 30.0
CANCEL_TIMEOUT = 2.0  # seconds cancelled jobs get to record that they stopped


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


class EchoFailed(Exception):
    """The sample job was asked to fail."""


async def echo(message: str, delay: float = 0.0, fail: bool = False) -> str:
    """The sample job: wait `delay` seconds, then return `message` (or fail, if asked to)."""
    if delay > 0:
        await asyncio.sleep(delay)
    if fail:
        raise EchoFailed(message)
    return message


TASKS: dict[str, Callable[..., Awaitable[Any]]] = {ECHO_TASK: echo}


class JobStatusMiddleware(TaskiqMiddleware):
    """Records each job's progress in a JobStore, on the side that runs it.

    A job cancelled because the app stops is recorded `queued` when its message goes back to
    the queue (`requeue_on_stop`), else `failed`.
    """

    def __init__(self, store: JobStore, *, requeue_on_stop: bool) -> None:
        super().__init__()
        self.store = store
        self.requeue_on_stop = requeue_on_stop
        self.running: set[asyncio.Task[Any]] = set()

    async def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        """Mark the job running."""
        if (task := asyncio.current_task()) is not None:
            self.running.add(task)
        await self.store.save(Job(message.task_id, "running"))
        return message

    async def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        """Mark the job done with its return value, or failed with its error."""
        self.running.discard(asyncio.current_task())  # type: ignore[arg-type, unused-ignore]
        job_id, name = message.task_id, message.task_name
        if isinstance(result.error, asyncio.CancelledError):
            if self.requeue_on_stop:
                logger.warning("job %s (%s) interrupted by stop; back in the queue", job_id, name)
                await self.store.save(Job(job_id, "queued"))
            else:
                logger.warning("job %s (%s) interrupted by stop", job_id, name)
                await self.store.save(Job(job_id, "failed", "interrupted: the app stopped"))
            return
        if result.is_err:
            await self.store.save(Job(job_id, "failed", f"{type(result.error).__name__}: "
                                                        f"{result.error}"))  # fmt: skip
        else:
            await self.store.save(Job(job_id, "done", result.return_value))
        status = "failed" if result.is_err else "done"
        logger.info("job %s (%s) %s in %.2f s", job_id, name, status, result.execution_time)


class Jobs:
    """The app's job API, the same in every worker mode: enqueue a job, read its record."""

    def __init__(self, broker: AsyncBroker, store: JobStore, *, requeue_on_stop: bool) -> None:
        self.store = store
        self._status = JobStatusMiddleware(store, requeue_on_stop=requeue_on_stop)
        broker.add_middlewares(self._status)
        for name, function in TASKS.items():
            broker.register_task(function, task_name=name)
        self._echo = broker.find_task(ECHO_TASK)
        # The id of the last job the scheduler sent, by schedule name (`start --all` runs the
        # scheduler in this process): how one sees that periodic work really ran.
        self.scheduled: dict[str, str] = {}

    async def enqueue_echo(self, message: str, delay: float = 0.0, fail: bool = False) -> Job:
        """Enqueue the echo job; the record returned is `done` already in ForegroundBlocking."""
        assert self._echo is not None
        job = Job(id=uuid.uuid4().hex, status="queued")
        await self.store.save(job)
        await self._echo.kicker().with_task_id(job.id).kiq(message, delay=delay, fail=fail)
        return await self.store.get(job.id) or job

    async def get(self, job_id: str) -> Job | None:
        """The record of `job_id`, or None."""
        return await self.store.get(job_id)

    async def last_scheduled(self) -> dict[str, Job | None]:
        """The record of the last job the scheduler sent, by schedule name."""
        return {name: await self.store.get(job_id) for name, job_id in self.scheduled.items()}

    async def cancel_running(self) -> None:
        """Cancel the jobs this process still runs (after the drain period) and let them
        record it; their messages go back to the queue when the provider closes."""
        tasks = [task for task in self._status.running if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CANCEL_TIMEOUT)
