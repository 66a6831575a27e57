"""Liveness (`/_ping`, `/_health`) and readiness (`/_readiness`: the database and the queue
answer, checked for real on each call)."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .deps import Check, checks_of

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0


async def ping(request: Request) -> JSONResponse:
    """The process is up and serving."""
    return JSONResponse({"ok": True})


async def readiness(request: Request) -> JSONResponse:
    """Every dependency answers; else 503 naming the ones that do not."""
    checks = checks_of(request)
    results = await asyncio.gather(*(_passes(name, check) for name, check in checks.items()))
    failing = [name for name, passed in zip(checks, results, strict=True) if not passed]
    if failing:
        return JSONResponse({"ok": False, "failing": failing}, status_code=503)
    return JSONResponse({"ok": True})


async def _passes(name: str, check: Check) -> bool:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as exc:
        logger.warning("readiness check %s failing: %s: %s", name, type(exc).__name__, exc)
        return False
    return True


routes = [
    Route("/_ping", ping),
    Route("/_health", ping),
    Route("/_readiness", readiness),
]
