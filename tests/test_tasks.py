"""A template's `_tasks`: run with --trust as install commands run (uv on PATH, no Python
downloads), their output in the variant's log and never on freshboot's own; skipped with
--skip-tasks or `tasks: skip`, then needing no --trust; a failing task a FAIL in generate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from smoke_tests.spec import SpecError, load_spec
from tests.helpers import freshboot, http_app, leftovers, smoke_json, write_template

APP = http_app('{"ok": True}')
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 10}
"""
TASK = (
    "echo TASK-SAYS-HELLO; uv --version > task-made.txt; "
    "echo downloads=$UV_PYTHON_DOWNLOADS >> task-made.txt; "
    "grep -E '^Sig(Blk|Ign)' /proc/self/status >> task-made.txt"
)
COPIER = f"_tasks:\n  - {json.dumps(TASK)}\nname:\n  type: str\n  default: demo\n"
# SIGINT, SIGQUIT, SIGPIPE, SIGTERM: none may be ignored or blocked in what a task starts.
_DEFAULT_SIGNALS = (2, 3, 13, 15)


def _template(tmp_path: Path, copier: str = COPIER, smoke: str = SMOKE) -> Path:
    return write_template(tmp_path / "tpl", copier, smoke, {"app.py": APP})


def _kept_project(stdout: str) -> Path:
    kept = next(Path(line.split()[-1]) for line in stdout.splitlines() if "kept" in line)
    return kept / "default" / "project"


def test_trusted_task_runs_like_install_with_output_only_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no uv here: freshboot must provide it
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "automatic")
    done, results = smoke_json(_template(tmp_path), tmp_path, "--trust", "--keep")
    assert results["default"]["status"] == "PASS", results["default"]
    assert "TASK-SAYS-HELLO" not in done.stdout + done.stderr
    log = (tmp_path / "out" / "default.log").read_text()
    assert " > Running task 1 of 1: " in log
    assert "TASK-SAYS-HELLO" in log
    made = (_kept_project(done.stdout) / "task-made.txt").read_text().splitlines()
    assert made[0].startswith("uv ")
    assert made[1] == "downloads=never"
    masks = dict(line.split(":") for line in made[2:])
    for field in ("SigBlk", "SigIgn"):
        bits = int(masks[field].strip(), 16)
        assert not [s for s in _DEFAULT_SIGNALS if bits & (1 << (s - 1))], (field, masks)


@pytest.mark.parametrize("how", ["--skip-tasks", "tasks: skip"])
def test_skipped_tasks_need_no_trust(tmp_path: Path, how: str) -> None:
    smoke = SMOKE + (f"{how}\n" if how.startswith("tasks") else "")
    flags = [how] if how.startswith("--") else []
    done, results = smoke_json(_template(tmp_path, smoke=smoke), tmp_path, "--keep", *flags)
    assert results["default"]["status"] == "PASS", results["default"]
    assert not (_kept_project(done.stdout) / "task-made.txt").exists()
    assert "TASK-SAYS-HELLO" not in (tmp_path / "out" / "default.log").read_text()
    if flags:
        assert results["default"]["repro"].endswith("--variant default --skip-tasks")


def test_new_skips_tasks_without_trust(tmp_path: Path) -> None:
    template = _template(tmp_path)
    refused = freshboot("new", tmp_path / "refused", "--template", template)
    assert refused.returncode == 2
    assert "(_tasks)" in refused.stderr
    done = freshboot("new", tmp_path / "app", "--template", template, "--skip-tasks")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app" / "app.py").is_file()
    assert not (tmp_path / "app" / "task-made.txt").exists()


def test_skipping_tasks_does_not_trust_other_code(tmp_path: Path) -> None:
    copier = "_migrations: [{version: v2, command: touch migrated}]\n" + COPIER
    done = freshboot(
        "smoke", "--template", _template(tmp_path, copier), "--out", tmp_path / "out",
        "--skip-tasks",
    )  # fmt: skip
    assert done.returncode == 2
    assert "runs its own code on generation (_migrations)" in done.stderr


