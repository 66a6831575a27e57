"""smoke.yaml `port`: an app that always listens on one port. As root, each variant gets a
private network (loopback only), so variants run in parallel on the same port, with their
services, while the machine's own port stays untouched; without root they take turns."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smoke_tests.network import can_isolate, taking_turns
from smoke_tests.ports import free_port
from smoke_tests.result import Status, Verdict
from tests.helpers import (
    freshboot,
    http_app,
    leftovers,
    require_binary,
    smoke_json,
    write_template,
)

FIXED = 18765
APP = http_app(
    '{"ok": True, "redis": ping()}',
    before_start="""
import socket
from urllib.parse import urlsplit
def ping():
    url = os.environ.get("REDIS_URL")
    if not url:
        return "none"
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=2) as sock:
        sock.sendall(b"PING\\r\\n")
        return sock.recv(16).decode().strip()
""",
)
SMOKE = f"""\
port: {FIXED}
run: [[python, app.py]]
env: {{PORT: "{{{{ port }}}}"}}
axes:
  copy: [one, two, three]
services:
  redis: {{when: "flavour == 'redis'", env: {{REDIS_URL: "{{{{ services.redis.url }}}}"}}}}
ready: {{http: /, timeout: 10}}
probes:
  - {{get: /, expect: {{status: 200, json: {{ok: true}}}}}}
  - get: /
    expect: {{json: {{redis: "{{{{ '+PONG' if flavour == 'redis' else 'none' }}}}"}}}}
stop: {{signal: SIGINT, grace: 5, exit: 0}}
"""
ROOT_ONLY = pytest.mark.skipif(
    not can_isolate() and not os.environ.get("CI"),
    reason="private networks need root (CI runs as root, where this must not skip)",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copier = "flavour:\n  type: str\n  default: plain\n  choices: [plain, redis]\n"
    return write_template(
        tmp_path_factory.mktemp("network") / "tpl", copier, SMOKE, {"app.py": APP}
    )


@pytest.fixture
def host_listener() -> Iterator[list[socket.socket]]:
    """The machine's own 127.0.0.1:FIXED, taken by someone else; what connects to it is kept."""
    server = socket.create_server(("127.0.0.1", FIXED))
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield accepted
    done.set()
    thread.join()
    server.close()
    for conn in accepted:
        conn.close()


@ROOT_ONLY
def test_variants_share_a_fixed_port_in_private_networks(
    template: Path, tmp_path: Path, host_listener: list[socket.socket]
) -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    done, results = smoke_json(template, tmp_path, "-j", "6")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(results) == 6
    assert {r["status"] for r in results.values()} == {"PASS"}, done.stdout
    assert host_listener == []  # no variant reached the machine's own port
    assert leftovers(tmp_path / "tmp") == []


@ROOT_ONLY
def test_without_the_capability_variants_take_turns_on_the_machines_port(
    template: Path, tmp_path: Path
) -> None:
    """Root in a container without CAP_SYS_ADMIN cannot make namespaces: the same six variants
    then pass one at a time on the machine's own port, and say so when it is taken."""
    require_binary("redis-server", "apt-get install -y redis-server")

    def smoke() -> tuple[subprocess.CompletedProcess[str], list[dict[str, str]]]:
        report = tmp_path / "results.json"
        done = subprocess.run(
            ["setpriv", "--bounding-set=-sys_admin", sys.executable, "-m", "smoke_tests", "smoke",
             "--template", str(template), "--out", str(tmp_path / "out"), "--json", str(report),
             "-j", "6"],
            capture_output=True, text=True, timeout=600, check=False,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )  # fmt: skip
        return done, json.loads(report.read_text())["results"]

    done, results = smoke()
    assert done.returncode == 0, done.stdout + done.stderr
    assert [r["status"] for r in results] == ["PASS"] * 6, done.stdout
    with socket.create_server(("127.0.0.1", FIXED)):
        done, results = smoke()
    assert done.returncode == 3, done.stdout + done.stderr
    assert {(r["status"], r["phase"]) for r in results} == {("ERROR", "boot")}, done.stdout
    assert all(
        f"port {FIXED} (smoke.yaml `port`) is already in use" in r["reason"] for r in results
    )


def test_without_private_networks_variants_take_turns_on_a_free_port() -> None:
    order: list[str] = []
    port = free_port()

    def variant(name: str) -> None:
        with taking_turns(port):
            order.append(f"{name} in")
            time.sleep(0.2)
            order.append(f"{name} out")

    threads = [threading.Thread(target=variant, args=(n,)) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [step.split()[1] for step in order] == ["in", "out", "in", "out"]


def test_a_taken_port_without_private_networks_is_an_error_naming_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(Verdict) as caught, taking_turns(port):
            pytest.fail("the turn must not start while the port is taken")
    assert caught.value.status is Status.ERROR
    assert caught.value.reason == (
        f"port {port} (smoke.yaml `port`) is already in use on 127.0.0.1; stop what listens "
        "there, or run as root so each variant gets a private network"
    )


@pytest.mark.parametrize("port", ["'8000'", "0", "70000", "true"])
def test_a_bad_port_is_one_line_naming_it(tmp_path: Path, port: str) -> None:
    root = write_template(
        tmp_path / "tpl", "", f"run: [[app]]\nready: {{http: /}}\nport: {port}\n", {}
    )
    done = freshboot("variants", "--template", root)
    assert done.returncode == 2
    assert done.stderr.startswith(f"freshboot: error: {root / 'smoke.yaml'}:3: port: expected ")
    assert done.stderr.count("\n") == 1


@ROOT_ONLY
def test_the_pytest_plugin_runs_variants_in_private_networks_too(
    template: Path, tmp_path: Path, host_listener: list[socket.socket]
) -> None:
    """The plugin runs variants in pytest's main thread, which must come back to the machine's
    network after each one (the next variant's install needs it)."""
    require_binary("redis-server", "apt-get install -y redis-server")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "smoke_tests.pytest_plugin", "-p", "no:cacheprovider",
         f"--freshboot-template={template}", f"--freshboot-out={tmp_path / 'out'}",
         f"--rootdir={tmp_path}", "-q", str(template)],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout, done.stdout
    assert host_listener == []
