"""The sample job API, mounted at `/jobs`: enqueue an echo job, read a job's record, see what
the scheduler sent."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..jobs import MAX_DELAY
from .deps import error, jobs_of

logger = logging.getLogger(__name__)


async def enqueue_echo(request: Request) -> JSONResponse:
    """POST /jobs/echo {"message": ..., "delay": seconds, "fail": bool}: 202 with the job id."""
    try:
        body = await request.json()
    except ValueError:
        return error(400, "the body must be JSON")
    if problem := _echo_problem(body):
        return error(422, problem)
    try:
        job = await jobs_of(request).enqueue_echo(
            body["message"], delay=float(body.get("delay", 0)), fail=body.get("fail") is True
        )
    except Exception as exc:
        logger.warning("could not enqueue a job: %s: %s", type(exc).__name__, exc)
        return error(503, "the job queue is unavailable")
    return JSONResponse({"id": job.id, "status": job.status}, status_code=202)


async def scheduled(request: Request) -> JSONResponse:
    """GET /jobs/scheduled: the last job the scheduler sent, by schedule name (with `start
    --all`; empty elsewhere): a periodic job's status and result show that it really ran."""
    try:
        last = await jobs_of(request).last_scheduled()
    except Exception as exc:
        logger.warning("could not read scheduled jobs: %s: %s", type(exc).__name__, exc)
        return error(503, "the job store is unavailable")
    return JSONResponse({"jobs": {name: job and job.as_json() for name, job in last.items()}})


async def get_job(request: Request) -> JSONResponse:
    """GET /jobs/{id}: the job's status and result."""
    job_id = request.path_params["job_id"]
    try:
        job = await jobs_of(request).get(job_id)
    except Exception as exc:
        logger.warning("could not read job %s: %s: %s", job_id, type(exc).__name__, exc)
        return error(503, "the job store is unavailable")
    if job is None:
        return error(404, f"no job with id {job_id}")
    return JSONResponse(job.as_json())


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


routes = [
    Route("/echo", enqueue_echo, methods=["POST"]),
    Route("/scheduled", scheduled),
    Route("/{job_id}", get_job),
]
