"""Throwaway servers (Redis) on free loopback ports, started only for variants that need them
and always torn down."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from smoke_tests.ports import LOOPBACK, free_port
from smoke_tests.result import Phase, error, skip
from smoke_tests.spec import ServiceSpec
from smoke_tests.templating import holds

START_TIMEOUT = 10.0
INSTALL_HINTS = {"redis": "install it (Debian/Ubuntu: apt-get install -y redis-server)"}


@dataclass(frozen=True)
class Service:
    """A running service: its name, its URL, and its process id."""

    name: str
    url: str
    pid: int


def needed(specs: Sequence[ServiceSpec], answers: Mapping[str, Any]) -> list[ServiceSpec]:
    """The services this variant's answers call for."""
    return [s for s in specs if holds(s.when, answers)]


@contextmanager
def running_services(specs: Sequence[ServiceSpec]) -> Iterator[dict[str, Service]]:
    """Start each service, yield them by name, and stop them all whatever happens."""
    with ExitStack() as stack:
        yield {s.name: stack.enter_context(_STARTERS[s.name]()) for s in specs}


@contextmanager
def redis_server() -> Iterator[Service]:
    """A redis-server that keeps nothing on disk, bound to a free 127.0.0.1 port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise skip(Phase.SERVICES, f"redis-server not found on PATH; {INSTALL_HINTS['redis']}")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="freshboot-redis-") as data:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
             "--dir", data, "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_pong(proc, port)
            yield Service(name="redis", url=f"redis://{LOOPBACK}:{port}/0", pid=proc.pid)
        finally:
            _stop(proc)


def _wait_for_pong(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            last = output.strip().splitlines()[-1:] or ["no output"]
            raise error(
                Phase.SERVICES, f"redis-server exited with status {proc.returncode}: {last[0]}"
            )
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.01)
    raise error(Phase.SERVICES, f"redis-server did not answer PING within {START_TIMEOUT:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


_STARTERS = {"redis": redis_server}
