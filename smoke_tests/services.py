"""Throwaway servers (Redis, PostgreSQL) on free loopback ports, started only for variants that
need them and always torn down."""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import psutil

from scaffolder.cache import remove, reuse, store
from scaffolder.variants import Variant
from smoke_tests import reaper, redact, signals, sweep
from smoke_tests.ports import LOOPBACK, free_port
from smoke_tests.result import Phase, Status, Verdict, error, skip
from smoke_tests.spec import ServiceSpec
from smoke_tests.templating import holds
from smoke_tests.versions import ConstraintError, constraint, satisfies

START_TIMEOUT = 10.0
INSTALL_HINTS = {
    "redis": "install it (Debian/Ubuntu: apt-get install -y redis-server)",
    "postgres": "install it (Debian/Ubuntu: apt-get install -y postgresql)",
}
ServiceMode = Literal["auto", "require", "external"]
DEFAULT_PORTS = {"redis": 6379, "postgres": 5432}
PG_USER = "postgres"  # the superuser inside the throwaway cluster
INITDB_ARGS = ("--no-sync", "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--locale", "C")
MEMORY_TMP, MEMORY_TMP_MIN_FREE = "/dev/shm", 1 << 30  # a cluster is ~40 MB; leave room
_CLUSTER_LOCK = threading.Lock()  # one initdb for a cold cache, not one per thread


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


def needed(specs: Sequence[ServiceSpec], variant: Variant) -> list[ServiceSpec]:
    """The services this variant calls for: each `when` sees the variant's answers and
    computed values (run time, before any service starts; see scaffolder.conditions)."""
    return [s for s in specs if holds(s.when, variant.context)]


@contextmanager
def running_services(
    specs: Sequence[ServiceSpec], mode: ServiceMode = "auto", cache: Path | None = None
) -> Iterator[dict[str, Service]]:
    """Start each service, yield them by name, and stop them all whatever happens.

    `auto`: a missing server binary, or one whose version smoke.yaml rules out (checked
    before any starts), makes the variant SKIP; `require`: it is an ERROR; `external`: nothing
    is started or checked, each URL comes from `FRESHBOOT_<NAME>_URL`. A `cache` folder keeps
    what makes a server start faster (an initialised PostgreSQL cluster).
    """
    with ExitStack() as stack:
        found = {}
        try:
            for spec in specs if mode != "external" else ():
                _check_version(spec)
            for spec in specs:
                found[spec.name] = (
                    _external(spec.name)
                    if mode == "external"
                    else stack.enter_context(_STARTERS[spec.name](cache))
                )
        except Verdict as verdict:
            if mode == "require" and verdict.status is Status.SKIP:
                raise error(Phase.SERVICES, f"{verdict.reason} (--services require)") from None
            raise
        yield found


def _check_version(spec: ServiceSpec) -> None:
    """SKIP unless the machine's server satisfies smoke.yaml's `version` (rendered)."""
    if spec.version is None or spec.name != "postgres":
        return
    try:
        wanted = constraint(spec.version)
    except ConstraintError as exc:
        raise error(Phase.SERVICES, f"smoke.yaml services.postgres.version: {exc}") from None
    installed = postgres_version()
    if not satisfies(installed, wanted):
        raise skip(
            Phase.SERVICES, f"PostgreSQL {installed} is installed; smoke.yaml wants {spec.version}"
        )


def _external(name: str) -> Service:
    variable = f"FRESHBOOT_{name.upper()}_URL"
    url = os.environ.get(variable)
    if not url:
        raise error(
            Phase.SERVICES, f"--services external: set {variable} to the URL of a {name} server"
        )
    redact.remember_url(url)
    return Service.at(name, url)


def postgres_version() -> str:
    """The version of the PostgreSQL server installed here ("15.18"); SKIP if there is none."""
    said = _version(_postgres_bindir())
    found = re.search(r"\)\s*(\d+(?:\.\d+)*)", said)
    if found is None:
        raise error(Phase.SERVICES, f"cannot read the PostgreSQL version from {said!r}")
    return found[1]


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
        proc, tag = _spawn(args, "redis", Path(data))
        try:
            _wait_for(proc, "redis-server", lambda: _redis_pong(port))
            yield Service.at("redis", f"redis://{LOOPBACK}:{port}/0", proc.pid)
        finally:
            _stop(proc, tag)


def _wait_for(proc: subprocess.Popen[bytes], name: str, ready: Callable[[], bool]) -> None:
    """Poll `ready` until it holds; an exit or the deadline is the machine's fault (ERROR)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            last = output.strip().splitlines()[-1:] or ["no output"]
            raise error(Phase.SERVICES, f"{name} exited with status {proc.returncode}: {last[0]}")
        if ready():
            return
        time.sleep(0.01)
    raise error(Phase.SERVICES, f"{name} was not ready within {START_TIMEOUT:.0f} s")


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _spawn(
    args: list[str], kind: str, cwd: Path, user: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server in its own session, marked and registered with the reaper by pid too:
    redis-server and postgres rewrite their process title over their environment, so their
    marker cannot be read back, and an interrupted run must still find them.

    Every server process starts in its own folder: copier changes the process-wide working
    directory into short-lived temporary folders while rendering in another thread."""
    tag = reaper.new_tag(kind)
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, user=user, env=reaper.marked(os.environ, tag), cwd=cwd,
        preexec_fn=signals.preexec,  # noqa: PLW1509 (only sets signals)
    )  # fmt: skip
    reaper.register(tag, proc.pid)
    sweep.process(proc.pid)
    return proc, tag


def _stop(proc: subprocess.Popen[bytes], tag: str, sig: signal.Signals = signal.SIGTERM) -> None:
    reaper.unregister(tag)
    proc.send_signal(sig)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


