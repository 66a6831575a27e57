"""Ctrl-C and SIGTERM in the middle of a run: within 5 s every process and temporary folder is
gone, the reports say the run was interrupted, and the exit status is 130 or 143."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import TINY, leftovers


def _wait_for(path: Path, text: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} never contained {text!r}")


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_during_boot_cleans_up(tmp_path: Path, sig: signal.Signals, status: int) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(TINY), "--out", str(out),
         "--json", str(report), "--junit", str(junit), "-j", "2",
         "--variant", "clean", "--variant", "never-ready"],
        env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:  # plain lines, one per finished variant
        if line.startswith("PASS  clean"):
            break
    _wait_for(out / "never-ready.log", "starting")
    sent = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent

    assert proc.returncode == status, stdout + stderr
    assert elapsed < 5, f"took {elapsed:.1f} s to stop"
    assert "interrupted: 1 of 2 variants finished" in stderr
    assert "Traceback" not in stderr
    assert leftovers(scratch) == []
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    assert [r["variant"] for r in doc["results"]] == ["clean"]
    assert 'name="interrupted" value="true"' in junit.read_text()


@pytest.mark.parametrize(
    ("phase", "change", "variant", "marker"),
    [
        ("install", ("install: []", "install: [[sleep, '60']]"), "clean", "$ sleep 60"),
        ("probe", ("    timeout: 2\n", "    timeout: 60\n"), "job-never-done", "listening on"),
    ],
)
def test_interrupt_during_install_or_probes_cleans_up(
    tmp_path: Path, phase: str, change: tuple[str, str], variant: str, marker: str
) -> None:
    template = tmp_path / "tpl"
    shutil.copytree(TINY, template)
    smoke = template / "smoke.yaml"
    assert change[0] in smoke.read_text()
    smoke.write_text(smoke.read_text().replace(change[0], change[1]))
    scratch, out, report = tmp_path / "tmp", tmp_path / "out", tmp_path / "r.json"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template), "--out", str(out),
         "--json", str(report), "--variant", variant],
        env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    _wait_for(out / f"{variant}.log", marker)
    time.sleep(0.3)  # well inside the phase
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert proc.returncode == 130, stderr
    assert elapsed < 5, f"took {elapsed:.1f} s to stop during {phase}"
    assert leftovers(scratch) == []
    assert json.loads(report.read_text())["interrupted"] is True
