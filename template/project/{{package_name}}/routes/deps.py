"""What handlers need from the app, typed: its services live on `request.app.state`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import cast

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..jobs import Jobs

Check = Callable[[], Awaitable[None]]


def jobs_of(request: Request) -> Jobs:
    """The app's job API."""
    return cast(Jobs, request.app.state.jobs)


def checks_of(request: Request) -> Mapping[str, Check]:
    """The readiness checks, by name."""
    return cast(Mapping[str, Check], request.app.state.checks)


def error(status: int, message: str) -> JSONResponse:
    """The JSON body every error answer has."""
    return JSONResponse({"ok": False, "error": message}, status_code=status)
