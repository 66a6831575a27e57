"""HTTP endpoints: liveness, readiness, and the sample job API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .jobs import MAX_DELAY, Jobs

logger = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT = 2.0


def create_app(jobs: Jobs, checks: Mapping[str, Check]) -> Starlette:
    """The web app. `checks` are the readiness checks, by name; each raises when failing."""

    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def readiness(request: Request) -> JSONResponse:
        results = await asyncio.gather(*(_passes(name, check) for name, check in checks.items()))
        failing = [name for name, passed in zip(checks, results, strict=True) if not passed]
        if failing:
            return JSONResponse({"ok": False, "failing": failing}, status_code=503)
        return JSONResponse({"ok": True})

    async def enqueue_echo(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON")
        problem = _echo_problem(body)
        if problem:
            return _error(422, problem)
        try:
            job = await jobs.enqueue_echo(
                body["message"], delay=float(body.get("delay", 0)), fail=body.get("fail") is True
            )
        except Exception as exc:
            logger.warning("could not enqueue a job: %s: %s", type(exc).__name__, exc)
            return _error(503, "the job queue is unavailable")
        return JSONResponse({"id": job.id, "status": job.status}, status_code=202)

    async def get_job(request: Request) -> JSONResponse:
        job_id = request.path_params["job_id"]
        try:
            job = await jobs.get(job_id)
        except Exception as exc:
            logger.warning("could not read job %s: %s: %s", job_id, type(exc).__name__, exc)
            return _error(503, "the job store is unavailable")
        if job is None:
            return _error(404, f"no job with id {job_id}")
        return JSONResponse(job.as_json())

    return Starlette(
        routes=[
            Route("/_ping", ping),
            Route("/_health", ping),
            Route("/_readiness", readiness),
            Route("/jobs/echo", enqueue_echo, methods=["POST"]),
            Route("/jobs/{job_id}", get_job),
        ]
    )


async def _passes(name: str, check: Check) -> bool:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as exc:
        logger.warning("readiness check %s failing: %s: %s", name, type(exc).__name__, exc)
        return False
    return True


def _echo_problem(body: Any) -> str | None:
    """What is wrong with an echo request body, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return 'expected {"message": "<text>"}, optionally "delay" (seconds) and "fail" (true)'
    if not isinstance(body.get("fail", False), bool):
        return '"fail" must be true or false'
    delay = body.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_DELAY:
        return f"delay must be a number of seconds from 0 to {MAX_DELAY:g}"
    return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)
