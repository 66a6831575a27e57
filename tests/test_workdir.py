"""Commands in a subfolder: a monorepo-shaped project (the app in backend/, its own
pyproject.toml, reading ../.env) needs only `workdir: backend`; a command may name its own
folder (`cwd`, relative to the project root). Folders must stay inside the project; one
missing at run time is a FAIL in the phase of the command that needed it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smoke_tests.environment import environment_key
from smoke_tests.spec import SpecError, Step, load_spec
from tests.helpers import freshboot, smoke_json, write_template

PYPROJECT = """\
[project]
name = "monoapp"
version = "1.0"
dependencies = []
[project.scripts]
monoapp = "monoapp:main"
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
# The app reads ../.env and ../{{ name }}-data/seed.txt relative to where it was started.
APP = """\
import json, os, signal, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    env = dict(line.split("=", 1) for line in open("../.env").read().split())
    seed = open(os.environ["SEED"]).read().strip()
    body = {"greeting": env["GREETING"], "folder": os.path.basename(os.getcwd()), "seed": seed}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    print("listening", flush=True)
    server.serve_forever()
"""
COPIER = """\
name:
  type: str
  default: demo
layout:
  type: str
  choices: [backend, gone]
  default: backend
"""
SMOKE = """\
workdir: "{{ layout }}"
install: [[uv, pip, install, .]]
setup:
  - {command: [sh, -c, 'echo "seeded in $(basename "$PWD")" > seed.txt'], cwd: "{{ name }}-data"}
  - [sh, -c, 'echo "setup ran in $(basename "$PWD")"']
run: [[monoapp]]
env: {PORT: "{{ port }}", SEED: "../{{ name }}-data/seed.txt"}
ready: {http: /, timeout: 10}
probes:
  - get: /
    expect: {json: {greeting: hello-from-env, folder: backend, seed: "seeded in {{ name }}-data"}}
stop: {signal: SIGINT, grace: 5, exit: 0}
exclude:
  - {layout: gone, mode: [missing-run, missing-setup, escapes]}
axes:
  mode:
    plain: {}
    missing-run:
      run: [{command: [monoapp], cwd: frontend}]
    missing-setup:
      setup: [{command: ["true"], cwd: "{{ name }}-cache"}]
    escapes:
      run: [{command: [monoapp], cwd: "{{ name }}/../../{{ name }}"}]
"""
EXPECTED = {
    "gone": ("FAIL", "install", "cannot run uv pip install .: no folder gone in the project"),
    "missing-run": ("FAIL", "boot", "cannot run monoapp: no folder frontend in the project"),
    "missing-setup": ("FAIL", "setup", "cannot run true: no folder demo-cache in the project"),
    "escapes": (
        "ERROR",
        "boot",
        "smoke.yaml: folder '{{ name }}/../../{{ name }}': 'demo/../../demo' leaves the project;"
        " give a folder inside it, e.g. backend",
    ),
}


def _monorepo(root: Path) -> Path:
    template = write_template(root, COPIER, SMOKE, {".env": "GREETING=hello-from-env\n"})
    backend = template / "project" / "backend"
    (backend / "monoapp").mkdir(parents=True)
    (backend / "pyproject.toml").write_text(PYPROJECT)
    (backend / "monoapp" / "__init__.py").write_text(APP)
    data = template / "project" / "{{ name }}-data"
    data.mkdir()
    (data / ".keep").write_text("")
    return template


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("workdir")
    _, results = smoke_json(_monorepo(tmp / "tpl"), tmp, "-j", "2")
    return tmp / "out", results


def test_a_monorepo_needs_only_workdir(run: tuple[Path, dict[str, Any]]) -> None:
    out, results = run
    assert results["default"]["status"] == "PASS", results["default"]
    log = (out / "default.log").read_text()
    assert "backend$ uv pip install .\n" in log  # the backend's own pyproject.toml installed
    assert "demo-data$ sh -c echo " in log
    assert "setup ran in backend\n" in log  # a step without cwd runs in the workdir


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_a_folder_missing_at_run_time_fails_its_phase(
    run: tuple[Path, dict[str, Any]], variant: str
) -> None:
    status, phase, reason = EXPECTED[variant]
    result = run[1][variant]
    assert (result["status"], result["phase"], result["reason"]) == (status, phase, reason)


