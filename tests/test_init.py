"""`freshboot init`: a first smoke.yaml for an outside template, then `freshboot smoke` on it.

Each outside-shaped fixture is copied WITHOUT its hand-written smoke.yaml; init must write one
that boots its default variant, and `freshboot smoke` then passes every variant unedited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, freshboot, leftovers, require_binary, smoke_json

TEMPLATES = ROOT / "tests" / "templates"


def bare(shape: str, tmp_path: Path) -> Path:
    """A copy of a fixture template without its smoke.yaml."""
    copy = Path(shutil.copytree(TEMPLATES / shape, tmp_path / shape))
    (copy / "smoke.yaml").unlink()
    return copy


def init(template: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    done = freshboot("init", template, "--out", tmp_path / "init-out", *args, tmp=tmp_path / "t")
    assert leftovers(tmp_path / "t") == []
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("shape", "smoke_args", "guessed"),
    [
        ("django-site", (), "framework: Django"),
        ("fastapi-fixed-port", (), "port: 8000"),
        ("odd-copier", (), "python: {{ python_version }}"),
        ("monorepo", (), "workdir: backend"),
        ("tasks-venv", ("--skip-tasks",), "framework: Flask"),
    ],
)
def test_init_then_smoke_passes_unedited(
    shape: str, smoke_args: tuple[str, ...], guessed: str, tmp_path: Path
) -> None:
    template = bare(shape, tmp_path)
    status, out, err = init(template, tmp_path)
    assert status == 0, out + err
    assert f"wrote {template / 'smoke.yaml'}" in out
    assert guessed in out
    assert "PASS  default  done" in out
    assert "smoke.yaml works as written" in out
    done, results = smoke_json(template, tmp_path, *smoke_args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {r["status"] for r in results.values()} == {"PASS"}, results


def test_django_postgres_is_started_only_for_the_variants_that_use_it(tmp_path: Path) -> None:
    template = bare("django-site", tmp_path)
    _, out, _ = init(template, tmp_path)
    text = (template / "smoke.yaml").read_text()
    assert "when: \"database == 'postgres'\"" in text
    assert 'PGHOST: "{{ services.postgres.host }}"' in text
    assert 'DJANGO_SECRET_KEY: "freshboot-placeholder-change-me"' in text
    assert "env: DJANGO_SECRET_KEY=freshboot-placeholder-change-me (the app reads it" in out


def test_tasks_are_skipped_without_trust_and_the_note_says_how(tmp_path: Path) -> None:
    template = bare("tasks-venv", tmp_path)
    status, out, _ = init(template, tmp_path)
    assert status == 0, out
    assert "note: copier.yml has _tasks; this run skipped them (--skip-tasks)" in out
    assert "--variant default --skip-tasks" in out
    assert "`freshboot smoke --trust` runs them" in (template / "smoke.yaml").read_text()


def test_init_never_overwrites_a_smoke_yaml(tmp_path: Path) -> None:
    template = Path(shutil.copytree(TEMPLATES / "tiny", tmp_path / "tiny"))
    before = (template / "smoke.yaml").read_text()
    status, out, err = init(template, tmp_path)
    assert status == 2
    assert err == f"freshboot: error: {template / 'smoke.yaml'}: smoke.yaml exists; init never " \
        "overwrites it\n"  # fmt: skip
    assert out == ""
    assert (template / "smoke.yaml").read_text() == before


def test_a_folder_without_copier_yml_is_refused(tmp_path: Path) -> None:
    status, _, err = init(tmp_path, tmp_path)
    assert status == 2
    assert err.startswith("freshboot: error: ")
    assert "no copier.yml" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "smoke.yaml").exists()


APP_WITHOUT_HEALTH = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def items() -> list[str]:
    return []
"""


