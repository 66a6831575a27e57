"""The web app: one router per resource (`routes/`), included here, and request logging.

A new resource is one new module in `routes/` with its `routes`, added to `create_app` under
its path. Handlers reach the app's services through `request.app.state` (see `routes/deps.py`).
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .jobs import Jobs
from .routes import health, jobs
from .routes.deps import Check

__all__ = ["REQUEST_ID", "Check", "RequestLogging", "create_app"]

logger = logging.getLogger(__name__.rsplit(".", 1)[0] + ".requests")

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "x-request-id"
QUIET_PATHS = frozenset({"/_ping", "/_health", "/_readiness"})  # probes: logged at DEBUG


def create_app(job_api: Jobs, checks: Mapping[str, Check]) -> Starlette:
    """The web app. `checks` are the readiness checks, by name; each raises when failing."""
    app = Starlette(
        routes=[*health.routes, Mount("/jobs", routes=jobs.routes)],
        middleware=[Middleware(RequestLogging)],
    )
    app.state.jobs = job_api
    app.state.checks = dict(checks)
    return app


class RequestLogging:
    """One log line per request (method, path, status, duration, request id); the id is the
    caller's `X-Request-ID` if it sent one, else a new one, and is sent back in the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and log it once the answer has started."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = sent[:64] or uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
            elapsed = (time.perf_counter() - started) * 1000
            logger.log(level, "%s %s %d %.1f ms request_id=%s", scope["method"], scope["path"],
                       status, elapsed, request_id)  # fmt: skip
            REQUEST_ID.reset(token)
