"""Runs that share a machine: two runs of one template at once, a service that dies mid-run,
and the clean matrix repeated to show it does not flake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import TEMPLATE, TINY, leftovers, require_binary, smoke_json


def _start(tmp: Path, *args: str) -> subprocess.Popen[str]:
    (tmp / "tmp").mkdir(parents=True)
    return subprocess.Popen(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(TINY), "--out", str(tmp / "out"),
         "--json", str(tmp / "r.json"), *args],
        env={**os.environ, "TMPDIR": str(tmp / "tmp")}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_two_runs_of_one_template_at_once(tmp_path: Path) -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    chosen = ["-j", "2", "--variant", "clean", "--variant", "bad-body", "--variant", "leaks-secret"]
    runs = [_start(tmp_path / name, *chosen) for name in ("a", "b")]
    for run in runs:
        run.communicate(timeout=300)
    for name, run in zip(("a", "b"), runs, strict=True):
        assert run.returncode == 1
        results = {
            r["variant"]: r for r in json.loads((tmp_path / name / "r.json").read_text())["results"]
        }
        assert {v: (r["status"], r["phase"]) for v, r in results.items()} == {
            "clean": ("PASS", "done"),
            "bad-body": ("FAIL", "probe"),
            "leaks-secret": ("FAIL", "boot"),
        }
        assert leftovers(tmp_path / name / "tmp") == []


def test_a_service_that_dies_is_an_error_of_that_variant_only(tmp_path: Path) -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    run = _start(tmp_path, "-j", "2", "--variant", "clean", "--variant", "service-dies")
    log = tmp_path / "out" / "service-dies.log"
    deadline = time.monotonic() + 120
    while not (log.exists() and "waiting for redis to go away" in log.read_text()):
        assert time.monotonic() < deadline, "the variant never started"
        time.sleep(0.05)
    ours = [p for p in psutil.Process(run.pid).children() if p.name() == "redis-server"]
    assert len(ours) == 1
    ours[0].kill()
    run.communicate(timeout=120)
    results = {r["variant"]: r for r in json.loads((tmp_path / "r.json").read_text())["results"]}
    assert (results["clean"]["status"], results["clean"]["phase"]) == ("PASS", "done")
    dies = results["service-dies"]
    assert (dies["status"], dies["phase"]) == ("ERROR", "probe"), dies
    assert dies["reason"].startswith(
        "the redis service died during the run; then: GET /work: answered HTTP 200"
    )
    assert run.returncode == 3
    assert leftovers(tmp_path / "tmp") == []


@pytest.mark.slow
def test_clean_embedded_matrix_does_not_flake(tmp_path: Path) -> None:
    """The release gate's variants that need no server, three times over: zero failures."""
    for attempt in range(3):
        done, results = smoke_json(
            TEMPLATE, tmp_path / str(attempt), "-k", "not redis and not postgres"
        )
        assert results
        bad = {v: r["reason"] for v, r in results.items() if r["status"] != "PASS"}
        assert bad == {}, f"attempt {attempt + 1}: {bad}\n{done.stdout}"
