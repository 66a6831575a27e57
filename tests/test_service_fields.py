"""Services say more than a URL (`services.<name>.host`, `.port`, `.user`, `.password`,
`.database` in smoke.yaml strings), and smoke.yaml may ask for a PostgreSQL version: a server
here that does not satisfy it makes the variant SKIP, named; external servers are not checked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from smoke_tests.services import Service, postgres_server, postgres_version, redis_server
from tests.helpers import http_app, leftovers, require_binary, smoke_json, write_template

# The app reaches both servers through the PG*/REDIS_* variables smoke.yaml gives it alone.
APP = http_app(
    '{"pg": pg(), "redis": ping(), "password": os.environ["PGPASSWORD"]}',
    imports="import socket, subprocess",
    before_start="""
def pg():
    sql = "select current_database() || '|' || current_user"
    done = subprocess.run(["psql", "-tAc", sql], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()

def ping():
    address = (os.environ["REDIS_HOST"], int(os.environ["REDIS_PORT"]))
    with socket.create_connection(address, timeout=2) as sock:
        sock.sendall(b"SELECT %s\\r\\nPING\\r\\n" % os.environ["REDIS_DB"].encode())
        return sock.recv(64).decode().split()

print("connecting as", os.environ["PGUSER"], "with password", os.environ["PGPASSWORD"], flush=True)
""",
)
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
services:
  redis:
    env: {REDIS_HOST: "{{ services.redis.host }}", REDIS_PORT: "{{ services.redis.port }}",
          REDIS_DB: "{{ services.redis.database }}"}
  postgres:
    version: "{{ postgres_version }}"
    env:
      PGHOST: "{{ services.postgres.host }}"
      PGPORT: "{{ services.postgres.port }}"
      PGUSER: "{{ services.postgres.user }}"
      PGPASSWORD: "{{ services.postgres.password }}"
      PGDATABASE: "{{ services.postgres.database }}"
ready: {http: /, timeout: 20}
probes:
  - get: /
    expect:
      json:
        pg: "{{ services.postgres.database }}|{{ services.postgres.user }}"
        redis: ["+OK", "+PONG"]
        password: "{{ services.postgres.password }}"
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


@pytest.fixture(scope="module")
def major() -> int:
    """The major version of the PostgreSQL server installed here."""
    require_binary("psql", "apt-get install -y postgresql")
    require_binary("redis-server", "apt-get install -y redis-server")
    return int(postgres_version().split(".")[0])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, major: int) -> Path:
    """Variants asking for: at least the previous major, exactly this major, a future one."""
    choices = [f">={major - 1}", str(major), ">=99"]
    copier = f"postgres_version:\n  type: str\n  choices: {choices}\n"
    return write_template(tmp_path_factory.mktemp("fields") / "tpl", copier, SMOKE, {"app.py": APP})


def test_fields_reach_the_app_and_the_version_decides_skip(
    template: Path, tmp_path: Path, major: int
) -> None:
    done, results = smoke_json(template, tmp_path, "--no-cache")
    statuses = {k: (r["status"], r["phase"]) for k, r in results.items()}
    assert statuses == {
        "default": ("PASS", "done"),
        str(major): ("PASS", "done"),
        "99": ("SKIP", "services"),
    }, results
    assert re.fullmatch(
        rf"PostgreSQL {major}\.\d+ is installed; smoke\.yaml wants >=99", results["99"]["reason"]
    ), results["99"]
    log = (tmp_path / "out" / "default.log").read_text()
    assert "connecting as postgres with password \n" in log  # no password for the local one
    assert done.returncode == 0
    assert leftovers(tmp_path / "tmp") == []


def test_with_services_require_an_unsatisfied_version_is_an_error(
    template: Path, tmp_path: Path, major: int
) -> None:
    _, results = smoke_json(
        template, tmp_path, "--no-cache", "--services", "require", "--variant", "99"
    )
    result = results["99"]
    assert (result["status"], result["phase"]) == ("ERROR", "services"), result
    assert result["reason"].endswith("is installed; smoke.yaml wants >=99 (--services require)")
    assert result["reason"].startswith(f"PostgreSQL {major}.")


def test_external_services_are_parsed_masked_and_not_version_checked(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers the user gives (--services external): their URL's parts reach the app, the
    password never reaches a log or the report, and their version is not checked."""
    with postgres_server() as admin, redis_server() as redis:
        setup = subprocess.run(
            ["psql", admin.url, "-v", "ON_ERROR_STOP=1", "-c",
             "create role app login password 'unused'", "-c", "create database appdb owner app"],
            capture_output=True, text=True, check=False, cwd="/",
        )  # fmt: skip
        assert setup.returncode == 0, setup.stderr
        pg_url = f"postgresql://app:s3cr%23t!@{admin.host}:{admin.port}/appdb"
        monkeypatch.setenv("FRESHBOOT_POSTGRES_URL", pg_url)
        monkeypatch.setenv("FRESHBOOT_REDIS_URL", f"redis://{redis.host}:{redis.port}")
        done, results = smoke_json(
            template, tmp_path, "--no-cache", "--services", "external", "--variant", "99"
        )
    assert results["99"]["status"] == "PASS", results["99"]
    log = (tmp_path / "out" / "99.log").read_text()
    assert "connecting as app with password ***" in log
    written = log + done.stdout + done.stderr + (tmp_path / "results.json").read_text()
    assert "s3cr" not in written


def test_a_url_is_read_into_its_parts_with_a_clients_defaults() -> None:
    full = Service.at("postgres", "postgresql://app:p%40ss@db.example:6543/shop", 0)
    assert (full.host, full.port, full.user, full.password, full.database) == (
        "db.example", 6543, "app", "p@ss", "shop"
    )  # fmt: skip
    assert "p@ss" not in repr(full)
    bare = Service.at("postgres", "postgresql://app@db.example", 0)
    assert (bare.port, bare.password, bare.database) == (5432, "", "app")
    redis = Service.at("redis", "redis://:secret@cache.example", 0)
    assert (redis.port, redis.user, redis.password, redis.database) == (6379, "", "secret", "0")
    assert Service.at("redis", "rediss://cache.example:6380/3", 0).context() == {
        "url": "rediss://cache.example:6380/3", "host": "cache.example", "port": 6380,
        "user": "", "password": "", "database": "3",
    }  # fmt: skip
