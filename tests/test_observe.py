"""smoke.yaml `observe`: the app keeps running for a while after readiness, watched by fail_on,
before it is stopped, so an error a background task logs a moment after start is a FAIL; and
every reason is one line, a survivor's command line with a newline in it included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smoke_tests.blocks import cause_of, telling_line
from smoke_tests.result import Phase, fail
from tests.helpers import freshboot, http_app, smoke_json, write_template

# An error printed LATE seconds after the app first answers (its readiness); it keeps serving.
LATE = """\
late, armed = os.environ.get("LATE", ""), []


def arm():
    if late and not armed:
        said = ["Error: the cache warm-up failed"]
        armed.append(threading.Timer(float(late), print, said, {"flush": True}))
        armed[0].daemon = True
        armed[0].start()
    return True
"""
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 10}
fail_on: ['^Error:']
probes:
  - {get: /, expect: {status: 200, json: {ok: true}}}
stop: {signal: SIGINT, grace: 5, exit: 0}
axes:
  fault:
    clean: {}
    late: {env: {LATE: "1.2"}}
    later: {env: {LATE: "3.5"}}
  window:
    default: {}
    "off": {observe: 0}
    long: {observe: 5}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = http_app('{"ok": arm()}', before_start=LATE)
    return write_template(tmp_path_factory.mktemp("observe") / "tpl", "", SMOKE, {"app.py": app})


def _run(template: Path, tmp_path: Path, *variants: str) -> dict[str, Any]:
    args = [arg for variant in variants for arg in ("--variant", variant)]
    _, results = smoke_json(template, tmp_path, *args)
    return results


def test_an_error_a_second_after_ready_fails_in_quiet(template: Path, tmp_path: Path) -> None:
    results = _run(template, tmp_path, "late", "default")
    late, clean = results["late"], results["default"]
    assert (late["status"], late["phase"]) == ("FAIL", "quiet"), late
    assert late["reason"] == "Error: the cache warm-up failed"
    # It is failed as soon as it is seen, not at the end of the window.
    assert late["timings"]["checks"] < 1.9, late["timings"]
    # A clean app runs the whole window (2 s by default) after readiness before its stop.
    assert clean["status"] == "PASS", clean
    assert clean["timings"]["checks"] >= 2.0, clean["timings"]


def test_with_the_window_off_the_late_error_passes(template: Path, tmp_path: Path) -> None:
    """`observe: 0` is the judgement switched off: the app is stopped as soon as its probes
    are done, before the error is printed."""
    results = _run(template, tmp_path, "late-off", "off")
    assert results["late-off"]["status"] == "PASS", results["late-off"]
    assert results["off"]["timings"]["checks"] < 1.0, results["off"]["timings"]


def test_an_axis_value_sets_its_own_window(template: Path, tmp_path: Path) -> None:
    """An error later than the default window passes it; a longer window on that axis value
    catches it."""
    results = _run(template, tmp_path, "later", "later-long")
    assert results["later"]["status"] == "PASS", results["later"]
    caught = results["later-long"]
    assert (caught["status"], caught["phase"]) == ("FAIL", "quiet"), caught
    assert caught["reason"] == "Error: the cache warm-up failed"


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("observe: soon\n", "observe", 4),
        ("axes:\n  speed:\n    slow: {observe: -1}\n", "axes.speed.slow.observe", 6),
    ],
)
def test_a_bad_window_names_the_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    smoke = f"run: [[app]]\nready: {{http: /}}\n\n{text}"
    root = write_template(tmp_path / "tpl", "", smoke, {})
    done = freshboot("variants", "--template", root)
    assert done.returncode == 2
    value = "'soon'" if "soon" in text else "-1"
    expected = f"{root / 'smoke.yaml'}:{line}: {key}: expected a non-negative number, got {value}"
    assert done.stderr.strip() == f"freshboot: error: {expected}"


# A child that leaves the app's session, ignores the stop and has a newline in its command line.
SURVIVOR = """\
import subprocess
IGNORE = "import signal, time\\nfor s in (2, 15, 1): signal.signal(s, signal.SIG_IGN)\\n"
subprocess.Popen(["python", "-c", IGNORE + "time.sleep(60)"], start_new_session=True)
"""


def test_a_survivors_command_line_is_shown_escaped(tmp_path: Path) -> None:
    smoke = SMOKE.split("axes:", maxsplit=1)[0] + "observe: 0\n"
    app = http_app('{"ok": True}', before_start=SURVIVOR)
    root = write_template(tmp_path / "tpl", "", smoke, {"app.py": app})
    _, results = smoke_json(root, tmp_path, "--variant", "default")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "stop"), result
    assert "\n" not in result["reason"]
    assert "(python -c import signal, time\\nfor s in (2, 15, 1)" in result["reason"]
    assert result["reason"].endswith(") survived SIGINT to python app.py")


def test_every_verdict_reason_is_one_line() -> None:
    verdict = fail(Phase.STOP, "pid 7 (sh -c a\nb) survived\r\n")
    assert verdict.reason == "pid 7 (sh -c a\\nb) survived"


# What `freshapp doctor` prints when a check fails, and exits 1.
DOCTOR = [
    "freshapp doctor: environment production",
    "  FAIL  config    SECRET_KEY is not set; production needs its own secret",
    "1 check failed",
]


def test_a_failing_check_is_the_telling_line() -> None:
    expected = "FAIL  config    SECRET_KEY is not set; production needs its own secret"
    assert telling_line(DOCTOR) == expected
    assert cause_of(DOCTOR) == expected


def test_without_a_telling_line_the_cause_is_the_last_output_line() -> None:
    assert cause_of(["migrating", "no such table", "  "]) == "no such table"
    assert cause_of([]) is None
