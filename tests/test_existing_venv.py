"""A project that already holds a `.venv` (a template's task made one) and build leftovers:
freshboot's own fresh virtualenv replaces it, with a cold cache and a warm one; a failure of
freshboot's own `uv venv` step is an ERROR that says so, never the project's FAIL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import http_app, leftovers, write_template

COPIER = """\
_tasks:
  - [python3, -m, venv, --without-pip, .venv]
  - [python3, leftovers.py]
"""
LEFTOVERS = """\
import os
for folder in ("build/lib/who", "who.egg-info", "__pycache__"):
    os.makedirs(folder, exist_ok=True)
open("build/lib/who/__init__.py", "w").write("WHO = 'stale'\\n")
open("who.egg-info/PKG-INFO", "w").write("Name: who\\n")
open("__pycache__/app.cpython-311.pyc", "wb").write(b"junk")
"""
PYPROJECT = """\
[project]
name = "who"
version = "1.0"
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
[tool.setuptools]
packages = ["who"]
"""
# The app answers whether it runs in a venv uv made (freshboot's), not in `python -m venv`'s.
OURS = "'uv' in open(os.path.join(sys.prefix, 'pyvenv.cfg')).read()"
SMOKE = """\
install: [[uv, pip, install, "."]]
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /health, timeout: 20}
probes:
  - get: /health
    expect: {status: 200, json: {ours: true}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
REPLACED = "[the project already holds .venv (made by the template?); freshboot replaces it"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": PYPROJECT,
        "leftovers.py": LEFTOVERS,
        "app.py": http_app(f"{{'ours': {OURS}, 'who': who.WHO}}", imports="import sys, who"),
    }
    root = write_template(tmp_path / "tpl", COPIER, SMOKE, files)
    (root / "project" / "who").mkdir()
    (root / "project" / "who" / "__init__.py").write_text("WHO = 'fresh'\n")
    return root


def _smoke(template: Path, tmp_path: Path, run: str, **env: str) -> tuple[dict[str, Any], str]:
    """One `freshboot smoke --trust` with its cache in tmp_path: the result and the log."""
    out, scratch = tmp_path / run, tmp_path / f"{run}-tmp"
    scratch.mkdir()
    variables = {**os.environ, "TMPDIR": str(scratch), "FRESHBOOT_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
         "--out", str(out), "--trust", "--json", str(out / "r.json")],
        capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        env={**variables, **env},
    )  # fmt: skip
    assert (out / "r.json").exists(), done.stdout + done.stderr
    [result] = json.loads((out / "r.json").read_text())["results"]
    # (uv leaves its build-backend lock files in TMPDIR: only processes count here)
    assert [left for left in leftovers(scratch) if left.startswith("process")] == []
    return result, (out / f"{result['variant']}.log").read_text()


def test_template_made_venv_is_replaced_cold_and_warm(template: Path, tmp_path: Path) -> None:
    cold, cold_log = _smoke(template, tmp_path, "cold")
    assert (cold["status"], cold["reason"]) == ("PASS", ""), cold
    assert REPLACED in cold_log
    assert " venv --quiet" in cold_log  # made by uv, then stored as a seed
    assert list((tmp_path / "cache" / "envs").iterdir())

    warm, warm_log = _smoke(template, tmp_path, "warm")
    assert (warm["status"], warm["reason"]) == ("PASS", ""), warm
    assert REPLACED in warm_log
    assert " venv --quiet" not in warm_log  # seeded from the cache over the project's own


def test_failing_uv_venv_is_freshboots_error(template: Path, tmp_path: Path) -> None:
    result, _ = _smoke(template, tmp_path, "broken", UV_CACHE_DIR="/dev/null/uv")
    assert (result["status"], result["phase"]) == ("ERROR", "install"), result
    assert result["reason"].startswith("freshboot could not create the virtualenv: "), result
    assert "/dev/null/uv" in result["reason"]