FAILING = (
    "echo preparing; echo 'creating the database' ; "
    "echo 'error: role \"app\" does not exist' >&2; exit 3"
)


def test_failing_task_is_a_fail_in_generate_with_its_output(tmp_path: Path) -> None:
    copier = f"_tasks:\n  - 'echo first task ran'\n  - {json.dumps(FAILING)}\nname: demo\n"
    done, results = smoke_json(_template(tmp_path, copier), tmp_path, "--trust")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "generate"), result
    assert result["reason"] == (
        f'copier task {FAILING!r} exited with status 3: error: role "app" does not exist'
    )
    assert result["excerpt"] == [
        "preparing",
        "creating the database",
        'error: role "app" does not exist',
    ]
    assert result["log"] is not None
    log = Path(result["log"]).read_text()
    assert "first task ran" in log
    assert " > Running task 2 of 2: " in log
    assert "creating the database" in log
    assert "first task ran" not in done.stdout + done.stderr  # only the reason and excerpt


def test_a_task_that_hangs_is_killed_at_the_timeout(tmp_path: Path) -> None:
    copier = "_tasks:\n  - 'echo waiting; sleep 300'\nname: demo\n"
    _, results = smoke_json(_template(tmp_path, copier), tmp_path, "--trust", "--timeout", "4")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "generate"), result
    assert result["reason"] == "did not finish within 4 s (timed out in generate)"
    assert result["duration"] < 60
    assert leftovers(tmp_path / "tmp") == []


def test_tasks_key_is_checked(tmp_path: Path) -> None:
    (tmp_path / "smoke.yaml").write_text(SMOKE + "tasks: sometimes\n")
    with pytest.raises(
        SpecError, match=r"smoke\.yaml:4: tasks: expected run or skip, got 'sometimes'"
    ):
        load_spec(tmp_path)
    (tmp_path / "smoke.yaml").write_text(SMOKE + "tasks: skip\n")
    assert load_spec(tmp_path).skip_tasks


@pytest.mark.parametrize("flag", ["--skip-tasks", "--trust"])
def test_upgrade_runs_or_skips_tasks_like_a_first_render(tmp_path: Path, flag: str) -> None:
    template = _template(tmp_path)
    (template / "project" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}\n"
    )
    git = ["git", "-C", str(template), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "v1"], check=True)
    subprocess.run([*git, "tag", "v1"], check=True)
    (template / "project" / "NOTES.md").write_text("new in v2\n")
    done, results = smoke_json(template, tmp_path, "--upgrade-from", "v1", flag)
    result = results["default"]
    assert (result["status"], result["phase"]) == ("PASS", "done"), result
    assert "TASK-SAYS-HELLO" not in done.stdout + done.stderr
    log = (tmp_path / "out" / "default.log").read_text()
    if flag == "--skip-tasks":
        assert "TASK-SAYS-HELLO" not in log
    else:  # the baseline's render and the update both ran them, into the log
        copy, update = log.index("$ copier copy --trust"), log.index("$ copier update --trust")
        assert copy < log.index("TASK-SAYS-HELLO", copy) < update
        assert "TASK-SAYS-HELLO" in log[update:]


@pytest.mark.parametrize("trust", [False, True])
def test_a_jinja_error_is_a_fail_in_generate_naming_file_and_line(
    tmp_path: Path, trust: bool
) -> None:
    """In a render of its own (tasks run) or in freshboot's process, the cause is kept."""
    template = _template(tmp_path)
    (template / "project" / "settings.py.jinja").write_text("A = 1\nNAME = '{{ name.upper( }}'\n")
    flags = ["--trust"] if trust else ["--skip-tasks", "--no-cache"]
    _, results = smoke_json(template, tmp_path, *flags)
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "generate"), result
    assert result["reason"].startswith(f"copier could not render {template}: ")
    assert "project/settings.py.jinja:2: " in result["reason"]
    assert result["reason"] in Path(result["log"]).read_text()
    new = freshboot("new", tmp_path / "app", "--template", template, "--skip-tasks")
    assert new.returncode == 2
    assert new.stderr.startswith("freshboot: error: copier could not render")
    assert len(new.stderr.strip().splitlines()) == 1
