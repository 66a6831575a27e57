"""The bundled template's generated app, run for real: installed with uv, started as the
documented command in separate processes, talked to over HTTP, against real redis-server and
PostgreSQL servers that the tests start (and stop, to see what the app does then).

Each behaviour the template promises has its test here: `start --worker` without a queue,
unreachable services, `/_readiness`, SIGINT and SIGTERM with jobs in flight, the job life
cycle across a server-only and a worker process, production's environment variables and
migrations, `doctor`, and the scheduler of `start --all`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from scaffolder.cache import cache_root
from scaffolder.render import render_cached
from smoke_tests import reaper
from smoke_tests.environment import base_variables, create_environment
from smoke_tests.ports import free_port
from smoke_tests.services import Service, postgres_server, redis_server
from tests.helpers import TEMPLATE, require_binary

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

APP = "freshapp"
STOP_LIMIT = 10.0  # seconds a stopped app may take to exit
_QUEUED = {"worker_mode": "BackgroundQueue"}
PROJECTS: dict[str, dict[str, str]] = {
    "async": {"worker_mode": "BackgroundAsync", "database": "sqlite"},
    "blocking": {"worker_mode": "ForegroundBlocking", "database": "none"},
    "queue-sqlite": {**_QUEUED, "queue_provider": "sqlite", "database": "sqlite"},
    "queue-redis": {**_QUEUED, "queue_provider": "redis", "database": "none"},
    "queue-postgres": {**_QUEUED, "queue_provider": "postgres", "database": "postgres"},
    "queue-redis-db-postgres": {**_QUEUED, "queue_provider": "redis", "database": "postgres"},
}
# The variables through which a project finds its services; never inherited from the caller.
_SERVICE_VARIABLES = ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "QUEUE_URL", "REDIS_URL", "PORT")
_counter = itertools.count(1)
_redis_indexes = itertools.count(1)


# --------------------------------------------------------------------------------------------
# Projects, services, and apps started as processes


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each project generated and installed the way smoke.yaml installs it (`uv pip install
    .`), two at a time; a `fast` environment (drain_timeout 1 s) added to each."""
    root = tmp_path_factory.mktemp("apps")

    def make(name: str) -> tuple[str, Path]:
        answers = {"project_name": APP, **PROJECTS[name]}
        project = render_cached(TEMPLATE, answers, root / name, cache_root() / "renders")
        create_environment(
            project, [("uv", "pip", "install", ".")], root / f"{name}.log", cache_root() / "envs"
        )
        development = (project / "config" / "development.yaml").read_text()
        fast = development.replace("drain_timeout: 5", "drain_timeout: 1")
        assert fast != development
        (project / "config" / "fast.yaml").write_text(fast)
        return name, project

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(make, PROJECTS))


@pytest.fixture(scope="module")
def postgres() -> Iterator[Service]:
    """A PostgreSQL server shared by the module; each test takes a database of its own."""
    with postgres_server(cache_root()) as server:
        yield server


@pytest.fixture(scope="module")
def redis() -> Iterator[Service]:
    """A Redis server shared by the module; each test takes a database index of its own."""
    require_binary("redis-server", "apt-get install -y redis-server")
    with redis_server() as server:
        yield server


