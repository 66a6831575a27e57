"""Faults the gate once let through, injected into a copy of the bundled template and caught in
the right variants and phase: an error logged a second after readiness, a scheduler that
disables itself with one ERROR line and never sends, a failing release step whose reason did
not say why. Each test also shows that without the new judgement the fault passes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TEMPLATE, leftovers, smoke_json

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PACKAGE = Path("project/{{package_name}}")
# One variant of each start profile and worker mode, production among them (no service needed).
EVERY_SHAPE = ("async", "queue", "blocking", "queue-split", "async-all", "queue-all",
               "blocking-all", "async-prod")  # fmt: skip


def _broken(tmp_path: Path, file: str, was: str, now: str) -> Path:
    """A copy of the bundled template with `was` replaced by `now` in one of its files."""
    copy = tmp_path / "template"
    if not copy.exists():
        shutil.copytree(TEMPLATE, copy)
    path = copy / file
    text = path.read_text()
    assert text.count(was) == 1, f"{file} no longer holds {was!r}"
    path.write_text(text.replace(was, now))
    return copy


def _smoke(template: Path, tmp_path: Path, *variants: str) -> dict[str, Any]:
    args = [arg for variant in variants for arg in ("--variant", variant)]
    _, results = smoke_json(template, tmp_path, *args)
    assert leftovers(tmp_path / "tmp") == []
    return results


SERVE = "                    await serve(started.app, sock, stop)\n"
LATE_ERROR = """\
                    asyncio.get_running_loop().call_later(1.0, _warm_up_failed)
                    await serve(started.app, sock, stop)
"""
WARM_UP = '''

def _warm_up_failed() -> None:
    """A background task that fails a second after the server is up; the app keeps serving."""
    try:
        raise RuntimeError("the cache warm-up failed")
    except RuntimeError:
        logger.exception("cache warm-up failed")
'''


def test_an_error_a_second_after_ready_fails_every_shape_in_quiet(tmp_path: Path) -> None:
    broken = _broken(tmp_path, f"{PACKAGE}/runtime.py", SERVE, LATE_ERROR)
    runtime = broken / PACKAGE / "runtime.py"
    runtime.write_text(runtime.read_text() + WARM_UP)

    results = _smoke(broken, tmp_path / "on", *EVERY_SHAPE)
    for variant in EVERY_SHAPE:
        result = results[variant]
        assert (result["status"], result["phase"]) == ("FAIL", "quiet"), result
        assert result["reason"] == "RuntimeError: the cache warm-up failed", result

    # The window switched off: stopped right after its probes, the app never shows the error.
    smoke = broken / "smoke.yaml"
    smoke.write_text(smoke.read_text() + "\nobserve: 0\n")
    results = _smoke(broken, tmp_path / "off", "async", "blocking")
    assert {r["status"] for r in results.values()} == {"PASS"}, results


DISABLED = """\
    logger.error("scheduler: the schedule source did not answer; scheduling disabled")
    await stop.wait()
    return
"""
SCHEDULER_START = (
    "    scheduler = TaskiqScheduler(broker, [ConfigScheduleSource(jobs, store, sent)])\n"
)
ERROR_PATTERN = "  - '^\\S+ ERROR (?!(?:uvicorn|taskiq|alembic|sqlalchemy|asyncio)\\b)[\\w.]+: '\n"
HEARTBEAT_PROBE = """\
        - get: /jobs/scheduled
          until: {status: 200, json: {jobs: {heartbeat: {status: done, result: heartbeat}}}}
          timeout: 15
"""


def test_a_scheduler_that_never_sends_fails_every_all_variant(tmp_path: Path) -> None:
    broken = _broken(
        tmp_path, f"{PACKAGE}/scheduler.py", SCHEDULER_START, DISABLED + SCHEDULER_START
    )
    results = _smoke(broken, tmp_path / "both", "async-all", "queue-all", "blocking-all", "async")
    for variant in ("async-all", "queue-all", "blocking-all"):
        result = results[variant]
        assert (result["status"], result["phase"]) in {("FAIL", "boot"), ("FAIL", "quiet")}
        assert result["reason"].endswith("ERROR freshapp.scheduler: scheduler: the schedule "
                                         "source did not answer; scheduling disabled"), result  # fmt: skip
    assert results["async"]["status"] == "PASS", results["async"]  # no scheduler runs there

    # Without the ERROR pattern, the probe that waits for the heartbeat's effect catches it.
    _broken(tmp_path, "smoke.yaml", ERROR_PATTERN, "")
    result = _smoke(broken, tmp_path / "effects", "async-all")["async-all"]
    assert (result["status"], result["phase"]) == ("FAIL", "probe"), result
    assert result["reason"].startswith("GET /jobs/scheduled: still answered HTTP 200"), result
    assert result["reason"].endswith("after 15 s"), result

    # With neither judgement (the smoke.yaml of before), the fault passes.
    _broken(tmp_path, "smoke.yaml", HEARTBEAT_PROBE, "")
    result = _smoke(broken, tmp_path / "neither", "async-all")["async-all"]
    assert result["status"] == "PASS", result


CONFIG_CHECK = 'findings = [Finding("ok", "config", _summary(config))]'
CONFIG_REFUSED = 'findings = [Finding("FAIL", "config", "workers.mode is not supported here")]'


def test_a_failing_release_step_names_its_cause(tmp_path: Path) -> None:
    broken = _broken(tmp_path, f"{PACKAGE}/doctor.py", CONFIG_CHECK, CONFIG_REFUSED)
    results = _smoke(broken, tmp_path, "async-prod", "async")
    result = results["async-prod"]
    assert (result["status"], result["phase"]) == ("FAIL", "setup"), result
    assert result["reason"] == (
        "freshapp doctor exited with status 1: FAIL  config    workers.mode is not supported here"
    )
    assert results["async"]["status"] == "PASS", results["async"]  # development runs no doctor
