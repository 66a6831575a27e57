"""Throwaway servers: real redis-server and PostgreSQL on free loopback ports, gone afterwards;
a missing binary is a SKIP with an install hint."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from smoke_tests import reaper
from smoke_tests.ports import is_listening
from smoke_tests.result import Phase, Status, Verdict
from smoke_tests.services import Service, postgres_server, redis_server
from tests.helpers import require_binary


def _redis_ping(url: str) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16)


def _psql_select(url: str) -> str:
    done = subprocess.run(
        ["psql", url, "-tAc", "select 40 + 2"],
        capture_output=True, text=True, check=False, cwd="/",
    )  # fmt: skip
    return done.stdout.strip()


def test_redis_answers_then_is_gone() -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    with redis_server() as service:
        assert urlsplit(service.url).hostname == "127.0.0.1"
        assert _redis_ping(service.url) == b"+PONG\r\n"
    assert (
        not psutil.pid_exists(service.pid)
        or psutil.Process(service.pid).status() == psutil.STATUS_ZOMBIE
    )
    assert not is_listening(urlsplit(service.url).port or 0)


def test_postgres_answers_then_is_gone() -> None:
    require_binary("psql", "apt-get install -y postgresql")
    with postgres_server() as service:
        assert urlsplit(service.url).hostname == "127.0.0.1"
        assert _psql_select(service.url) == "42"
    assert not is_listening(urlsplit(service.url).port or 0)
    assert not psutil.pid_exists(service.pid)


@pytest.mark.parametrize(
    ("starter", "binary", "check"),
    [
        (redis_server, "redis-server", lambda url: _redis_ping(url) == b"+PONG\r\n"),
        (postgres_server, "psql", lambda url: _psql_select(url) == "42"),
    ],
)
def test_servers_start_when_our_working_directory_is_gone(
    starter: Callable[[], AbstractContextManager[Service]],
    binary: str,
    check: Callable[[str], bool],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """copier chdirs the whole process into short-lived temporary folders while it renders in
    another thread; a server started then must not inherit (and die of) that folder."""
    require_binary(binary, f"apt-get install -y {binary}")
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with starter() as service:
        assert check(service.url)
        assert Path(psutil.Process(service.pid).cwd()).exists()


@pytest.mark.parametrize(
    ("starter", "hint"),
    [
        (redis_server, "apt-get install -y redis-server"),
        (postgres_server, "apt-get install -y postgresql"),
    ],
)
def test_missing_binary_is_a_skip_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
    starter: Callable[[], AbstractContextManager[Service]],
    hint: str,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(Verdict) as caught, starter():
        pass
    assert (caught.value.status, caught.value.phase) == (Status.SKIP, Phase.SERVICES)
    assert hint in caught.value.reason


@pytest.mark.parametrize(
    ("starter", "binary"), [(redis_server, "redis-server"), (postgres_server, "psql")]
)
def test_the_reaper_finds_servers_that_overwrite_their_environment(
    starter: Callable[[], AbstractContextManager[Service]], binary: str
) -> None:
    """redis-server and postgres rewrite their process title over their environment, so an
    interrupted run must find them by pid; each is forgotten again once stopped."""
    require_binary(binary, "apt-get install -y redis-server postgresql")
    with starter() as service:
        assert service.pid in [p.pid for p in reaper.find(reaper.RUN_ID)]
    assert service.pid not in [p.pid for p in reaper.find(reaper.RUN_ID)]


def test_postgres_from_the_cache_is_a_fresh_cluster_every_time(tmp_path: Path) -> None:
    """The cluster is initialised once into the cache and copied per server: what one variant
    writes must never be seen by the next."""
    require_binary("psql", "apt-get install -y postgresql")
    cache = tmp_path / "cache"

    def psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
            capture_output=True, text=True, check=False, cwd="/",
        )  # fmt: skip

    with postgres_server(cache) as first:
        assert psql(first.url, "create table left_behind (x int)").returncode == 0
    clusters = list((cache / "postgres").iterdir())
    assert len(clusters) == 1
    assert (clusters[0] / "PG_VERSION").is_file()
    with postgres_server(cache) as second:
        assert _psql_select(second.url) == "42"
        found = psql(second.url, "select count(*) from left_behind")
        assert found.returncode != 0
        assert 'relation "left_behind" does not exist' in found.stderr
    assert list((cache / "postgres").iterdir()) == clusters
    assert not (clusters[0] / "postmaster.pid").exists()

    (clusters[0] / "PG_VERSION").unlink()  # damaged, e.g. by a clean that was killed
    with postgres_server(cache) as third:
        assert _psql_select(third.url) == "42"
    assert (clusters[0] / "PG_VERSION").is_file()
