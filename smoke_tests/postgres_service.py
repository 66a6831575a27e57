"""A throwaway PostgreSQL cluster: in a temporary folder (in memory when there is room), fsync
off, on a free 127.0.0.1 port, initialised once per cache and copied (about 0.1 s to ready)."""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from signal import SIGINT

from scaffolder.cache import remove, reuse, store
from smoke_tests import signals, sweep
from smoke_tests.ports import LOOPBACK, free_port
from smoke_tests.result import Phase, error, skip
from smoke_tests.server import INSTALL_HINTS, Service, serve

PG_USER = "postgres"  # the superuser inside the throwaway cluster
INITDB_ARGS = ("--no-sync", "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--locale", "C")
MEMORY_TMP, MEMORY_TMP_MIN_FREE = "/dev/shm", 1 << 30  # a cluster is ~40 MB; leave room
_CLUSTER_LOCK = threading.Lock()  # one initdb for a cold cache, not one per thread


def postgres_version() -> str:
    """The version of the PostgreSQL server installed here ("15.18"); SKIP if there is none."""
    said = _version(_postgres_bindir())
    found = re.search(r"\)\s*(\d+(?:\.\d+)*)", said)
    if found is None:
        raise error(Phase.SERVICES, f"cannot read the PostgreSQL version from {said!r}")
    return found[1]


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
        ready = functools.partial(_pg_ready, bindir, port)
        # SIGINT: a fast shutdown, which does not wait for clients to leave
        with serve(args, "postgres", Path(root), ready, user=user, stop=SIGINT) as server:
            url = f"postgresql://{PG_USER}@{LOOPBACK}:{port}/postgres"
            yield Service.at("postgres", url, server.pid)


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
