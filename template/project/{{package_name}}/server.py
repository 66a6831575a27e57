"""The HTTP server: uvicorn run inside our own event loop, on a socket we bind ourselves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from .errors import AppError

logger = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 3  # seconds open requests get to finish when the app stops


class BindError(AppError):
    """The configured address cannot be listened on."""


class AppServer(uvicorn.Server):
    """uvicorn's server, leaving SIGINT/SIGTERM to us and saying when it really listens."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Do nothing: the app handles signals (uvicorn would re-raise them at exit)."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then log the address; the socket is bound and accepting by now."""
        await super().startup(sockets=sockets)
        if self.started and sockets:
            logger.info("listening on %s", url_of(sockets[0]))


def bind_socket(binding: str, port: int) -> socket.socket:
    """A listening TCP socket on `binding:port`; a taken port is a BindError, not a traceback."""
    try:
        family = socket.getaddrinfo(binding, port, type=socket.SOCK_STREAM)[0][0]
        # IPPROTO_TCP, not 0: asyncio turns Nagle off on accepted connections only for sockets
        # that say they are TCP; without it every keep-alive request waits ~40 ms for an ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((binding, port))
            sock.listen(2048)
        except BaseException:
            sock.close()
            raise
        return sock
    except socket.gaierror as exc:
        raise BindError(f"cannot listen on {binding}:{port}: {exc.strerror}") from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise BindError(f"cannot listen on {binding}:{port}: {reason}") from None


def url_of(sock: socket.socket) -> str:
    """The http:// URL a bound socket answers on."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def serve(app: ASGIApp, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve `app` on `sock` until `stop` is set, then finish open requests and return."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        use_colors=False,
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT,
    )
    server = AppServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopping.cancel()
        await serving
