"""A throwaway redis-server: keeps nothing on disk, on a free 127.0.0.1 port, ready when it
answers PING (about 20 ms)."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smoke_tests import sweep
from smoke_tests.ports import LOOPBACK, free_port
from smoke_tests.result import Phase, skip
from smoke_tests.server import INSTALL_HINTS, Service, serve


@contextmanager
def redis_server(cache: Path | None = None) -> Iterator[Service]:
    """A redis-server that keeps nothing on disk (so uses no cache), on a free 127.0.0.1 port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise skip(Phase.SERVICES, f"redis-server not found on PATH; {INSTALL_HINTS['redis']}")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="freshboot-redis-") as data:
        sweep.folder(Path(data))
        args = [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "",
                "--appendonly", "no", "--dir", data, "--loglevel", "warning"]  # fmt: skip
        with serve(args, "redis-server", Path(data), lambda: _pong(port)) as server:
            yield Service.at("redis", f"redis://{LOOPBACK}:{port}/0", server.pid)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
