"""What every throwaway server has in common: the Service it yields (a URL and its parts), and
`serve`, which starts a server on the executor, waits until it answers, and stops it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from signal import SIGTERM, Signals
from typing import Any
from urllib.parse import unquote, urlsplit

import psutil

from smoke_tests.executor import Executor, StartFailed
from smoke_tests.result import Phase, error

START_TIMEOUT = 10.0
STOP_GRACE = 5.0
INSTALL_HINTS = {
    "redis": "install it (Debian/Ubuntu: apt-get install -y redis-server)",
    "postgres": "install it (Debian/Ubuntu: apt-get install -y postgresql)",
}
DEFAULT_PORTS = {"redis": 6379, "postgres": 5432}


@dataclass(frozen=True)
class Service:
    """A running service: its name, its URL and the parts of it, and its process id."""

    name: str
    url: str
    pid: int  # 0 for an external service, which the harness does not watch
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = field(default="", repr=False)  # masked in logs (redact.remember_url)
    database: str = ""

    @classmethod
    def at(cls, name: str, url: str, pid: int = 0) -> Service:
        """The service at `url`, its parts read from it (a part it lacks gets the default a
        client would use: port 6379 or 5432, database 0 or the user's name)."""
        parts = urlsplit(url)
        user = unquote(parts.username or "")
        try:
            port = parts.port or DEFAULT_PORTS.get(name, 0)
        except ValueError:  # not a number: an app given this URL fails on it; keep going
            port = 0
        database = unquote(parts.path.lstrip("/")) or ("0" if name == "redis" else user)
        return cls(
            name=name, url=url, pid=pid, host=parts.hostname or "", port=port, user=user,
            password=unquote(parts.password or ""), database=database,
        )  # fmt: skip

    def context(self) -> dict[str, Any]:
        """What smoke.yaml strings see as `services.<name>`."""
        return {
            "url": self.url, "host": self.host, "port": self.port, "user": self.user,
            "password": self.password, "database": self.database,
        }  # fmt: skip

    def died(self) -> bool:
        """Whether the server process the harness started has ended."""
        if not self.pid:
            return False
        try:
            return psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True


@contextmanager
def serve(
    args: Sequence[str],
    name: str,
    cwd: Path,
    ready: Callable[[], bool],
    *,
    user: str | None = None,
    stop: Signals = SIGTERM,
) -> Iterator[Executor]:
    """Run a server until the block ends: started in its own folder (copier changes the
    process-wide working directory into short-lived folders while rendering in another
    thread), recorded by pid (servers rewrite their process title over their environment, so
    their marker cannot be read back), ready when `ready()` holds; an exit or the deadline is
    the machine's fault (ERROR). Stopped with `stop` to the server alone, then killed."""
    kind = name.split("-", maxsplit=1)[0]
    server = Executor(args, cwd, os.environ, kind, user=user, record=True, signal_group=False)
    server.start()
    try:
        try:
            server.wait_until(ready, START_TIMEOUT, name)
        except StartFailed as exc:
            raise error(Phase.SERVICES, str(exc)) from None
        yield server
    finally:
        server.stop(stop, STOP_GRACE)
        server.kill()
