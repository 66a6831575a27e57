"""The harness against a tiny template of another shape, one variant per way a first day can
go wrong: each must get the exact verdict, phase and reason, and leave nothing running."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smoke_tests.process import MAX_LINE, split_lines
from tests.helpers import TINY, leftovers, require_binary, smoke_json

EXPECTED = {
    "clean": ("PASS", "done", ""),
    "error-line": ("FAIL", "boot", "Error: QueueProviderMissing"),
    "late-error": ("FAIL", "quiet", "Error: the job store went away"),
    "crash-after-ready": ("FAIL", "probe", "python app.py exited with status 3 during GET /work"),
    "never-ready": ("FAIL", "boot", "not ready within 8 s: GET /health gave ConnectError"),
    "bad-body": ("FAIL", "probe", 'GET /health: answered HTTP 200 {"ok": false, "done": true}; expected JSON containing {"ok": true}'),
    "ignores-sigint": ("FAIL", "stop", "python app.py did not exit within 3 s of SIGINT"),
    "bad-exit": ("FAIL", "stop", "python app.py exited with status 3 on SIGINT; expected 0"),
    "grandchild": ("FAIL", "stop", "(sleep 300) survived SIGINT to python app.py"),
    "leaks-secret": ("FAIL", "boot", "Error: cannot reach redis://127.0.0.1:"),
    "job-never-done": ("FAIL", "probe", 'GET /job: still answered HTTP 200 {"status": "queued"}; expected JSON containing {"status": "done"} after 2 s'),
    "flood": ("PASS", "done", ""),
    "bad-utf8": ("FAIL", "boot", "Error: after bad bytes \ufffd"),
}  # fmt: skip


@dataclass(frozen=True)
class TinyRun:
    returncode: int
    stdout: str
    results: dict[str, Any]
    tmp: Path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    require_binary("redis-server", "apt-get install -y redis-server")
    tmp = tmp_path_factory.mktemp("tiny")
    done, results = smoke_json(TINY, tmp, "-k", "not service-dies")  # see test_concurrency
    return TinyRun(done.returncode, done.stdout, results, tmp / "tmp")


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_verdict(tiny_run: TinyRun, behaviour: str) -> None:
    results = tiny_run.results
    status, phase, reason = EXPECTED[behaviour]
    result = results[behaviour]
    assert (result["status"], result["phase"]) == (status, phase), result
    if reason:
        assert reason in result["reason"]
        assert result["repro"].endswith(f"--variant {behaviour}")
    else:
        assert result["reason"] == ""


def test_exit_status_and_lines(tiny_run: TinyRun) -> None:
    returncode, stdout, results = tiny_run.returncode, tiny_run.stdout, tiny_run.results
    assert returncode == 1
    assert set(results) == set(EXPECTED)
    for behaviour, (status, phase, _) in EXPECTED.items():
        assert any(line.split()[:3] == [status, behaviour, phase] for line in stdout.splitlines())
    assert "2 passed, 11 failed, 0 errors, 0 skipped" in stdout


def test_error_excerpt_shows_lines_around_the_bad_one(
    tiny_run: TinyRun,
) -> None:
    excerpt = tiny_run.results["error-line"]["excerpt"]
    assert excerpt[:2] == ["starting", "Error: QueueProviderMissing"]
    assert (
        Path(tiny_run.results["error-line"]["log"]).read_text().count("Error: QueueProviderMissing")
        == 1
    )


def test_nothing_left_running(tiny_run: TinyRun) -> None:
    assert leftovers(tiny_run.tmp) == []


def test_flood_is_logged_head_and_tail_and_invalid_utf8_readable(tiny_run: TinyRun) -> None:
    # 20 MB of output: the log keeps its first 10 MiB and last 2 MiB, and says what it dropped.
    log = Path(tiny_run.results["flood"]["log"])
    flood = log.read_text(encoding="utf-8")
    assert 60_000 < flood.count("x" * 199 + "\n") < 100_000
    assert "lines) dropped: the log keeps the first 10485760 and the last 2097152 bytes" in flood
    assert flood.index("starting") < flood.index("dropped") < flood.index("listening on")
    assert log.stat().st_size < 13 * 1024 * 1024
    bad = Path(tiny_run.results["bad-utf8"]["log"]).read_text(
        encoding="utf-8"
    )  # strict: valid UTF-8
    assert "caf\ufffd \ufffd\ufffd not utf-8" in bad


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        (["a\r\nb", "c\r", "\nd\re\rf", "\r\n"], ["a", "bc", "d", "e", "f"]),
        (["a\r", "xyz\n"], ["a", "xyz"]),
        (["10%\r", "20%\r", "done\r\n"], ["10%", "20%", "done"]),
        (["x" * (MAX_LINE + 10)], ["x" * MAX_LINE]),
    ],
)
def test_output_is_split_into_lines_in_linear_time(chunks: list[str], lines: list[str]) -> None:
    got: list[str] = []
    partial = ""
    for chunk in chunks:
        done, partial = split_lines(partial, chunk)
        got += done
    assert got == lines
