"""A full `--out` (simulated with a tiny tmpfs, filled up) is the machine's fault: the variants
that could not write their logs are ERROR naming --out and the error, one line says so, the
reports are written where they can be and each lost one is named, exit status 3."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import TINY, freshboot, leftovers


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Path]:
    """A 200 KB tmpfs, filled to the last byte: an empty file still fits, no data does."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        with (folder / "filler").open("wb", buffering=0) as filler:
            try:
                while filler.write(b"\0" * 4096):
                    pass
            except OSError:
                pass
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _run(tmp_path: Path, out: Path, report: Path) -> subprocess.CompletedProcess[str]:
    return freshboot(
        "smoke", "--template", TINY, "--out", out, "--json", report, "-j", "2",
        "--variant", "clean", "--variant", "never-ready", tmp=tmp_path / "tmp", timeout=300,
    )  # fmt: skip


def test_full_out_is_one_line_and_exit_3_with_the_json_kept(tmp_path: Path, full: Path) -> None:
    report = tmp_path / "r.json"
    done = _run(tmp_path, full, report)

    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "internal error" not in done.stdout
    assert f"freshboot: error: cannot write --out {full}: No space left on device; " in done.stderr
    results = {r["variant"]: r for r in json.loads(report.read_text())["results"]}
    assert results["clean"]["status"] == "ERROR"
    assert results["clean"]["reason"] == f"cannot write --out {full}: No space left on device"
    assert "ERROR clean" in done.stdout
    assert leftovers(tmp_path / "tmp") == []


def test_report_lost_to_a_full_disk_is_said_and_exit_3(tmp_path: Path, full: Path) -> None:
    report = full / "r.json"
    done = _run(tmp_path, tmp_path / "out", report)

    assert done.returncode == 3, done.stdout + done.stderr
    assert "PASS  clean" in done.stdout  # the results printed are kept
    assert done.stderr.strip().splitlines()[-1] == (
        f"freshboot: error: cannot write --json {report}: No space left on device; "
        "that report is lost"
    )
