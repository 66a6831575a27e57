"""The scheduler (`start --all`): periodic jobs declared in config, sent by taskiq's scheduler.

Each `scheduler.jobs.<name>` entry names a task (one of `jobs.TASKS`), a period (`every:
<seconds>`, first sent at start, or `cron: "<minute> <hour> <day> <month> <weekday>"`, in UTC)
and the task's keyword arguments. The scheduler only sends jobs: they run where every job runs
in this worker mode (in the process, or on a worker) and get a record like any other. Run the
scheduler in one process only, or each job is sent once per scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Collection, MutableMapping, Sequence
from datetime import UTC, datetime

import pycron
from taskiq import AsyncBroker, ScheduledTask, ScheduleSource, TaskiqScheduler
from taskiq.api import run_scheduler_task

from .config import ScheduledJob
from .errors import ConfigError
from .jobs import Job, JobStore

logger = logging.getLogger(__name__)

_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12),
                ("weekday", 0, 7))  # fmt: skip


def check_schedule(jobs: Sequence[ScheduledJob], tasks: Collection[str], source: str) -> None:
    """Fail at start on a job that names an unknown task or an invalid cron expression."""
    for job in jobs:
        where = f"{source}: scheduler.jobs.{job.name}"
        if job.task not in tasks:
            raise ConfigError(f"{where}.task: no task {job.task!r} (tasks: {', '.join(tasks)})")
        if job.cron is not None and (problem := cron_problem(job.cron)):
            raise ConfigError(f"{where}.cron: invalid cron {job.cron!r} ({problem})")


def cron_problem(cron: str) -> str | None:
    """What is wrong with a cron expression (minute hour day month weekday), or None."""
    fields = cron.split()
    if len(fields) != len(_CRON_FIELDS):
        return "expected 5 fields: minute hour day month weekday"
    for text, (name, low, high) in zip(fields, _CRON_FIELDS, strict=True):
        if not re.fullmatch(r"[A-Za-z0-9*/,-]+", text):
            return f"{name} field {text!r} has characters cron does not use"
        for number in re.findall(r"\d+", text):
            if not low <= int(number) <= high:
                return f"{name} {number} is outside {low}-{high}"
    try:
        pycron.is_now(cron, datetime.now(UTC))
    except ValueError as exc:
        return str(exc)
    return None


class ConfigScheduleSource(ScheduleSource):
    """The jobs of `scheduler.jobs`, each sent under a fresh id with a `queued` record; the
    last id sent for each is kept in `sent`, by schedule name."""

    def __init__(
        self, jobs: Sequence[ScheduledJob], store: JobStore, sent: MutableMapping[str, str]
    ) -> None:
        self.store = store
        self.sent = sent
        self.schedules = [
            ScheduledTask(
                task_name=job.task,
                labels={},
                args=[],
                kwargs=dict(job.kwargs),
                schedule_id=job.name,
                cron=job.cron,
                interval=job.every,
            )
            for job in jobs
        ]

    async def get_schedules(self) -> list[ScheduledTask]:
        """The schedules, from config (they do not change while the app runs)."""
        return list(self.schedules)

    async def pre_send(self, task: ScheduledTask) -> None:
        """Give this run its own job id and record it as queued."""
        task.task_id = uuid.uuid4().hex
        await self.store.save(Job(task.task_id, "queued"))
        self.sent[task.schedule_id] = task.task_id
        logger.info("scheduler: %s sent job %s (%s)", task.schedule_id, task.task_id,
                    task.task_name)  # fmt: skip


async def run_scheduler(
    broker: AsyncBroker,
    jobs: Sequence[ScheduledJob],
    store: JobStore,
    stop: asyncio.Event,
    sent: MutableMapping[str, str],
) -> None:
    """Send the scheduled jobs on time until `stop` is set, noting in `sent` the id of the
    last job sent for each."""
    scheduler = TaskiqScheduler(broker, [ConfigScheduleSource(jobs, store, sent)])
    for job in jobs:
        period = f"every {job.every} s" if job.every is not None else f"cron {job.cron!r} (UTC)"
        logger.info("scheduler: %s (%s) %s", job.name, job.task, period)
    running = asyncio.create_task(run_scheduler_task(scheduler))
    running.add_done_callback(lambda _: stop.set())  # it never ends by itself unless broken
    try:
        await stop.wait()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
