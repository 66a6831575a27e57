"""`freshboot new NAME` as a user meets it: the project is named after NAME, the template's own
validator judges the name, questions are asked on a terminal (and only there), and it ends
with the commands to run next."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.helpers import ROOT, TINY, freshboot, write_template


def _answers(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    return loaded


@pytest.mark.parametrize(("name", "package"), [("svc", "svc"), ("my-service", "my_service")])
def test_project_is_named_after_its_folder(tmp_path: Path, name: str, package: str) -> None:
    dest = tmp_path / "work" / name
    done = freshboot("new", dest, "--defaults")
    assert done.returncode == 0, done.stderr
    assert _answers(dest)["project_name"] == name
    assert (dest / "README.md").read_text().startswith(f"# {name}\n")
    assert f'name = "{name}"' in (dest / "pyproject.toml").read_text()
    assert (dest / package / "__init__.py").is_file()
    assert not (dest / "freshapp").exists()
    # It ends with what to run next, from the generated README: cd, install, start.
    assert f"Created {dest} (project {name}). Next:" in done.stdout
    steps = done.stdout.split("Next:\n", 1)[1].splitlines()
    assert steps[0] == f"  cd {dest}"
    assert "  uv venv .venv && . .venv/bin/activate" in steps
    assert "  uv pip install -e '.[dev]'" in steps
    assert f"  {name} start --server-and-worker" in steps


def test_an_answer_names_the_project_apart_from_its_folder(tmp_path: Path) -> None:
    dest = tmp_path / "9folder"  # not a valid project name, but -a names the project
    done = freshboot("new", dest, "-a", "project_name=billing")
    assert done.returncode == 0, done.stderr
    assert _answers(dest)["project_name"] == "billing"
    assert "  billing doctor" in done.stdout


def test_a_variant_keeps_its_answers_and_takes_the_name(tmp_path: Path) -> None:
    dest = tmp_path / "jobs-api"
    done = freshboot("new", dest, "--variant", "queue-redis")
    assert done.returncode == 0, done.stderr
    answers = _answers(dest)
    assert (answers["project_name"], answers["queue_provider"]) == ("jobs-api", "redis")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("9bad", "'9bad' must start with a letter"),
        ("import", "'import' is a Python keyword"),
        ("redis", "'redis' would clash with a folder of the project or a library it uses"),
    ],
)
def test_a_name_the_template_refuses_is_its_own_message(
    tmp_path: Path, name: str, message: str
) -> None:
    dest = tmp_path / name
    done = freshboot("new", dest)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"freshboot: error: NAME {dest}: {message}")
    assert "-a project_name=VALUE" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not dest.exists()


def test_the_name_question_is_the_first_of_the_documented_ones(tmp_path: Path) -> None:
    """project_name, project_slug, name, app_name: the first the template asks (a computed
    one is the template's own to derive)."""
    template = write_template(
        tmp_path / "tpl",
        "app_name: {default: a}\nproject_slug: {default: s}\n"
        "project_name: {default: p, when: false}\n",
        "run: [[x]]\nready: {http: /}\n",
        {"{{ project_slug }}.txt.jinja": "{{ app_name }}\n"},
    )
    dest = tmp_path / "out" / "slugged"
    done = freshboot("new", dest, "--template", template)
    assert done.returncode == 0, done.stderr
    assert (dest / "slugged.txt").read_text() == "a\n"
    assert "(project slugged)" in done.stdout


def test_a_template_without_a_name_question_gets_only_the_folder(tmp_path: Path) -> None:
    dest = tmp_path / "tinyapp"
    done = freshboot("new", dest, "--template", TINY)
    assert done.returncode == 0, done.stderr
    assert (dest / "app.py").is_file()
    assert f"Created {dest}. Next:\n  cd {dest}\n  set it up as its template says\n" in done.stdout


def _spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    return pexpect.spawn(
        sys.executable, ["-m", "smoke_tests", "new", *args], cwd=str(tmp_path), env=env,
        encoding="utf-8", timeout=60, dimensions=(40, 200),
    )  # fmt: skip


def test_on_a_terminal_it_asks_the_questions(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "svc")
    child.expect("How jobs run")  # worker_mode's help, as `copier copy` shows it
    child.expect("Use arrow keys")
    child.send("\x1b[B\r")  # down to BackgroundQueue
    child.expect("Where queued jobs wait")  # asked only for BackgroundQueue
    child.expect("Use arrow keys")
    child.send("\x1b[B\r")  # redis
    child.expect("The app's database")
    child.expect("Use arrow keys")
    child.send("\r")  # the default
    child.expect("Created svc")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    answers = _answers(tmp_path / "svc")
    assert answers["project_name"] == "svc"  # NAME said it: not asked again
    assert (answers["worker_mode"], answers["queue_provider"]) == ("BackgroundQueue", "redis")
    assert answers["database"] == "sqlite"


def test_ctrl_c_at_a_question_is_interrupted_and_writes_nothing(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "svc")
    child.expect("Use arrow keys")
    child.send("\x03")
    child.expect("freshboot: interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not (tmp_path / "svc").exists()


def test_in_an_empty_current_folder_there_is_nothing_to_cd_into(tmp_path: Path) -> None:
    folder = tmp_path / "here-svc"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "new", "."], cwd=folder, capture_output=True,
        text=True, check=False, stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _answers(folder)["project_name"] == "here-svc"
    assert "cd " not in done.stdout
    assert "  here-svc doctor" in done.stdout


def test_with_defaults_or_without_a_terminal_it_asks_nothing(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "svc", "--defaults")
    child.logfile_read = seen = io.StringIO()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Created svc (project svc). Next:" in seen.getvalue()
    assert "How jobs run" not in seen.getvalue()
    assert _answers(tmp_path / "svc")["worker_mode"] == "BackgroundAsync"
    piped = freshboot("new", tmp_path / "piped")  # stdin is not a terminal
    assert piped.returncode == 0, piped.stderr
    assert "How jobs run" not in piped.stdout + piped.stderr
    assert _answers(tmp_path / "piped")["worker_mode"] == "BackgroundAsync"
