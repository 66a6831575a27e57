"""Fail fast and failed first: `-x` starts no variant after the first FAIL (those running
finish), and `--ff` runs the variants that failed last time first, as recorded in the cache."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TINY, freshboot


def _smoke(
    tmp: Path, name: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = tmp / f"{name}.json"
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp / f"out-{name}", "--json", report, *args,
        tmp=tmp / "tmp",
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    return done, json.loads(report.read_text())


def _variants(*ids: str) -> list[str]:
    return [arg for v in ids for arg in ("--variant", v)]


def test_exitfirst_starts_nothing_after_the_first_fail(tmp_path: Path) -> None:
    done, doc = _smoke(
        tmp_path, "x", "-x", "-j", "1", *_variants("error-line", "clean", "bad-body")
    )
    assert done.returncode == 1
    assert [(r["variant"], r["status"]) for r in doc["results"]] == [("error-line", "FAIL")]
    assert doc["not_run"] == ["clean", "bad-body"]
    assert "stopped at the first failure (-x): 2 variant(s) not run" in done.stdout
    assert "0 passed, 1 failed, 0 errors, 0 skipped" in done.stdout


def test_exitfirst_lets_running_variants_finish(tmp_path: Path) -> None:
    # error-line fails at boot while clean (started beside it) still boots, probes and stops.
    ids = ("error-line", "clean", "bad-body", "bad-exit")
    done, doc = _smoke(tmp_path, "x2", "-x", "-j", "2", *_variants(*ids))
    verdicts = {r["variant"]: r["status"] for r in doc["results"]}
    assert verdicts == {"error-line": "FAIL", "clean": "PASS"}, done.stdout
    assert doc["not_run"] == ["bad-body", "bad-exit"]
    assert done.returncode == 1


def test_without_exitfirst_every_variant_runs(tmp_path: Path) -> None:
    done, doc = _smoke(tmp_path, "all", "-j", "1", *_variants("error-line", "clean"))
    assert [r["variant"] for r in doc["results"]] == ["error-line", "clean"]
    assert doc["not_run"] == []
    assert "stopped at the first failure" not in done.stdout


def test_failed_first_runs_last_failures_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHBOOT_CACHE", str(tmp_path / "cache"))
    _smoke(tmp_path, "first", "-j", "1", *_variants("clean", "error-line"))

    # error-line failed last time: with --ff it starts first, the rest in their usual order.
    done, doc = _smoke(
        tmp_path, "ff", "--ff", "-j", "1", *_variants("clean", "bad-body", "error-line")
    )
    started = sorted(doc["results"], key=lambda r: r["start"])
    assert [r["variant"] for r in started] == ["error-line", "clean", "bad-body"]
    assert [r["variant"] for r in doc["results"]] == ["clean", "bad-body", "error-line"]
    assert "--ff: 1 variant(s) that failed last time run first" in done.stdout

    # The record keeps each failure until the variant passes; bad-body failed too now.
    done, doc = _smoke(tmp_path, "ffx", "--ff", "-x", "-j", "1", *_variants("clean", "bad-body"))
    assert [r["variant"] for r in doc["results"]] == ["bad-body"]
    assert doc["not_run"] == ["clean"]
    assert done.returncode == 1

    # Without --ff the order is the usual one.
    done, doc = _smoke(tmp_path, "plain", "-j", "1", *_variants("clean", "error-line"))
    started = sorted(doc["results"], key=lambda r: r["start"])
    assert [r["variant"] for r in started] == ["clean", "error-line"]
