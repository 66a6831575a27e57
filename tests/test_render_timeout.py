"""A render that never ends (a template file looping for ever; no --trust needed) is stopped
like any other phase: by --timeout, and by the first Ctrl-C or SIGTERM within 5 s, with the
reports written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import freshboot, http_app, leftovers, write_template

FOREVER = (
    "{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
    "{% endfor %}{% endfor %}{% endfor %}\n"
)
SMOKE = """\
install: []
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /}
"""


def _template(root: Path) -> Path:
    template = write_template(
        root, "name: {type: str, default: x}\n", SMOKE, {"app.py": http_app("{}")}
    )
    (template / "project" / "forever.txt.jinja").write_text(FOREVER)
    return template


@pytest.mark.parametrize("cache", [True, False], ids=["render-cache", "no-cache"])
def test_timeout_stops_a_render_that_never_ends(tmp_path: Path, cache: bool) -> None:
    template = _template(tmp_path / "tpl")
    report, scratch = tmp_path / "r.json", tmp_path / "tmp"
    began = time.monotonic()
    done = freshboot(
        "smoke", "--template", template, "--out", tmp_path / "out", "--json", report,
        "--timeout", "3", *([] if cache else ["--no-cache"]),
        tmp=scratch, cache=tmp_path / "cache", timeout=60,
    )  # fmt: skip
    took = time.monotonic() - began

    assert took < 20, f"took {took:.1f} s"
    assert done.returncode == 1, done.stdout + done.stderr
    [result] = json.loads(report.read_text())["results"]
    assert result["status"] == "FAIL"
    assert result["reason"] == "did not finish within 3 s (timed out in generate)"
    assert "Traceback" not in done.stderr
    assert leftovers(scratch) == []
    assert list((tmp_path / "cache").glob("renders/.staging-*")) == []


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_first_signal_ends_a_hung_render(tmp_path: Path, sig: signal.Signals, status: int) -> None:
    template = _template(tmp_path / "tpl")
    report, scratch, out = tmp_path / "r.json", tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
         "--out", str(out), "--json", str(report)],
        env={**os.environ, "TMPDIR": str(scratch), "FRESHBOOT_CACHE": str(tmp_path / "cache")},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(4)  # well into the render
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    elapsed = time.monotonic() - sent

    assert proc.returncode == status, stdout + stderr
    assert elapsed < 5, f"took {elapsed:.1f} s to stop"
    assert "interrupted: 0 of 1 variants finished" in stderr
    assert "Traceback" not in stderr
    assert json.loads(report.read_text())["interrupted"] is True
    assert leftovers(scratch) == []
