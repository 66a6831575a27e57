"""Probes on answers that are not JSON: `text:` (a substring, or `{regex: ...}`) and `headers:`,
rendered per variant; a mismatch is a FAIL in `probe` that names what was expected and shows
the start of what came."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smoke_tests.spec import SpecError, load_spec
from tests.helpers import freshboot, smoke_json, write_template

PAGE = (
    "<!doctype html>\n<html>\n  <head><title>Home of {name}</title></head>\n"
    "  <body><h1>Welcome to {name}</h1><p>A page long enough to be cut short.</p></body>\n"
    "</html>\n"
)
APP = f"""\
import os, signal, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = {PAGE!r}.format(name=os.environ["NAME"])
polls = 0

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global polls
        headers = {{"Content-Type": "text/plain"}}
        if self.path == "/":
            body = PAGE
            headers = {{"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY"}}
        elif self.path == "/job":
            polls += 1
            body = "done" if polls >= 3 else "pending"
        else:
            body = "pending"
        data = body.encode()
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever()
"""
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}", NAME: "{{ name }}"}
ready: {http: /, timeout: 10}
stop: {signal: SIGINT, grace: 5, exit: 0}
axes:
  probe:
    ok:
      probes:
        - get: /
          expect:
            status: 200
            text: "Welcome to {{ name }}"
            headers: {content-type: text/html, X-FRAME-OPTIONS: DENY}
        - get: /
          expect: {text: {regex: "<title>Home of \\\\w+</title>"}}
        - get: /job
          until: {text: {regex: "^done$"}, headers: {Content-Type: "text/plain"}}
          timeout: 5
    text-miss:
      probes: [{get: /, expect: {text: "Goodbye from {{ name }}"}}]
    regex-miss:
      probes: [{get: /, expect: {text: {regex: "^Welcome"}}}]
    header-differs:
      probes: [{get: /, expect: {headers: {X-Frame-Options: SAMEORIGIN}}}]
    header-absent:
      probes: [{get: /, expect: {headers: {Strict-Transport-Security: max-age}}}]
    until-miss:
      probes: [{get: /static, until: {text: done}, timeout: 1}]
"""
SHOWN = '"<!doctype html> <html> <head><title>Home of demo</title></head> <body><h1>Welcom..."'
EXPECTED = {
    "text-miss": f"GET /: answered HTTP 200 text/html {SHOWN}; expected text containing \"Goodbye from demo\"",
    "regex-miss": f'GET /: answered HTTP 200 text/html {SHOWN}; expected text matching "^Welcome"',
    "header-differs": 'GET /: answered HTTP 200 with X-Frame-Options: DENY; expected X-Frame-Options containing "SAMEORIGIN"',
    "header-absent": 'GET /: answered HTTP 200 without a Strict-Transport-Security header; expected Strict-Transport-Security containing "max-age"',
    "until-miss": 'GET /static: still answered HTTP 200 text/plain "pending"; expected text containing "done" after 1 s',
}  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("probe-text")
    copier = "name:\n  type: str\n  default: demo\n"
    template = write_template(tmp / "tpl", copier, SMOKE, {"app.py": APP})
    _, found = smoke_json(template, tmp, "-j", "2")
    return found


def test_text_regex_and_headers_pass(results: dict[str, Any]) -> None:
    assert results["default"]["status"] == "PASS", results["default"]


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_a_mismatch_is_a_fail_in_probe_naming_what_was_expected(
    results: dict[str, Any], variant: str
) -> None:
    result = results[variant]
    assert (result["status"], result["phase"]) == ("FAIL", "probe"), result
    assert result["reason"] == EXPECTED[variant]


BASE = "run: [[app]]\nready: {http: /}\nprobes:\n  - get: /\n"


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            "    expect: {text: {regex: '(unclosed'}}\n",
            "smoke.yaml:5: probes[0].expect.text.regex: invalid regular expression (missing ), unterminated subpattern at position 0)",
        ),
        (
            "    expect:\n      text: {pattern: x}\n",
            "smoke.yaml:6: probes[0].expect.text.pattern: unknown key; expected one of regex",
        ),
        ("    until: {text: ''}\n", "smoke.yaml:5: probes[0].until.text: expected a non-empty string"),
        ("    expect: {headers: [x]}\n", "smoke.yaml:5: probes[0].expect.headers: expected a mapping, got list"),
        ("    expect: {body: x}\n", "smoke.yaml:5: probes[0].expect.body: unknown key; expected one of headers, json, status, text"),
    ],
)  # fmt: skip
def test_bad_text_and_header_expectations_name_the_line(
    tmp_path: Path, expect: str, message: str
) -> None:
    (tmp_path / "smoke.yaml").write_text(BASE + expect)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_the_command_line_refuses_a_bad_regex(tmp_path: Path) -> None:
    root = write_template(tmp_path / "tpl", "", BASE + "    expect: {text: {regex: '[z-a]'}}\n", {})
    done = freshboot("variants", "--template", root)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"freshboot: error: {root / 'smoke.yaml'}:5: probes[0].expect.text.regex: "
        "invalid regular expression (bad character range z-a at position 1)"
    )
