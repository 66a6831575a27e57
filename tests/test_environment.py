"""Fresh virtualenvs through real uv: bytecode compiled, and a venv reused only as a seed for
an identical dependency set, each project still running its own code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smoke_tests.environment import create_environment, environment_key
from smoke_tests.result import Phase, Status, Verdict

PYPROJECT = """\
[project]
name = "who"
version = "1.0"
dependencies = []
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
INSTALL = [("uv", "pip", "install", ".")]


def _project(root: Path, marker: str, pyproject: str = PYPROJECT) -> Path:
    (root / "who").mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject)
    (root / "who" / "__init__.py").write_text(f"WHO = {marker!r}\n")
    return root


def _who(env_python: Path) -> str:
    done = subprocess.run(
        [env_python, "-c", "import who; print(who.WHO)"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_identical_dependencies_share_a_seed_but_not_code(tmp_path: Path) -> None:
    cache = tmp_path / "envs"
    first = _project(tmp_path / "a", "a")
    second = _project(tmp_path / "b", "b")
    assert environment_key(first, INSTALL) == environment_key(second, INSTALL)

    env_a = create_environment(first, INSTALL, tmp_path / "a.log", cache)
    env_b = create_environment(second, INSTALL, tmp_path / "b.log", cache)

    assert " venv " in (tmp_path / "a.log").read_text()
    assert " venv " not in (tmp_path / "b.log").read_text()
    assert _who(env_a.venv / "bin" / "python") == "a"
    assert _who(env_b.venv / "bin" / "python") == "b"
    compiled = list((env_b.venv / "lib").glob("python3*/site-packages/who/__pycache__/*.pyc"))
    assert compiled, "the project's own module was not compiled to bytecode"


def test_different_dependencies_do_not_share(tmp_path: Path) -> None:
    first = _project(tmp_path / "a", "a")
    second = _project(
        tmp_path / "b", "b", PYPROJECT.replace("dependencies = []", 'dependencies = ["idna"]')
    )
    assert environment_key(first, INSTALL) != environment_key(second, INSTALL)


def test_failed_install_is_a_fail_in_install_with_its_output(tmp_path: Path) -> None:
    project = _project(
        tmp_path / "a",
        "a",
        PYPROJECT.replace(
            "dependencies = []", 'dependencies = ["this-package-does-not-exist-freshboot"]'
        ),
    )
    with pytest.raises(Verdict) as caught:
        create_environment(project, INSTALL, tmp_path / "a.log", None)
    verdict = caught.value
    assert (verdict.status, verdict.phase) == (Status.FAIL, Phase.INSTALL)
    # The reason ends with uv's own words for the cause.
    assert verdict.reason.startswith("uv pip install . exited with status 1: ")
    assert "No solution found" in verdict.reason
    assert "this-package-does-not-exist-freshboot" in verdict.reason
    assert any("this-package-does-not-exist-freshboot" in line for line in verdict.excerpt)
