"""Starting and stopping the app: what it uses (the database, if any, and the job provider),
the HTTP server, the queue worker and the scheduler.

SIGINT and SIGTERM both stop it gracefully: the server stops taking requests and finishes
open ones, the worker stops taking jobs and gives running ones `workers.drain_timeout`
seconds to finish; a job still running then is cancelled and, in a queue, goes back to it.
The process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from starlette.applications import Starlette

from .app import Check, create_app
from .config import Config
from .database import open_database
from .jobs import TASKS, Jobs
from .providers import Provider
from .scheduler import check_schedule, run_scheduler
from .server import bind_socket, serve
from .workers import check_queue_provider, job_provider, needs_worker, run_worker

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class Services:
    """What a started app is made of."""

    jobs: Jobs
    app: Starlette
    provider: Provider


@contextlib.asynccontextmanager
async def services(
    config: Config, stop: asyncio.Event, *, worker: bool, scheduler: bool = False
) -> AsyncIterator[Services]:
    """Open what the app uses and build the web app; with `worker`, also run the queue worker,
    with `scheduler` the scheduler.

    On exit: `stop` is set, running jobs get `workers.drain_timeout` seconds, then are
    cancelled (and go back to the queue, if there is one), and everything is closed.
    """
    scheduler = scheduler and bool(config.scheduled)
    if scheduler:
        check_schedule(config.scheduled, TASKS, f"config/{config.environment}.yaml")
    worker = worker and needs_worker(config)  # without a queue, jobs run where they are sent
    async with contextlib.AsyncExitStack() as stack:
        checks: dict[str, Check] = {}
        database = await open_database(config, stack)
        if database is not None:
            checks["database"] = database.check
        provider = job_provider(config)
        await provider.open()
        stack.push_async_callback(provider.close)
        if needs_worker(config):
            checks["queue"] = provider.check
        store = provider.store if database is None else database.job_store()
        jobs = Jobs(provider.broker, store, requeue_on_stop=provider.requeue_on_stop)
        app = create_app(jobs, checks)
        background = []
        if worker:
            drain = config.workers.drain_timeout
            consumer = run_worker(provider.broker, stop, drain_timeout=drain)
            background.append(asyncio.create_task(consumer))
        if scheduler:
            sending = run_scheduler(provider.broker, config.scheduled, store, stop, jobs.scheduled)
            background.append(asyncio.create_task(sending))
        for task in background:  # one that ends on its own stops the app; its error surfaces
            task.add_done_callback(lambda _: stop.set())
        what = [provider.description]
        what += ["worker running"] if worker else []
        what += ["scheduler running"] if scheduler else []
        logger.info("jobs: %s", ", ".join(what))
        stopped_at = asyncio.create_task(_when_set(stop))
        try:
            yield Services(jobs=jobs, app=app, provider=provider)
        finally:
            stop.set()
            for task in background:
                await task
            since = asyncio.get_running_loop().time() - await stopped_at
            await provider.drain(max(0.0, config.workers.drain_timeout - since))
            await jobs.cancel_running()


async def start(config: Config, *, server: bool, worker: bool, scheduler: bool = False) -> None:
    """Run the server, the worker, the scheduler, or some of them, until SIGINT or SIGTERM."""
    check_queue_provider(config)  # every start mode, before anything else
    queued = needs_worker(config)
    if not server and not queued:
        logger.info(
            "workers.mode is %s: jobs run inside the server process, there is no worker to run",
            config.workers.mode.name,
        )
        return
    logger.info(
        "starting (environment %s, workers.mode %s)", config.environment, config.workers.mode.name
    )
    if scheduler and not config.scheduled:
        logger.info("no scheduler.jobs in config/%s.yaml: nothing to schedule", config.environment)
    sock = bind_socket(config.server.binding, config.server.port) if server else None
    stop = asyncio.Event()
    with _stop_on_signals(stop):
        try:
            async with services(
                config, stop, worker=worker and queued, scheduler=scheduler
            ) as started:
                if queued and not worker:
                    logger.info("jobs wait in the queue until a worker (`start --worker`) runs")
                if sock is not None:
                    await serve(started.app, sock, stop)
                else:
                    await stop.wait()
        finally:
            if sock is not None:
                sock.close()
    logger.info("stopped")


async def _when_set(event: asyncio.Event) -> float:
    await event.wait()
    return asyncio.get_running_loop().time()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            logger.info("%s: already stopping", sig.name)
        else:
            logger.info("%s: stopping", sig.name)
            stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