@contextmanager
def postgres_server(cache: Path | None = None) -> Iterator[Service]:
    """A PostgreSQL cluster in a temporary folder with fsync off, on a free 127.0.0.1 port.

    initdb and postgres refuse to run as root, so as root they run as an unprivileged user.
    With a `cache`, the cluster is a copy of one initialised once: ready in about 0.1 s rather
    than 0.4 s (benchmark B5).
    """
    bindir = _postgres_bindir()
    port = free_port()
    user = _unprivileged_user()
    with tempfile.TemporaryDirectory(prefix="freshboot-pg-", dir=_cluster_tmp(user)) as root:
        sweep.folder(Path(root))
        data, sockets = Path(root, "data"), Path(root, "sockets")
        sockets.mkdir()
        if user is not None:
            shutil.chown(root, user=user)
            shutil.chown(sockets, user=user)
        if cache is None:
            _initdb(bindir, data, user)
        else:
            _copy_cluster(_prepared_cluster(bindir, user, cache), data, user)
        args = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
                "-c", f"listen_addresses={LOOPBACK}", "-c", "fsync=off",
                "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]  # fmt: skip
        proc, tag = _spawn(args, "postgres", Path(root), user)
        try:
            _wait_for(proc, "postgres", lambda: _pg_ready(bindir, port))
            yield Service.at(
                "postgres", f"postgresql://{PG_USER}@{LOOPBACK}:{port}/postgres", proc.pid
            )
        finally:
            _stop(proc, tag, signal.SIGINT)  # fast shutdown: do not wait for clients to leave


def _initdb(bindir: Path, data: Path, user: str | None) -> None:
    initdb = subprocess.run(
        [str(bindir / "initdb"), *INITDB_ARGS, "-D", str(data)],
        capture_output=True, text=True, user=user, check=False, stdin=subprocess.DEVNULL,
        cwd=data.parent, preexec_fn=signals.preexec,
    )  # fmt: skip
    if initdb.returncode != 0:
        said = " / ".join(initdb.stderr.strip().splitlines()[-3:]) or "no output"
        raise error(Phase.SERVICES, f"initdb exited with status {initdb.returncode}: {said}")


def _prepared_cluster(bindir: Path, user: str | None, cache: Path) -> Path:
    """A cluster fresh from initdb, kept in the cache under a key of the server's version,
    its binaries and initdb's options, so a changed PostgreSQL never reuses an old one."""
    key = hashlib.sha256(repr((_version(bindir), str(bindir), INITDB_ARGS)).encode()).hexdigest()
    entry = cache / "postgres" / key[:16]
    with _CLUSTER_LOCK:
        if not (reuse(entry) and (entry / "PG_VERSION").is_file()):
            remove([entry])  # a damaged entry is made again, not reused
            store(entry, lambda folder: _initdb_into(bindir, folder, user))
    return entry


def _initdb_into(bindir: Path, folder: Path, user: str | None) -> None:
    """initdb in a folder the server's user can reach, then copy the cluster into `folder`
    (the cache may sit in a home folder that user cannot enter)."""
    with tempfile.TemporaryDirectory(prefix="freshboot-initdb-", dir=_cluster_tmp(user)) as root:
        sweep.folder(Path(root))
        if user is not None:
            shutil.chown(root, user=user)
        _initdb(bindir, Path(root, "data"), user)
        shutil.copytree(Path(root, "data"), folder, symlinks=True)


def _copy_cluster(source: Path, data: Path, user: str | None) -> None:
    shutil.copytree(source, data, symlinks=True)
    if user is not None:
        uid = pwd.getpwnam(user).pw_uid
        for top, dirs, files in os.walk(data):
            for name in [top, *(os.path.join(top, n) for n in (*dirs, *files))]:
                os.chown(name, uid, -1, follow_symlinks=False)


def _cluster_tmp(user: str | None) -> str | None:
    """Where a throwaway cluster lives: in memory when there is room (nothing of it must
    survive, and on a slow disk writing its 40 MB costs more than initdb's own work). Else the
    server's user must still reach it: $TMPDIR may sit in a folder only we can enter (pytest's
    is 0700), while the system temporary folder is open to every user."""
    roomy = os.access(MEMORY_TMP, os.W_OK | os.X_OK) and (
        shutil.disk_usage(MEMORY_TMP).free >= MEMORY_TMP_MIN_FREE
    )
    if roomy:
        return MEMORY_TMP
    return "/tmp" if user is not None and Path("/tmp").is_dir() else None


@functools.cache
def _version(bindir: Path) -> str:
    done = subprocess.run(
        [str(bindir / "postgres"), "-V"], capture_output=True, text=True, check=False, cwd="/",
        preexec_fn=signals.preexec,
    )  # fmt: skip
    return done.stdout.strip()


def _postgres_bindir() -> Path:
    """Debian keeps the server binaries off PATH; `pg_config --bindir` names their folder."""
    found = shutil.which("postgres") or shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, cwd="/",
            preexec_fn=signals.preexec,
        )  # fmt: skip
        bindir = Path(out.stdout.strip())
        if (bindir / "postgres").is_file() and (bindir / "initdb").is_file():
            return bindir
    raise skip(Phase.SERVICES, f"PostgreSQL server binaries not found; {INSTALL_HINTS['postgres']}")


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise error(
        Phase.SERVICES,
        "running as root and no unprivileged user (postgres, nobody) exists for initdb",
    )


def _pg_ready(bindir: Path, port: int) -> bool:
    probe = subprocess.run(
        [str(bindir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(port), "-U", PG_USER],
        capture_output=True, check=False, cwd="/", preexec_fn=signals.preexec,
    )  # fmt: skip
    return probe.returncode == 0


_STARTERS = {"redis": redis_server, "postgres": postgres_server}