def new_database(server: Service) -> str:
    """The URL of a new, empty database on `server`."""
    name = f"t{next(_counter)}_{os.getpid()}"
    subprocess.run(
        ["psql", server.url, "-qc", f"CREATE DATABASE {name}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return server.url.rsplit("/", 1)[0] + f"/{name}"


def new_redis_db(server: Service) -> str:
    """The URL of a database index of `server` that no other test of the module uses."""
    index = next(_redis_indexes)
    assert index < 16, "Redis has 16 databases; give this module a second server"
    return server.url.rsplit("/", 1)[0] + f"/{index}"


class App:
    """One process of a generated app, started as its README says, its output kept."""

    def __init__(self, project: Path, args: tuple[str, ...], env: Mapping[str, str], log: Path):
        variables = base_variables(project / ".venv")
        for name in _SERVICE_VARIABLES:
            variables.pop(name, None)
        self.port = free_port()
        variables.update(PORT=str(self.port), BINDING="127.0.0.1", NO_COLOR="1", **env)
        self.args = args
        self.log = log
        self.tag = reaper.new_tag("app")
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(project / ".venv" / "bin" / APP), *args], cwd=project,
                env=reaper.marked(variables, self.tag), stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def output(self) -> str:
        """Everything it printed so far."""
        return self.log.read_text(errors="replace")

    def ready(self, timeout: float = 20) -> App:
        """Wait until GET /_ping answers; fail with its output if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self} exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if self.client.get("/_ping", timeout=1).status_code == 200:
                    return self
            time.sleep(0.02)
        pytest.fail(f"{self} not ready within {timeout} s:\n{self.output()}")

    def wait_for_line(self, pattern: str, timeout: float = 15) -> re.Match[str]:
        """The first output line matching `pattern`, once it appears."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.output()):
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"{self}: no line matching {pattern!r}:\n{self.output()}")

    def enqueue(self, message: str, **options: Any) -> dict[str, Any]:
        """POST /jobs/echo; the 202 answer."""
        response = self.client.post("/jobs/echo", json={"message": message, **options})
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert set(body) == {"id", "status"}
        return body

    def job(self, job_id: str) -> dict[str, Any]:
        """GET /jobs/<id>."""
        response = self.client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def wait_for_job(self, job_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
        """Poll GET /jobs/<id> until it has `status`."""
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id))["status"] != status:
            assert time.monotonic() < deadline, f"job still {job['status']}, not {status}"
            time.sleep(0.03)
        return job

    def wait(self, timeout: float) -> int | None:
        """Its exit status, or None if it is still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig: signal.Signals) -> tuple[int | None, float]:
        """Send `sig`; the exit status (None if it did not exit within the limit), and how
        long it took."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        status = self.wait(STOP_LIMIT + 5)
        return status, time.monotonic() - started

    def kill(self) -> None:
        """Gone, whatever happened."""
        self.client.close()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __str__(self) -> str:
        return f"{APP} {' '.join(self.args)}"


Run = Callable[..., App]


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    """`run(project, *args, **env)` starts an app; every one is gone after the test."""
    apps: list[App] = []

    def start(project: Path, *args: str, **env: str) -> App:
        app = App(project, args, env, tmp_path / f"app{len(apps)}.log")
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.kill()
    tags = {app.tag for app in apps}
    left = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(reaper.MARKER) in tags:
                left.append(" ".join(proc.cmdline()))
    assert left == [], "processes of the app outlived it"


def stopped_cleanly(app: App, sig: signal.Signals) -> None:
    """Stop it with `sig`: status 0 within the limit, and no traceback in what it printed."""
    status, took = app.stop(sig)
    assert status == 0, f"{app} ended with {status} on {sig.name}:\n{app.output()}"
    assert took < STOP_LIMIT, f"{app} took {took:.1f} s to stop"
    assert "Traceback" not in app.output()


def one_error_line(app: App, timeout: float = STOP_LIMIT) -> str:
    """The app must end by itself within `timeout` with status 1 and one `Error:` line."""
    started = time.monotonic()
    status = app.wait(timeout)
    assert status == 1, f"{app}: status {status} after {time.monotonic() - started:.1f} s"
    output = app.output()
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output
    return errors[0]


# --------------------------------------------------------------------------------------------
# Worker modes without a queue


@pytest.mark.parametrize("name", ["async", "blocking"])
def test_start_worker_without_a_queue_is_one_line_and_a_clean_exit(
    projects: dict[str, Path], run: Run, name: str
) -> None:
    app = run(projects[name], "start", "--worker")
    assert app.wait(STOP_LIMIT) == 0
    lines = app.output().strip().splitlines()
    assert len(lines) == 1, lines
    assert "there is no worker to run" in lines[0]


