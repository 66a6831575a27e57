"""The harness against a tiny template of another shape, one variant per way a first day can
go wrong: each must get the exact verdict, phase and reason, and leave nothing running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TINY, leftover_processes, smoke_json

EXPECTED = {
    "clean": ("PASS", "done", ""),
    "error-line": ("FAIL", "boot", "Error: QueueProviderMissing"),
    "late-error": ("FAIL", "quiet", "Error: the job store went away"),
    "crash-after-ready": ("FAIL", "probe", "python app.py exited with status 3 during GET /work"),
    "never-ready": ("FAIL", "boot", "not ready within 4 s: GET /health gave ConnectError"),
    "bad-body": ("FAIL", "probe", 'GET /health: answered HTTP 200 {"ok": false, "done": true}; expected JSON containing {"ok": true}'),
    "ignores-sigint": ("FAIL", "stop", "python app.py did not exit within 3 s of SIGINT"),
    "bad-exit": ("FAIL", "stop", "python app.py exited with status 3 on SIGINT; expected 0"),
    "grandchild": ("FAIL", "stop", "(sleep 300) survived SIGINT to python app.py"),
}  # fmt: skip


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("tiny")
    done, results = smoke_json(TINY, tmp)
    return done.returncode, done.stdout, results


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_verdict(tiny_run: tuple[int, str, dict[str, Any]], behaviour: str) -> None:
    _, _, results = tiny_run
    status, phase, reason = EXPECTED[behaviour]
    result = results[behaviour]
    assert (result["status"], result["phase"]) == (status, phase), result
    if reason:
        assert reason in result["reason"]
        assert result["repro"].endswith(f"--variant {behaviour}")
    else:
        assert result["reason"] == ""


def test_exit_status_and_lines(tiny_run: tuple[int, str, dict[str, Any]]) -> None:
    returncode, stdout, results = tiny_run
    assert returncode == 1
    assert set(results) == set(EXPECTED)
    for behaviour, (status, phase, _) in EXPECTED.items():
        assert any(line.split()[:3] == [status, behaviour, phase] for line in stdout.splitlines())
    assert "1 passed, 8 failed, 0 errors, 0 skipped" in stdout


def test_error_excerpt_shows_lines_around_the_bad_one(
    tiny_run: tuple[int, str, dict[str, Any]],
) -> None:
    excerpt = tiny_run[2]["error-line"]["excerpt"]
    assert excerpt[:2] == ["starting", "Error: QueueProviderMissing"]
    assert (
        Path(tiny_run[2]["error-line"]["log"]).read_text().count("Error: QueueProviderMissing") == 1
    )


def test_nothing_left_running(tiny_run: tuple[int, str, dict[str, Any]]) -> None:
    assert leftover_processes() == []
