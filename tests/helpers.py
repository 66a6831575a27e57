"""Test helpers: run the real `freshboot` command, find leftovers, require real servers in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from smoke_tests.reaper import MARKER

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"
TINY = ROOT / "tests" / "templates" / "tiny"


def freshboot(
    *args: str | Path, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would, and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "smoke_tests", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def smoke_json(
    template: Path, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`freshboot smoke --json` on `template`; the process and its results by variant id."""
    report = tmp_path / "results.json"
    done = freshboot(
        "smoke", "--template", template, "--out", tmp_path / "out", "--json", report, *args
    )
    assert report.exists(), done.stdout + done.stderr
    results = json.loads(report.read_text())["results"]
    return done, {r["variant"]: r for r in results}


def leftover_processes() -> list[str]:
    """Processes any app started by the harness left running (they carry its marker)."""
    left = []
    for proc in psutil.process_iter():
        try:
            if MARKER in proc.environ():
                left.append(f"{proc.pid} {' '.join(proc.cmdline())}")
        except psutil.Error:
            continue
    return left


def require_binary(name: str, hint: str) -> None:
    """Skip when a server binary is missing here, but fail in CI, where it must be installed."""
    if shutil.which(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI; {hint}")
        pytest.skip(f"{name} not installed; {hint}")