def test_async_stop_finishes_short_jobs_and_records_the_cut_ones(
    projects: dict[str, Path], run: Run, tmp_path: Path
) -> None:
    """BackgroundAsync, `start` (server only): SIGINT lets a short job finish; a long one is
    cancelled after the drain period and recorded failed; the records survive the restart."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3"}
    app = run(projects["async"], "start", "-e", "fast", **env).ready()
    short = app.enqueue("short", delay=0.5)
    long = app.enqueue("long", delay=30)
    app.wait_for_job(long["id"], "running")
    stopped_cleanly(app, signal.SIGINT)

    again = run(projects["async"], "start", "-e", "fast", **env).ready()
    assert again.job(short["id"]) == {"id": short["id"], "status": "done", "result": "short"}
    assert again.job(long["id"])["status"] == "failed"
    stopped_cleanly(again, signal.SIGTERM)


def test_blocking_stop_answers_the_request_in_flight(projects: dict[str, Path], run: Run) -> None:
    """ForegroundBlocking: SIGTERM while a request waits on its inline job; the request is
    answered (the job done) and the process exits 0."""
    app = run(projects["blocking"], "start", "-e", "fast").ready()
    answers: list[httpx.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(
            app.client.post("/jobs/echo", json={"message": "inline", "delay": 1})
        )
    )
    request.start()
    time.sleep(0.3)  # the request is waiting on its job
    stopped_cleanly(app, signal.SIGTERM)
    request.join(5)
    assert [a.status_code for a in answers] == [202]
    assert answers[0].json()["status"] == "done"


# --------------------------------------------------------------------------------------------
# Unreachable services


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        yield server.getsockname()[1]


@pytest.mark.parametrize(
    ("name", "args", "broken", "error"),
    [
        ("queue-redis", ("start",), "REDIS_URL", "QueueUnavailable"),
        ("queue-redis", ("start", "--worker"), "REDIS_URL silent", "QueueUnavailable"),
        ("queue-postgres", ("start", "--server-and-worker"), "DATABASE_URL", "DatabaseUnavailable"),
        ("queue-postgres", ("start", "--all"), "DATABASE_URL silent", "DatabaseUnavailable"),
        ("queue-postgres", ("start", "--worker"), "QUEUE_URL", "QueueUnavailable"),
        ("queue-postgres", ("start",), "QUEUE_URL silent", "QueueUnavailable"),
    ],
)
def test_an_unreachable_service_fails_start_fast_naming_its_url(
    projects: dict[str, Path],
    run: Run,
    postgres: Service,
    silent_port: int,
    name: str,
    args: tuple[str, ...],
    broken: str,
    error: str,
) -> None:
    variable, _, how = broken.partition(" ")
    port = silent_port if how == "silent" else free_port()  # free: nothing listens there
    scheme = "redis" if variable == "REDIS_URL" else "postgresql"
    url = f"{scheme}://app:s3cret@127.0.0.1:{port}/app"
    env = {variable: url}
    if name == "queue-postgres":  # the other of its two services works
        other = "QUEUE_URL" if variable == "DATABASE_URL" else "DATABASE_URL"
        env[other] = new_database(postgres)
    app = run(projects[name], *args, **env)

    line = one_error_line(app)

    assert line.startswith(f"Error: {error}: cannot reach"), line
    assert url.replace("s3cret", "***") in line
    assert "s3cret" not in app.output()


# --------------------------------------------------------------------------------------------
# Readiness and doctor


def _readiness(app: App, expected: int, timeout: float = 8) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (response := app.client.get("/_readiness")).status_code != expected:
        assert time.monotonic() < deadline, f"readiness still {response.status_code}"
        time.sleep(0.1)
    body: dict[str, Any] = response.json()
    return body


def _doctor(project: Path, run: Run, **env: str) -> tuple[int | None, str]:
    doctor = run(project, "doctor", **env)
    status = doctor.wait(30)
    return status, doctor.output()


class Stoppable:
    """A service started now that a test can stop halfway (and that is stopped anyway)."""

    def __init__(self, manager: contextlib.AbstractContextManager[Service]) -> None:
        self._manager = manager
        self.service = manager.__enter__()
        self._running = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._manager.__exit__(None, None, None)


def test_readiness_and_doctor_name_the_failing_dependency(
    projects: dict[str, Path], run: Run
) -> None:
    """Queue on Redis, database on PostgreSQL, both started here, then stopped one by one
    while the app runs: 200 {"ok": true}, then 503 naming the queue, then both; `doctor`
    agrees; the app still stops cleanly."""
    project = projects["queue-redis-db-postgres"]
    require_binary("redis-server", "apt-get install -y redis-server")
    with contextlib.ExitStack() as stack:
        redis = Stoppable(redis_server())
        stack.callback(redis.stop)
        postgres = Stoppable(postgres_server(cache_root()))
        stack.callback(postgres.stop)
        env = {"REDIS_URL": redis.service.url, "DATABASE_URL": postgres.service.url}
        app = run(project, "start", "--server-and-worker", **env).ready()
        assert app.client.get("/_readiness").json() == {"ok": True}
        status, report = _doctor(project, run, **env)
        assert status == 0, report
        assert report.rstrip().endswith("all checks passed")
        assert re.search(r"^  ok    database  postgresql://", report, re.MULTILINE), report
        assert re.search(r"^  ok    queue     Redis queue", report, re.MULTILINE), report

        redis.stop()  # Redis goes away
        assert _readiness(app, 503) == {"ok": False, "failing": ["queue"]}
        status, report = _doctor(project, run, **env)
        assert status == 1, report
        assert re.search(rf"^  FAIL  queue .*{re.escape(redis.service.url)}", report, re.M)
        assert report.rstrip().endswith("1 check failed")

        postgres.stop()  # then PostgreSQL
        assert _readiness(app, 503) == {"ok": False, "failing": ["database", "queue"]}
        stopped_cleanly(app, signal.SIGTERM)


# --------------------------------------------------------------------------------------------
# Queue mode: a server-only process and separate workers


def _queue_env(name: str, tmp_path: Path, postgres: Service, redis: Service) -> dict[str, str]:
    if name == "queue-sqlite":
        return {
            "QUEUE_URL": f"sqlite:///{tmp_path}/queue.sqlite3",
            "DATABASE_URL": f"sqlite:///{tmp_path}/app.sqlite3",
        }
    if name == "queue-redis":
        return {"REDIS_URL": new_redis_db(redis)}
    url = new_database(postgres)
    return {"QUEUE_URL": url, "DATABASE_URL": url}


@pytest.mark.parametrize("name", ["queue-sqlite", "queue-redis", "queue-postgres"])
def test_split_server_and_workers_run_jobs_and_stop_cleanly(
    projects: dict[str, Path],
    run: Run,
    tmp_path: Path,
    postgres: Service,
    redis: Service,
    name: str,
) -> None:
    """`start` enqueues and never runs a job; `start --worker` runs it and the server sees
    its status go queued, running, done (or failed). SIGINT lets a running job finish; SIGTERM
    after the drain period puts it back in the queue, where the next worker takes it again."""
    project = projects[name]
    env = _queue_env(name, tmp_path, postgres, redis)
    server = run(project, "start", "-e", "fast", **env).ready()

    first = server.enqueue("first", delay=1)
    assert first["status"] == "queued"
    time.sleep(0.5)
    assert server.job(first["id"])["status"] == "queued"  # no worker yet: it waits

    worker = run(project, "start", "--worker", "-e", "fast", **env)
    server.wait_for_job(first["id"], "running")
    assert server.wait_for_job(first["id"], "done")["result"] == "first"
    failing = server.enqueue("broken", fail=True)
    assert server.wait_for_job(failing["id"], "failed")["result"] == "EchoFailed: broken"

    finishing = server.enqueue("finishing", delay=0.6)
    server.wait_for_job(finishing["id"], "running")
    status, took = worker.stop(signal.SIGINT)
    assert (status, took < STOP_LIMIT) == (0, True), worker.output()
    assert server.job(finishing["id"])["result"] == "finishing"  # it finished while stopping

    worker = run(project, "start", "--worker", "-e", "fast", **env)
    long = server.enqueue("long", delay=30)
    server.wait_for_job(long["id"], "running")
    stopped_cleanly(worker, signal.SIGTERM)
    assert server.job(long["id"])["status"] == "queued"  # cut off, back in the queue

    worker = run(project, "start", "--worker", "-e", "fast", **env)
    server.wait_for_job(long["id"], "running")  # the next worker takes it again
    stopped_cleanly(worker, signal.SIGINT)
    assert server.job(long["id"])["status"] == "queued"
    stopped_cleanly(server, signal.SIGTERM)


# --------------------------------------------------------------------------------------------
# Production and the scheduler


def test_production_names_missing_variables_and_wants_migrations(
    projects: dict[str, Path], run: Run, postgres: Service
) -> None:
    """Production reads its secret and URLs from the environment and refuses, in one line,
    to start without them; it refuses an unmigrated database until `db migrate` has run; then
    `start --all` serves, works and schedules."""
    project = projects["queue-postgres"]
    line = one_error_line(run(project, "start", "-e", "production"))
    assert line.startswith("Error: ConfigError: environment variables DATABASE_URL, QUEUE_URL, "
                           "SECRET_KEY are not set")  # fmt: skip
    url = new_database(postgres)
    env = {"APP_ENV": "production", "DATABASE_URL": url, "QUEUE_URL": url}
    line = one_error_line(run(project, "start", **env))
    assert line.startswith("Error: ConfigError: environment variable SECRET_KEY is not set")
    env["SECRET_KEY"] = "s3cret-key"

    line = one_error_line(run(project, "start", **env))
    assert line.startswith("Error: MigrationsPending: ")
    assert f"run `{APP} db migrate -e production` first" in line
    # The README's release steps run `doctor` before `db migrate`: a database that is behind
    # is what a first deployment has, a warning that names the next step, not a failure.
    status, report = _doctor(project, run, **env)
    assert status == 0, report
    assert report.rstrip().endswith("all checks passed, 1 warning"), report
    assert re.search(
        rf"warn +database +.*at revision none, head is 0001: run `{APP} db migrate -e "
        r"production` before start",
        report,
    ), report
    migrate = run(project, "db", "migrate", **env)
    assert migrate.wait(30) == 0, migrate.output()
    assert "migrated from empty to 0001 (head)" in migrate.output()

    app = run(project, "start", "--all", **env).ready()
    job = app.enqueue("in production")
    assert app.wait_for_job(job["id"], "done")["result"] == "in production"
    scheduled = app.wait_for_line(r"scheduler: heartbeat sent job (\w+)").group(1)
    assert app.wait_for_job(scheduled, "done")["result"] == "heartbeat"
    stopped_cleanly(app, signal.SIGINT)
    assert "s3cret" not in app.output()


def test_start_all_runs_the_periodic_job_from_config(
    projects: dict[str, Path], run: Run, redis: Service
) -> None:
    """`start --all` in the test environment (its heartbeat runs every second): the scheduler
    sends it, a worker in the same process runs it, again and again."""
    app = run(projects["queue-redis"], "start", "--all", "-e", "test",
              REDIS_URL=new_redis_db(redis)).ready()  # fmt: skip
    first = app.wait_for_line(r"scheduler: heartbeat sent job (\w+)").group(1)
    assert app.wait_for_job(first, "done")["result"] == "heartbeat"
    app.wait_for_line(rf"sent job (?!{first})\w+")  # and the next second, another
    stopped_cleanly(app, signal.SIGTERM)
