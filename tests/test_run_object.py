"""One variant's run as one object: the phase a result names is the stage that was running
when it ended (also after `--upgrade-from` has judged the baseline once), and the values probes
save belong to the judging pass that saved them. Real templates in git, real copier."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smoke_tests.run_context import RunContext
from tests.helpers import http_app, leftovers, smoke_json, write_template

V1_SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 10}
probes:
  - {get: /, expect: {status: 200}, save: {seen: version}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def _upgrade(tmp_path: Path, smoke: str, before_start: str = "") -> Path:
    """A template tagged v1 (an app that boots, a probe that saves `seen`), with version 2 (its
    smoke.yaml `smoke`, its app started after `before_start`) uncommitted on top."""
    repo = write_template(
        tmp_path / "tpl", "name:\n  type: str\n  default: demo\n", V1_SMOKE,
        {"app.py": http_app('{"ok": True, "version": 1}'),
         "{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers|to_nice_yaml }}\n"},
    )  # fmt: skip
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    _git(repo, "tag", "v1")
    (repo / "smoke.yaml").write_text(smoke)
    app = http_app('{"ok": True, "version": 2}', imports="import time", before_start=before_start)
    (repo / "project" / "app.py").write_text(app)
    return repo


def test_an_error_after_the_upgrade_names_the_stage_that_was_running(tmp_path: Path) -> None:
    # The template under test renders a name no run has: judging it again after `copier
    # update` is an ERROR in boot, not in the upgrade that had ended well before.
    smoke = V1_SMOKE.replace(
        'env: {PORT: "{{ port }}"}', 'env: {PORT: "{{ port }}", X: "{{ nosuch }}"}'
    )
    _, results = smoke_json(_upgrade(tmp_path, smoke), tmp_path, "--upgrade-from", "v1")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("ERROR", "boot"), result
    assert result["reason"].startswith("smoke.yaml: "), result["reason"]
    assert "'nosuch' is undefined" in result["reason"]
    assert "upgrade" in result["timings"]
    assert leftovers(tmp_path / "tmp") == []


def test_a_timeout_after_the_upgrade_names_the_stage_that_was_running(tmp_path: Path) -> None:
    # Version 2 takes far longer to start than the variant may take in all.
    smoke = V1_SMOKE.replace("timeout: 10", "timeout: 600")
    template = _upgrade(tmp_path, smoke, before_start="time.sleep(600)")
    _, results = smoke_json(template, tmp_path, "--upgrade-from", "v1", "--timeout", "40")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot"), result
    assert result["reason"] == "did not finish within 40 s (timed out in boot)"
    assert "upgrade" in result["timings"]
    assert leftovers(tmp_path / "tmp") == []


def test_values_saved_by_the_baseline_are_not_seen_after_the_upgrade(tmp_path: Path) -> None:
    # The baseline's probe saved `seen`; version 2 reads it before any of its own probes saved
    # it, which is a mistake in its smoke.yaml, not a stale value from the other run.
    smoke = V1_SMOKE.replace(
        "probes:\n",
        "probes:\n  - {get: '/?seen={{ seen }}', expect: {status: 200}}\n",
    )
    _, results = smoke_json(_upgrade(tmp_path, smoke), tmp_path, "--upgrade-from", "v1")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("ERROR", "probe"), result
    assert "'seen' is undefined" in result["reason"], result["reason"]
    assert leftovers(tmp_path / "tmp") == []


def test_values_saved_by_a_probe_reach_the_later_probes_of_its_pass(tmp_path: Path) -> None:
    saved = "save: {seen: version}}\n"
    smoke = V1_SMOKE.replace(
        saved, saved + "  - {get: '/?seen={{ seen }}', expect: {status: 200}}\n"
    )
    _, results = smoke_json(_upgrade(tmp_path, smoke), tmp_path, "--upgrade-from", "v1")
    assert results["default"]["status"] == "PASS", results["default"]


def test_a_run_context_is_never_changed_in_place() -> None:
    answers = RunContext({"name": "demo"})
    judged = answers.with_values(port=8000)
    assert dict(answers) == {"name": "demo"}
    assert dict(judged) == {"name": "demo", "port": 8000}
    with pytest.raises(TypeError):
        judged["port"] = 1  # type: ignore[index]
