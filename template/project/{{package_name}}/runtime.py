"""Starting and stopping the app: the job provider, the HTTP server and the queue worker.

SIGINT and SIGTERM both stop it gracefully: the server stops taking requests and finishes
open ones, the worker stops taking jobs and finishes running ones, then the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from starlette.applications import Starlette

from .config import Config
from .jobs import Jobs
from .server import bind_socket, serve
from .web import create_app
from .workers import DRAIN_TIMEOUT, check_queue_provider, job_provider, needs_worker, run_worker

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class Services:
    """What a started app is made of."""

    jobs: Jobs
    app: Starlette


@contextlib.asynccontextmanager
async def services(config: Config, stop: asyncio.Event, *, worker: bool) -> AsyncIterator[Services]:
    """Open the job provider and build the web app; with `worker`, also run the queue worker.

    On exit: `stop` is set, the worker finishes its running jobs, the provider is closed.
    """
    provider = job_provider(config)
    await provider.open()
    try:
        jobs = Jobs(provider.broker, provider.store)
        app = create_app(jobs, {"queue": provider.check})
        consumer = asyncio.create_task(run_worker(provider.broker, stop)) if worker else None
        if consumer is not None:  # a worker that ends on its own stops the app; its error surfaces
            consumer.add_done_callback(lambda _: stop.set())
        logger.info("jobs: %s%s", provider.description, ", worker running" if worker else "")
        try:
            yield Services(jobs=jobs, app=app)
        finally:
            stop.set()
            if consumer is not None:
                await consumer
            await provider.drain(DRAIN_TIMEOUT)
    finally:
        await provider.close()


async def start(config: Config, *, server: bool, worker: bool) -> None:
    """Run the server, the worker, or both, until SIGINT or SIGTERM."""
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
    sock = bind_socket(config.server.binding, config.server.port) if server else None
    stop = asyncio.Event()
    with _stop_on_signals(stop):
        try:
            async with services(config, stop, worker=worker and queued) as started:
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