def test_pins_a_question_without_default_and_says_what_to_edit_on_a_fail(tmp_path: Path) -> None:
    template = tmp_path / "svc"
    (template / "project").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "_subdirectory: project\n"
        "service_name:\n  type: str\n"
        '  validator: "{% if not service_name.isidentifier() %}an identifier{% endif %}"\n'
    )
    (template / "project" / "requirements.txt").write_text("fastapi>=0.110\nuvicorn>=0.29\n")
    (template / "project" / "{{service_name}}.py.jinja").write_text(APP_WITHOUT_HEALTH)
    status, out, err = init(template, tmp_path)
    text = (template / "smoke.yaml").read_text()
    assert 'pin: {"service_name": "smoke_app"}' in text
    assert '"uvicorn", "{{ service_name }}:app"' in text
    assert "pin: service_name='smoke_app' (no default in copier.yml" in out
    assert status == 1, out + err
    assert "FAIL  default  boot" in out
    assert "GET / gave HTTP 404" in out
    assert "next: edit run: " in out
    assert "or ready.http (now /) to a path that answers 2xx" in out


def test_no_app_found_writes_a_todo_and_runs_nothing(tmp_path: Path) -> None:
    template = tmp_path / "cli"
    (template / "project").mkdir(parents=True)
    (template / "copier.yml").write_text("_subdirectory: project\nname: {default: tool}\n")
    (template / "project" / "tool.py").write_text("print('hello')\n")
    status, out, _ = init(template, tmp_path)
    assert status == 1
    assert "framework: none found" in out
    assert "edit: run: no FastAPI, Starlette, Litestar, Flask, Django or aiohttp app found" in out
    assert "edit: install: no pyproject.toml or requirements.txt found" in out
    assert "running variant" not in out
    assert "# TODO: the command that starts the app" in (template / "smoke.yaml").read_text()


AIOHTTP_APP = """\
from aiohttp import web


async def ping(request):
    return web.json_response({"ok": True})


def create_app(argv=None):
    app = web.Application()
    app.router.add_get("/ping", ping)
    return app
"""
LITESTAR_APP = """\
from litestar import Litestar, get


@get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[healthz])
"""
FLASK_REDIS_APP = """\
import os

import redis
from flask import Flask

app = Flask(__name__)


@app.get("/")
def home():
    redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
    return "hi"
"""
PYPROJECT = '[project]\nname = "web"\nversion = "0.1.0"\ndependencies = {deps}\n'


@pytest.mark.parametrize(
    ("files", "guessed"),
    [
        ({"requirements.txt": "aiohttp>=3.9\n", "server.py": AIOHTTP_APP},
         ["framework: aiohttp", "server.create_app([])", "ready: /ping"]),
        ({"pyproject.toml": PYPROJECT.format(deps='["litestar>=2", "uvicorn>=0.29"]'),
          "main.py": LITESTAR_APP},
         ["framework: Litestar", '"uvicorn", "main:app"', "ready: /healthz"]),
        ({"requirements.txt": "flask>=3\nredis>=5\n", "web.py": FLASK_REDIS_APP},
         ["framework: Flask", '"flask", "--app", "web:app", "run"', 'services: ["redis"]']),
    ],
    ids=["aiohttp", "litestar", "flask-redis"],
)  # fmt: skip
def test_other_frameworks_boot_from_the_first_smoke_yaml(
    files: dict[str, str], guessed: list[str], tmp_path: Path
) -> None:
    if "redis" in str(files):
        require_binary("redis-server", "apt install redis-server")
    template = tmp_path / "web"
    (template / "project").mkdir(parents=True)
    (template / "copier.yml").write_text("_subdirectory: project\nname: {default: web}\n")
    for name, text in files.items():
        (template / "project" / name).write_text(text)
    status, out, err = init(template, tmp_path)
    assert status == 0, out + err
    for text in guessed:
        assert text in out
    assert "PASS  default  done" in out


def test_init_inside_the_template_with_trust_runs_its_tasks(tmp_path: Path) -> None:
    template = bare("tasks-venv", tmp_path)
    scratch = tmp_path / "t"
    scratch.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "init", "--trust"], cwd=template,
        capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "note: copier.yml has _tasks; they ran (--trust)" in done.stdout
    assert "--variant default --trust) ..." in done.stdout
    assert "PASS  default  done" in done.stdout
    assert not (template / "freshboot-out").exists()  # the log went outside the template
