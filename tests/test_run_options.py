"""Run options as a maintainer uses them in CI: where services come from, a time limit per
variant, secrets kept out of every log and report, and reports that cannot be written."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smoke_tests.ports import free_port
from tests.helpers import TINY, freshboot, leftovers, require_binary, smoke_json

SECRET = "s3cret-Passw0rd"


@pytest.fixture
def redis_with_password(tmp_path: Path) -> Iterator[str]:
    """A redis-server that requires a password, as a shared CI service would."""
    require_binary("redis-server", "apt-get install -y redis-server")
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--requirepass", SECRET, "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
    try:
        yield f"redis://:{SECRET}@127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_external_service_password_is_redacted_everywhere(
    tmp_path: Path, redis_with_password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHBOOT_REDIS_URL", redis_with_password)
    junit, markdown = tmp_path / "r.xml", tmp_path / "r.md"
    done, results = smoke_json(
        TINY, tmp_path, "--services", "external", "--variant", "leaks-secret",
        "--junit", str(junit), "--markdown", str(markdown),
    )  # fmt: skip
    result = results["leaks-secret"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot")
    assert result["reason"].startswith("Error: cannot reach redis://:***@127.0.0.1:")
    written = [
        done.stdout,
        done.stderr,
        junit.read_text(),
        markdown.read_text(),
        (tmp_path / "results.json").read_text(),
    ]
    written += [p.read_text() for p in (tmp_path / "out").iterdir()]
    assert all(SECRET not in text for text in written)
    assert "redis://:***@" in (tmp_path / "out" / "leaks-secret.log").read_text()


def test_external_without_url_is_an_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRESHBOOT_REDIS_URL", raising=False)
    done, results = smoke_json(
        TINY, tmp_path, "--services", "external", "--variant", "leaks-secret"
    )
    assert done.returncode == 3
    result = results["leaks-secret"]
    assert (result["status"], result["phase"]) == ("ERROR", "services")
    assert "set FRESHBOOT_REDIS_URL" in result["reason"]


@pytest.mark.parametrize(("mode", "status", "code"), [("auto", "SKIP", 0), ("require", "ERROR", 3)])
def test_missing_server_binary_skips_or_errors(
    tmp_path: Path, mode: str, status: str, code: int
) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("python3", "git"):
        target = subprocess.run(
            ["which", tool], capture_output=True, text=True, check=True
        ).stdout.strip()
        (bare / tool).symlink_to(target)
    env_path = f"{bare}{os.pathsep}{Path(sys.executable).parent}"
    report = tmp_path / "r.json"
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(TINY), "--out", str(tmp_path / "out"),
         "--json", str(report), "--services", mode, "--variant", "leaks-secret"],
        env={**os.environ, "PATH": env_path}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == code, done.stdout + done.stderr
    result = json.loads(report.read_text())["results"][0]
    assert (result["status"], result["phase"]) == (status, "services")
    assert "apt-get install -y redis-server" in result["reason"]


def test_timeout_ends_a_variant_and_its_processes(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    shutil.copytree(TINY, template)
    smoke = template / "smoke.yaml"
    smoke.write_text(smoke.read_text().replace("timeout: 8", "timeout: 120"))
    started = time.monotonic()
    _, results = smoke_json(template, tmp_path, "--timeout", "6", "--variant", "never-ready")
    elapsed = time.monotonic() - started
    result = results["never-ready"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot")
    assert result["reason"] == "did not finish within 6 s (timed out in boot)"
    assert elapsed < 60, "the variant ran to its own 120 s ready timeout instead"
    assert leftovers(tmp_path / "tmp") == []


def test_report_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is not available here")
    done = freshboot(
        "smoke",
        "--template",
        TINY,
        "--out",
        tmp_path / "out",
        "--variant",
        "clean",
        "--json",
        "/dev/full",
    )
    # The machine's fault, not bad input: exit 3, and the lost report is named.
    assert done.returncode == 3
    assert done.stderr.strip().splitlines()[-1] == (
        "freshboot: error: cannot write --json /dev/full: No space left on device; "
        "that report is lost"
    )
    assert Path("/dev/full").is_char_device()


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = freshboot("smoke", "--template", TINY, "--out", blocker / "out")
    assert done.returncode == 2
    assert done.stderr.startswith("freshboot: error: cannot write to --out ")
    assert len(done.stderr.strip().splitlines()) == 1
