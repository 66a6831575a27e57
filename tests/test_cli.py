"""The command line as a user meets it: generating a project, and one clear line with exit
status 2 for bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import TEMPLATE, TINY, freshboot


def test_new_generates_a_project_with_recorded_answers(tmp_path: Path) -> None:
    dest = tmp_path / "app"
    done = freshboot("new", dest, "-a", "worker_mode=BackgroundQueue", "-a", "queue_provider=redis")
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["worker_mode"] == "BackgroundQueue"
    assert answers["queue_provider"] == "redis"
    assert (dest / "pyproject.toml").is_file()
    assert (dest / "README.md").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["smoke", "--template", "/nonexistent/tpl"], "template /nonexistent/tpl does not exist"),
        (
            ["smoke", "--template", str(Path(__file__).parent)],
            "is not a template (no copier.yml, cookiecutter.json or smoke.yaml)",
        ),
        (["smoke", "--template", str(TINY), "--variant", "nope"], "no variant 'nope'"),
        (["smoke", "--template", str(TINY), "--out", str(TINY / "out")], "is inside the template"),
        (["new", str(TEMPLATE), "--template", str(TINY)], "already exists and is not empty"),
        (["new", "{tmp}/x", "-a", "novalue"], "-a 'novalue': expected KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line_and_status_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = freshboot(*(a.format(tmp=tmp_path) for a in args))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("freshboot: error: ")
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_variants_github_matrix_is_valid_for_actions() -> None:
    done = freshboot("variants", "--format", "github")
    assert done.returncode == 0, done.stderr
    matrix = json.loads(done.stdout)
    assert set(matrix) == {"include"}
    rows = matrix["include"]
    assert rows
    assert all(isinstance(r, dict) and set(r) == {"variant"} for r in rows)
    ids = [r["variant"] for r in rows]
    assert len(ids) == len(set(ids))
    assert "async" in ids
    table = freshboot("variants").stdout.split()
    assert all(i in table for i in ids)


def test_new_variant_generates_exactly_that_variant(tmp_path: Path) -> None:
    dest = tmp_path / "app"
    done = freshboot("new", dest, "--variant", "queue-redis")
    assert done.returncode == 0, done.stderr
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert (answers["worker_mode"], answers["queue_provider"]) == ("BackgroundQueue", "redis")


def test_unenumerable_question_names_it_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text("title:\n  type: str\n  help: A free text\n")
    (tmp_path / "smoke.yaml").write_text((TINY / "smoke.yaml").read_text())
    done = freshboot("variants", "--template", tmp_path)
    assert done.returncode == 2
    assert "title" in done.stderr
    assert "pin" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _broken_template(
    tmp_path: Path, copier_yml: str | None = None, smoke_yaml: str | None = None
) -> Path:
    (tmp_path / "copier.yml").write_text(
        copier_yml if copier_yml is not None else (TINY / "copier.yml").read_text()
    )
    (tmp_path / "smoke.yaml").write_text(
        smoke_yaml if smoke_yaml is not None else (TINY / "smoke.yaml").read_text()
    )
    return tmp_path


SMOKE = (TINY / "smoke.yaml").read_text()


@pytest.mark.parametrize(
    ("copier_yml", "smoke_yaml", "message"),
    [
        ("behaviour: [unclosed\n", None, "copier.yml"),
        ("- a list\n- not a mapping\n", None, "copier.yml"),
        (None, "run: [[a]\n", "smoke.yaml:2: invalid YAML"),
        (None, SMOKE + "surprise: 1\n", "surprise: unknown key"),
        (
            None,
            SMOKE.replace("timeout: 8", "timeout: [8]"),
            "ready.timeout: expected a non-negative number",
        ),
        (
            None,
            SMOKE.replace("fail_on: ['^Error:']", "fail_on: ['[unclosed']"),
            "fail_on[0]: invalid regular expression",
        ),
    ],
)
def test_malformed_template_files(
    tmp_path: Path, copier_yml: str | None, smoke_yaml: str | None, message: str
) -> None:
    (tmp_path / "tpl").mkdir()
    template = _broken_template(tmp_path / "tpl", copier_yml, smoke_yaml)
    out = tmp_path / "out"
    done = freshboot("smoke", "--template", template, "--out", out)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("project_name=../x", "Validation error for question 'project_name': '../x'"),
        ("project_name=my app", "Validation error for question 'project_name': 'my app'"),
        ("project_name=", "Validation error for question 'project_name': ''"),
        ("worker_mode=Sometimes", "'Sometimes' is not in"),
        (
            "colour=blue",
            "the template has no question 'colour'; it asks: project_name, worker_mode",
        ),
    ],
)
def test_bad_answers_write_nothing(tmp_path: Path, answer: str, message: str) -> None:
    dest = tmp_path / "app"
    done = freshboot("new", dest, "-a", answer)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not dest.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["smoke", "-j", "0"],
            "argument -j/--jobs: expected a whole number of at least 1, got '0'",
        ),
        (
            ["smoke", "-j", "many"],
            "argument -j/--jobs: expected a whole number of at least 1, got 'many'",
        ),
        (["smoke", "--timeout", "-1"], "argument --timeout: expected a positive number of seconds"),
        (
            ["smoke", "-k", "nothing-matches-this"],
            "-k 'nothing-matches-this' selects none of the",
        ),
        (["smoke", "-k", "async and ("], "-k 'async and ('"),
        (["smoke", "--services", "sometimes"], "argument --services: invalid choice: 'sometimes'"),
        (["launch"], "argument COMMAND: invalid choice: 'launch'"),
    ],
)
def test_bad_options_are_one_line(args: list[str], message: str) -> None:
    done = freshboot(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "setting",
    ["_tasks: [touch tasks-ran]", "_migrations: [{version: v2, command: touch migrated}]"],
)
def test_template_that_runs_code_needs_trust(tmp_path: Path, setting: str) -> None:
    template = tmp_path / "tpl"
    shutil.copytree(TINY, template)
    copier_yml = template / "copier.yml"
    copier_yml.write_text(setting + "\n" + copier_yml.read_text())
    dest = tmp_path / "app"
    refused = freshboot("new", dest, "--template", template)
    assert refused.returncode == 2
    assert "runs its own code on generation" in refused.stderr
    assert "pass --trust if you trust it" in refused.stderr
    assert not dest.exists()
    smoke = freshboot(
        "smoke", "--template", template, "--out", tmp_path / "out", "--variant", "clean"
    )
    assert smoke.returncode == 2
    assert "pass --trust" in smoke.stderr
    if setting.startswith("_tasks"):
        trusted = freshboot("new", dest, "--template", template, "--trust")
        assert trusted.returncode == 0, trusted.stderr
        assert (dest / "tasks-ran").exists()
