"""Templates shaped like public ones (tests/templates/<shape>/) pass stock `freshboot smoke`,
launched as `cmd &` launches it (SIGINT ignored); the same shape with a real fault FAILs in the
phase where a user would meet it, with the telling line as its reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, leftovers, require_binary

pytestmark = pytest.mark.slow

TEMPLATES = ROOT / "tests" / "templates"
# What a shell does to a command started with `&`: SIGINT ignored, inherited by everything it
# starts unless the starter restores it.
SIGINT_IGNORED = ("sh", "-c", 'trap "" INT; exec "$0" "$@"')


def smoke(
    template: Path, tmp_path: Path, *args: str, sigint_ignored: bool = False
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]]]:
    """`freshboot smoke --json` on `template` (temporary folders in tmp_path/tmp), and the
    results by variant id; the run must leave nothing behind."""
    report, scratch = tmp_path / "results.json", tmp_path / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
        "--out", str(tmp_path / "out"), "--json", str(report), *args,
    ]  # fmt: skip
    if sigint_ignored:
        command = [*SIGINT_IGNORED, *command]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False,
        stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    assert leftovers(scratch) == []
    results = json.loads(report.read_text())["results"]
    return done, {r["variant"]: r for r in results}


def copy_of(shape: str, tmp_path: Path) -> Path:
    """A copy of a fixture template to inject a fault into."""
    return Path(shutil.copytree(TEMPLATES / shape, tmp_path / shape))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


def assert_passed(done: subprocess.CompletedProcess[str], results: dict[str, Any]) -> None:
    failed = {k: (r["status"], r["phase"], r["reason"]) for k, r in results.items()}
    assert all(r["status"] == "PASS" for r in results.values()), failed
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def assert_fails(result: dict[str, Any], phase: str, line: str) -> None:
    """FAIL in `phase`, with the telling `line` as (part of) the reason."""
    assert (result["status"], result["phase"]) == ("FAIL", phase), result
    assert line in result["reason"], result


def log_of(result: dict[str, Any]) -> str:
    return Path(result["log"]).read_text(errors="replace")


# (a) Django: HTML templates, a justfile and a GitHub workflow full of braces; a data folder
# made first; migrate; `runserver`, which relies on Python's default Ctrl-C handling.


def test_django_site_passes_in_every_database_launched_with_sigint_ignored(
    tmp_path: Path,
) -> None:
    require_binary("psql", "apt-get install -y postgresql")
    done, results = smoke(TEMPLATES / "django-site", tmp_path, "-j", "2", sigint_ignored=True)
    assert_passed(done, results)
    assert set(results) == {"default", "postgres"}
    for result in results.values():
        log = log_of(result)
        assert "Applying pages.0001_initial... OK" in log
        assert "Quit the server with CONTROL-C." in log
    assert "$ mkdir -p data" in log_of(results["default"])
    assert "$ mkdir -p data" not in log_of(results["postgres"])


def test_django_migration_that_fails_at_first_database_access_fails_in_setup(
    tmp_path: Path,
) -> None:
    template = copy_of("django-site", tmp_path)
    edit(
        template / "project" / "pages" / "migrations" / "0001_initial.py",
        "    operations = [\n",
        "    operations = [\n"
        "        migrations.RunSQL(\"INSERT INTO pages_greeting (text) VALUES ('hi')\"),\n",
    )
    _, results = smoke(template, tmp_path, "--variant", "default")
    result = results["default"]
    assert_fails(result, "setup", "django.db.utils.OperationalError: no such table: pages_greeting")
    assert "python manage.py migrate" in log_of(result)


# (b) FastAPI on a hard-coded 0.0.0.0:8000: both variants at once, each in its own network.


def test_fastapi_on_a_fixed_port_passes_in_parallel_launched_with_sigint_ignored(
    tmp_path: Path,
) -> None:
    done, results = smoke(
        TEMPLATES / "fastapi-fixed-port", tmp_path, "-j", "2", sigint_ignored=True
    )
    assert_passed(done, results)
    assert set(results) == {"default", "memory"}
    for result in results.values():
        log = log_of(result)
        assert "Uvicorn running on http://0.0.0.0:8000" in log
        assert "Finished server process" in log  # uvicorn's own clean shutdown


def test_fastapi_health_that_answers_200_with_an_error_body_fails_in_probe(
    tmp_path: Path,
) -> None:
    template = copy_of("fastapi-fixed-port", tmp_path)
    edit(
        template / "project" / "src" / "{{package_name}}" / "main.py.jinja",
        'return {"status": "ok" if store.ping() else "error"}',
        'return {"status": "error", "detail": "items table missing"}',
    )
    _, results = smoke(template, tmp_path, "--variant", "default")
    assert_fails(results["default"], "probe", "GET /health")
    assert '{"status":"error","detail":"items table missing"}' in results["default"]["reason"]


# (c) `_tasks` that create .venv and lock with the uv found on PATH.


def test_tasks_that_make_a_venv_pass_with_trust_and_with_skip_tasks(tmp_path: Path) -> None:
    template = TEMPLATES / "tasks-venv"
    done, results = smoke(template, tmp_path / "trust", "--trust", "-j", "2")
    assert_passed(done, results)
    assert set(results) == {"default", "one-worker"}
    for result in results.values():  # the tasks' .venv gave way to freshboot's
        assert "freshboot replaces it with its own" in log_of(result)
        assert "Shutting down: Master" in log_of(result)
    done, results = smoke(template, tmp_path / "skip", "--skip-tasks", "--variant", "default")
    assert_passed(done, results)
    assert "freshboot replaces it" not in log_of(results["default"])


def test_tasks_without_trust_or_skip_tasks_is_bad_input_naming_trust(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(TEMPLATES / "tasks-venv"),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("freshboot: error: ")
    assert "--trust" in done.stderr
    assert "_tasks" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failing_task_fails_in_generate_with_its_last_line(tmp_path: Path) -> None:
    template = copy_of("tasks-venv", tmp_path)
    edit(
        template / "copier.yml",
        '  - "uv lock --quiet"\n',
        '  - "uv lock --quiet"\n'
        "  - \"test -f .env || { echo 'checking the environment' && "
        "echo 'Error: no .env; copy example.env first' >&2; exit 1; }\"\n",
    )
    _, results = smoke(template, tmp_path, "--trust", "--variant", "default")
    result = results["default"]
    assert_fails(result, "generate", "Error: no .env; copy example.env first")


# (d) A monorepo with no _subdirectory: the app in backend/, reading ../.env.


def test_monorepo_with_the_app_in_backend_passes_and_warns_once_about_smoke_yaml(
    tmp_path: Path,
) -> None:
    done, results = smoke(TEMPLATES / "monorepo", tmp_path, "-j", "2")
    assert_passed(done, results)
    assert set(results) == {"default", "api-v1"}
    warnings = [line for line in done.stderr.splitlines() if "smoke.yaml" in line]
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith("freshboot: warning: ")
    assert "_exclude" in warnings[0]
    assert "$ cp example.env .env" in log_of(results["default"])


def test_monorepo_env_missing_a_required_key_fails_in_boot(tmp_path: Path) -> None:
    template = copy_of("monorepo", tmp_path)
    edit(template / "example.env.jinja", "APP_SECRET=change-me-{{ project_name }}\n", "")
    _, results = smoke(template, tmp_path, "--variant", "default")
    assert_fails(results["default"], "boot", "Error: ../.env lacks APP_SECRET")


# (e) copier.yml's odd corners: a null choice, a computed Python version that is not ours, a
# validator that rejects another question's default in one combination, a secret answer.

SECRET = "odd-admin-token-0000"


def test_odd_copier_yml_passes_on_the_computed_python(tmp_path: Path) -> None:
    template = TEMPLATES / "odd-copier"
    listed = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "variants", "--template", str(template),
         "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    variants = {v["id"]: v["answers"] for v in json.loads(listed.stdout)}
    combinations = {(a["license"], a["publish_to"]) for a in variants.values()}
    assert ("None", "nowhere") in combinations  # the null choice, as copier answers it
    assert ("None", "pypi") not in combinations  # rejected by publish_to's validator
    assert len(combinations) == 5  # and no private-index: index_url's default is rejected
    assert listed.stderr == (
        "freshboot: warning: publish_to='private-index' is in no variant: "
        "index_url='': a private index needs its URL\n"
    )
    assert SECRET not in listed.stdout

    null_license = next(k for k, a in variants.items() if a["license"] == "None")
    done, results = smoke(
        template, tmp_path, "-j", "2", "--variant", "default", "--variant", null_license
    )
    assert_passed(done, results)
    for result in results.values():
        assert "oddity on Python 3.12." in log_of(result)
    shown = done.stdout + done.stderr + (tmp_path / "results.json").read_text()
    shown += "".join(log_of(r) for r in results.values())
    assert SECRET not in shown


def test_odd_copier_yml_with_a_python_not_installed_is_skipped_naming_it(tmp_path: Path) -> None:
    template = copy_of("odd-copier", tmp_path)
    # copier.yml computes python_version; a pin overrides it, as `copier copy -d` would
    edit(template / "smoke.yaml", "install:", "pin: {python_version: '3.99'}\ninstall:")
    done, results = smoke(template, tmp_path, "--variant", "default")
    result = results["default"]
    assert result["status"] == "SKIP", result
    assert "3.99" in result["reason"]
    assert done.returncode == 0, done.stdout + done.stderr
