"""Readiness polling that does not flood: an app that answers 500 for a while is asked less and
less often, and each distinct answer is logged once with how many times it came."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import smoke_json, write_template

# Answers 500 (and, like a framework in debug mode, prints a traceback) until `READY_AFTER`
# seconds after it began listening, then 200; prints how many readiness requests it got.
APP = """\
import json, os, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READY_AFTER = float(os.environ["READY_AFTER"])
pings = 0

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global pings
        if self.path == "/_ping":
            pings += 1
            ready = time.monotonic() - started >= READY_AFTER
        else:
            ready = True
        status, body = (200, {"pong": True}) if ready else (500, {"detail": "boom"})
        if not ready:
            print("Traceback (most recent call last):\\n  File app.py\\nRuntimeError: boom")
            sys.stdout.flush()
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

def stop(*_):
    print(f"pings: {pings}", flush=True)
    threading.Thread(target=server.shutdown).start()

server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
started = time.monotonic()
signal.signal(signal.SIGINT, stop)
server.serve_forever()
"""
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /_ping, timeout: 3}
axes:
  ready_after:
    "2.5": {env: {READY_AFTER: "2.5"}}
    never: {env: {READY_AFTER: "1000"}}
probes:
  - {get: /other, expect: {status: 200}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
READY_LINE = re.compile(r"^\[ready\] GET /_ping: (.*) \(x(\d+)\)$")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("polling")
    template = write_template(tmp / "tpl", "", SMOKE, {"app.py": APP})
    _, results = smoke_json(template, tmp, "-j", "2")
    return tmp / "out", results


def _ready_lines(log: str) -> list[tuple[str, int]]:
    found = [READY_LINE.match(line) for line in log.splitlines()]
    return [(m[1], int(m[2])) for m in found if m]


def test_an_app_answering_500_is_polled_less_and_less_often(
    run: tuple[Path, dict[str, Any]],
) -> None:
    out, results = run
    assert results["default"]["status"] == "PASS", results["default"]
    log = (out / "default.log").read_text()
    pings = int(re.findall(r"^pings: (\d+)$", log, re.MULTILINE)[-1])
    # 2.5 s of answers at 10 ms would be about 250 requests; backing off to 250 ms: about 18.
    assert pings < 40, pings
    assert log.count("RuntimeError: boom") == pings - 1
    assert len(log) < 10_000
    answers = [(answer, n) for answer, n in _ready_lines(log) if answer != "ConnectError"]
    assert answers == [('HTTP 500 {"detail": "boom"}', pings - 1), ('HTTP 200 {"pong": true}', 1)]


def test_a_timeout_gives_the_last_answer_and_logs_it_once(
    run: tuple[Path, dict[str, Any]],
) -> None:
    out, results = run
    result = results["never"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot"), result
    assert result["reason"] == 'not ready within 3 s: GET /_ping gave HTTP 500 {"detail": "boom"}'
    answers = _ready_lines((out / "never.log").read_text())
    assert [answer for answer, _ in answers if answer != "ConnectError"] == [
        'HTTP 500 {"detail": "boom"}'
    ]
    assert 5 < answers[-1][1] < 30, answers
