"""smoke.yaml `setup`: steps a user runs between install and start (copy `.env`, migrate), run
in the project with the app's own environment, each to exit 0, before every boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import freshboot, http_app, smoke_json, write_template

APP = http_app(
    '{"ok": True, "setup": open("setup.txt").read().split()}',
)
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}", GREETING: "{{ name }}-hello"}
setup:
  - [sh, -c, 'echo "first $GREETING $PORT" > setup.txt']
  - command: [sh, -c, 'echo skipped-step-ran >> setup.txt; exit 1']
    when: "name == 'someone-else'"
  - {command: [sh, -c, 'echo second >> setup.txt'], when: "name == 'demo'"}
axes:
  mode:
    plain: {}
    broken:
      setup:
        - [sh, -c, 'echo "migrating $GREETING"; echo "no such table" >&2; exit 3']
    none:
      setup: []
ready: {http: /, timeout: 10}
probes:
  - {get: /, expect: {status: 200, json: {ok: true}}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copier = "name:\n  type: str\n  default: demo\n"
    return write_template(tmp_path_factory.mktemp("setup") / "tpl", copier, SMOKE, {"app.py": APP})


def test_steps_run_in_order_with_the_apps_environment(template: Path, tmp_path: Path) -> None:
    done, results = smoke_json(template, tmp_path, "--variant", "default", "--keep")
    assert results["default"]["status"] == "PASS", results["default"]
    log = (tmp_path / "out" / "default.log").read_text()
    assert "skipped-step-ran" not in log
    assert log.index("$ sh -c echo second") < log.index("listening")
    kept = next(Path(line.split()[-1]) for line in done.stdout.splitlines() if "kept" in line)
    written = next(kept.rglob("setup.txt")).read_text().split()
    assert written[:2] == ["first", "demo-hello"]
    assert written[2].isdigit()  # the port the app then listened on
    assert written[3:] == ["second"]


def test_a_failing_step_is_a_fail_in_setup_and_nothing_starts(
    template: Path, tmp_path: Path
) -> None:
    done, results = smoke_json(template, tmp_path, "--variant", "broken")
    result = results["broken"]
    assert done.returncode == 1
    assert (result["status"], result["phase"]) == ("FAIL", "setup"), result
    assert result["reason"].startswith("sh -c echo ")
    assert result["reason"].endswith("exited with status 3: no such table")
    assert result["excerpt"] == ["migrating demo-hello", "no such table"]
    assert "listening" not in (tmp_path / "out" / "broken.log").read_text()


def test_an_axis_value_replaces_the_steps(template: Path, tmp_path: Path) -> None:
    """With no steps, setup.txt never exists, so the app's first request fails."""
    _, results = smoke_json(template, tmp_path, "--variant", "none")
    assert results["none"]["status"] == "FAIL", results["none"]
    assert "setup" not in results["none"]["timings"]
    assert "No such file or directory: 'setup.txt'" in (tmp_path / "out" / "none.log").read_text()


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("[{when: 'true'}]", "setup[0]: 'command' is missing, e.g. command: [app, db, migrate]"),
        (
            "[{command: [a], unless: x}]",
            "setup[0].unless: unknown key; expected one of command, cwd, exits, when",
        ),
        ("[[]]", "setup[0]: expected a command: a non-empty list, e.g. [app, start]"),
        ("[{command: a}]", "setup[0].command: expected a list, got str"),
    ],
)
def test_bad_steps_name_the_line(tmp_path: Path, steps: str, message: str) -> None:
    smoke = f"run: [[app]]\nready: {{http: /}}\nsetup: {steps}\n"
    root = write_template(tmp_path / "tpl", "", smoke, {})
    done = freshboot("variants", "--template", root)
    assert done.returncode == 2
    assert done.stderr.strip() == f"freshboot: error: {root / 'smoke.yaml'}:3: {message}"
