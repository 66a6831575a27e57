"""Children get default signal handling, whatever freshboot inherited: started by `cmd &` in a
script (SIGINT and SIGQUIT ignored) or with signals blocked, an app that relies on Python's
default SIGINT handling (KeyboardInterrupt, as Django's runserver does) still stops cleanly, and
the install steps, set-up steps and copier tasks see the defaults too."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import leftovers, write_template

# Writes what this process sees to the file named by its argument (or returns it).
CHECK = """\
import json, signal, sys

def name(sig):
    handler = signal.getsignal(sig)
    if handler is signal.default_int_handler:
        return "KeyboardInterrupt"
    return {signal.SIG_DFL: "default", signal.SIG_IGN: "ignored"}.get(handler, str(handler))

def seen():
    return {
        "int": name(signal.SIGINT), "quit": name(signal.SIGQUIT), "term": name(signal.SIGTERM),
        "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    }

if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        json.dump(seen(), out)
"""
# An app that stops only through Python's default SIGINT handling, like `manage.py runserver`.
APP = """\
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
from check import seen

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        found = {"app": seen()}
        for name in ("task", "install", "setup"):
            with open(name + ".json") as f:
                found[name] = json.load(f)
        data = json.dumps(found).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
print("listening", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    print("stopped by KeyboardInterrupt", flush=True)
"""
DEFAULT = {"int": "KeyboardInterrupt", "quit": "default", "term": "default", "blocked": []}
SMOKE = f"""\
install: [[python, check.py, install.json]]
setup: [[python, check.py, setup.json]]
run: [[sh, -c, 'grep -E "^Sig(Ign|Blk)" /proc/self/status; exec python app.py']]
env: {{PORT: "{{{{ port }}}}"}}
ready: {{http: /health, timeout: 20}}
probes:
  - get: /health
    expect: {{status: 200, json: {json.dumps({k: DEFAULT for k in ("app", "task", "install", "setup")})}}}
stop: {{signal: SIGINT, grace: 5, exit: 0}}
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    copier = "_tasks:\n  - [python, check.py, task.json]\n"
    return write_template(tmp_path / "tpl", copier, SMOKE, {"check.py": CHECK, "app.py": APP})


def _run(
    template: Path, tmp_path: Path, shell: str = "", preexec: Callable[[], None] | None = None
) -> dict[str, Any]:
    """`freshboot smoke` on the template; with `shell`, started by `sh -c` after those words."""
    report = tmp_path / "r.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    argv = [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
            "--out", str(tmp_path / "out"), "--trust", "--json", str(report)]  # fmt: skip
    if shell:
        argv = ["sh", "-c", f"{shell} exec {shlex.join(argv)}"]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600,
        check=False, stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(scratch)},
        preexec_fn=preexec,
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    result: dict[str, Any] = json.loads(report.read_text())["results"][0]
    assert done.returncode == (0 if result["status"] == "PASS" else 1), done.stderr
    assert leftovers(scratch) == []
    return result


def test_started_in_the_background_of_a_script(template: Path, tmp_path: Path) -> None:
    """`freshboot smoke ... &` in a non-interactive shell ignores SIGINT and SIGQUIT."""
    result = _run(template, tmp_path, shell='trap "" INT QUIT;')
    assert (result["status"], result["reason"]) == ("PASS", ""), result
    _stopped_by_default_handling(tmp_path)


def _stopped_by_default_handling(tmp_path: Path) -> None:
    log = (tmp_path / "out" / "default.log").read_text()
    assert "stopped by KeyboardInterrupt" in log
    # What the app's command inherited (before Python ignores SIGPIPE and SIGXFSZ in itself):
    # no signal ignored, none blocked.
    assert "SigIgn:\t0000000000000000" in log
    assert "SigBlk:\t0000000000000000" in log


def _block() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGQUIT, signal.SIGTERM])


def test_started_with_signals_blocked(template: Path, tmp_path: Path) -> None:
    result = _run(template, tmp_path, preexec=_block)
    assert (result["status"], result["reason"]) == ("PASS", ""), result
    _stopped_by_default_handling(tmp_path)