@pytest.mark.parametrize(
    ("smoke", "message"),
    [
        ("workdir: /srv/app\n", "smoke.yaml:3: workdir: '/srv/app' is an absolute path; give a folder inside the project, e.g. backend"),
        ("workdir: ../elsewhere\n", "smoke.yaml:3: workdir: '../elsewhere' leaves the project; give a folder inside it, e.g. backend"),
        ("workdir: ''\n", "smoke.yaml:3: workdir: expected a non-empty string"),
        ("install:\n  - {command: [x], cwd: a/../../b}\n", "smoke.yaml:4: install[0].cwd: 'a/../../b' leaves the project; give a folder inside it, e.g. backend"),
        ("install:\n  - {command: [x], when: 'true'}\n", "smoke.yaml:4: install[0].when: unknown key; expected one of command, cwd"),
        ("setup:\n  - {command: [x], cwd: /tmp}\n", "smoke.yaml:4: setup[0].cwd: '/tmp' is an absolute path; give a folder inside the project, e.g. backend"),
        ("axes:\n  m:\n    v:\n      run: [{command: [x], cwd: ..}]\n", "smoke.yaml:6: axes.m.v.run[0].cwd: '..' leaves the project; give a folder inside it, e.g. backend"),
        ("axes:\n  m:\n    v:\n      run: [{cwd: x}]\n", "smoke.yaml:6: axes.m.v.run[0]: 'command' is missing, e.g. command: [app, db, migrate]"),
    ],
)  # fmt: skip
def test_bad_folders_name_the_line(tmp_path: Path, smoke: str, message: str) -> None:
    (tmp_path / "smoke.yaml").write_text("run: [[app]]\nready: {http: /}\n" + smoke)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_the_command_line_refuses_a_folder_outside_the_project(tmp_path: Path) -> None:
    smoke = "run: [{command: [app], cwd: /srv}]\nready: {http: /}\n"
    root = write_template(tmp_path / "tpl", "", smoke, {})
    done = freshboot("variants", "--template", root)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"freshboot: error: {root / 'smoke.yaml'}:1: run[0].cwd: '/srv' is an absolute path;"
        " give a folder inside the project, e.g. backend"
    )


def test_folders_inside_the_project_and_the_forms_of_a_command(tmp_path: Path) -> None:
    (tmp_path / "smoke.yaml").write_text(
        "workdir: backend/./app\n"
        "install: [uv, pip, install, .]\n"
        "run:\n  - [app, web]\n  - {command: [app, worker], cwd: worker/../jobs}\n"
        "ready: {http: /}\n"
    )
    spec = load_spec(tmp_path)
    assert spec.workdir == "backend/./app"
    assert [(s.command, s.cwd) for s in spec.install] == [(("uv", "pip", "install", "."), None)]
    assert [(s.command, s.cwd) for s in spec.run] == [
        (("app", "web"), None),
        (("app", "worker"), "worker/../jobs"),
    ]


def test_a_venv_is_reused_only_for_the_same_dependencies_in_the_install_folders(
    tmp_path: Path,
) -> None:
    """The dependency files that decide a reusable venv are those of each install folder."""
    install = [Step(("uv", "pip", "install", "."), cwd="backend")]
    keys = []
    for name, dependencies in [("a", "[]"), ("b", "[]"), ("c", '["idna"]')]:
        backend = tmp_path / name / "backend"
        backend.mkdir(parents=True)
        (backend / "pyproject.toml").write_text(
            PYPROJECT.replace("dependencies = []", f"dependencies = {dependencies}")
        )
        keys.append(environment_key(tmp_path / name, install))
    assert keys[0] == keys[1] != keys[2]
