"""A fail_on match reports the cause, not the first line of it: the output is read on to the end
of the block the matched line starts (a traceback, chained or not), the reason is the exception it
ends with, and the excerpt holds the whole traceback; a bad line alone stays the reason."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from smoke_tests.blocks import BadBlock, Tracebacks
from tests.helpers import leftovers, smoke_json, write_template

COPIER = """\
behaviour:
  type: str
  default: crash-chained
  choices: [crash-chained, logged-chained, error-alone]
"""
SMOKE = """\
ids:
  behaviour: {crash-chained: crash-chained}
install: []
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /health, timeout: 20}
fail_on: ['Traceback \\(most recent call last\\)', '^Error:', '^ERROR:']
probes:
  - get: /work
    expect: {status: 200}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
PSYCOPG = """\
class OperationalError(Exception):
    pass
"""
APP = """\
import os, signal, sys, threading, traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import psycopg

BEHAVIOUR = "{{ behaviour }}"


class DatabaseError(Exception):
    pass


def connect():
    try:
        raise psycopg.OperationalError(
            "connection failed: Connection refused\\n\\tIs the server running on that host?"
        )
    except psycopg.OperationalError as exc:
        raise DatabaseError("could not connect to the database") from exc


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/work" and BEHAVIOUR == "logged-chained":
            try:
                connect()
            except DatabaseError:
                print("ERROR:    Exception in ASGI application", flush=True)
                traceback.print_exc()
                sys.stderr.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


print("starting", flush=True)
if BEHAVIOUR == "crash-chained":
    connect()
if BEHAVIOUR == "error-alone":
    print("Error: x", flush=True)
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
print("listening", flush=True)
server.serve_forever()
"""
FINAL = "DatabaseError: could not connect to the database"
CAUSE = "psycopg.OperationalError: connection failed: Connection refused"
CHAINED = f"{FINAL} (chained from {CAUSE})"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("blocks")
    files = {"app.py.jinja": APP, "psycopg.py": PSYCOPG}
    template = write_template(root / "tpl", COPIER, SMOKE, files)
    _, found = smoke_json(template, root)
    assert leftovers(root / "tmp") == []
    return found


def test_a_crash_reports_the_exception_a_chained_traceback_ends_with(
    results: dict[str, Any],
) -> None:
    result = results["crash-chained"]
    assert (result["status"], result["phase"], result["reason"]) == ("FAIL", "boot", CHAINED)
    excerpt = result["excerpt"]
    assert excerpt[:2] == ["starting", "Traceback (most recent call last):"]
    assert "The above exception was the direct cause of the following exception:" in excerpt
    assert excerpt[-1] == FINAL
    assert CAUSE in excerpt
    assert "\tIs the server running on that host?" in excerpt


def test_a_logged_traceback_is_read_to_its_end_before_the_app_is_stopped(
    results: dict[str, Any],
) -> None:
    """The matched line is a log line above the traceback; the app goes on serving."""
    result = results["logged-chained"]
    assert (result["status"], result["phase"], result["reason"]) == ("FAIL", "quiet", CHAINED)
    excerpt = result["excerpt"]
    assert excerpt[:4] == [
        "starting", "listening", "ERROR:    Exception in ASGI application",
        "Traceback (most recent call last):",
    ]  # fmt: skip
    assert excerpt[-1] == FINAL


def test_a_bad_line_alone_stays_the_reason(results: dict[str, Any]) -> None:
    result = results["error-alone"]
    assert (result["status"], result["phase"], result["reason"]) == ("FAIL", "boot", "Error: x")
    assert result["excerpt"] == ["starting", "Error: x", "listening"]


def test_tracebacks_tell_where_a_traceback_ends() -> None:
    lines = [
        "Traceback (most recent call last):", '  File "a.py", line 1, in <module>', "    f()",
        "KeyError: 'x'", "", "During handling of the above exception, another exception occurred:",
        "", "Traceback (most recent call last):", "    g()", "    ~^^", "RuntimeError: broken",
        "  note: a note", "listening",
    ]  # fmt: skip
    tracebacks = Tracebacks()
    inside = [tracebacks.feed(line) for line in lines]
    assert inside == [True] * 12 + [False]
    assert tracebacks.exceptions == ["KeyError: 'x'", "RuntimeError: broken"]
    # a traceback after another, with no chain between them, starts afresh
    for line in ["Traceback (most recent call last):", "  x", "ValueError: v"]:
        tracebacks.feed(line)
    assert tracebacks.exceptions == ["ValueError: v"]


def test_a_match_inside_a_traceback_keeps_the_traceback_before_it() -> None:
    """fail_on may match the exception line itself: the excerpt still starts at the header."""
    lines = ["serving", "Traceback (most recent call last):", '  File "a.py", line 1', "    f()"]
    lines += ["psycopg.OperationalError: refused", "\thint", "next request"]
    tracebacks, tail = Tracebacks(), deque[str](maxlen=40)
    block = None
    for line in lines:
        inside = tracebacks.feed(line)
        if block is None and line.startswith("psycopg."):
            block = BadBlock(line, tail, tracebacks, inside)
        elif block is not None and not block.done.is_set():
            block.take(line, tracebacks, inside)
        tail.append(line)
    assert block is not None
    assert block.done.is_set()
    assert block.reason() == "psycopg.OperationalError: refused"
    assert block.excerpt() == tuple(lines)
