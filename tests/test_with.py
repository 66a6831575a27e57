"""--with: a dependency's maintainer runs the matrix against their candidate, a locally
modified copy here, and the report records exactly what was installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import idna
import pytest

from tests.helpers import http_app, smoke_json

APP = http_app(
    '{"ok": True, "host": idna.encode("bücher.example").decode()}', imports="import idna"
)
PYPROJECT = """\
[project]
name = "{name}"
version = "{version}"
dependencies = {dependencies}
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[tool.hatch.build.targets.wheel]
packages = ["{package}"]
"""
SMOKE = """\
install: [[uv, pip, install, .]]
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 15}
fail_on: ['^Error:', 'Traceback \\(most recent call last\\)']
probes:
  - {get: /, expect: {status: 200, json: {host: xn--bcher-kva.example}}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template whose app uses idna from PyPI."""
    root = tmp_path_factory.mktemp("with") / "tpl"
    (root / "project" / "demo").mkdir(parents=True)
    (root / "copier.yml").write_text(
        "_subdirectory: project\nname:\n  type: str\n  default: demo\n"
    )
    (root / "smoke.yaml").write_text(SMOKE)
    (root / "project" / "app.py").write_text(APP)
    (root / "project" / "demo" / "__init__.py").write_text("")
    (root / "project" / "pyproject.toml").write_text(
        PYPROJECT.format(name="demo", version="1.0", dependencies='["idna>=3"]', package="demo")
    )
    return root


def _candidate(tmp_path: Path, breaks: bool) -> Path:
    """A local copy of idna, as its maintainer would have it before a release."""
    copy = tmp_path / "idna-candidate"
    shutil.copytree(Path(idna.__file__).parent, copy / "idna")
    (copy / "pyproject.toml").write_text(
        PYPROJECT.format(name="idna", version="99.0.dev0", dependencies="[]", package="idna")
    )
    if breaks:
        init = copy / "idna" / "__init__.py"
        init.write_text(init.read_text() + "\nraise ImportError('candidate broke the import')\n")
    return copy


def test_candidate_that_breaks_start_up_is_caught(template: Path, tmp_path: Path) -> None:
    candidate = _candidate(tmp_path, breaks=True)
    done, results = smoke_json(template, tmp_path, "--with", str(candidate))
    result = results["default"]
    assert done.returncode == 1
    assert (result["status"], result["phase"]) == ("FAIL", "boot"), result
    assert result["reason"] == "ImportError: candidate broke the import"  # not "Traceback"
    assert "ImportError: candidate broke the import" in "\n".join(result["excerpt"])
    assert result["repro"].endswith(f"--with {candidate}")


def test_candidate_that_works_passes_and_is_recorded(template: Path, tmp_path: Path) -> None:
    candidate = _candidate(tmp_path, breaks=False)
    done, results = smoke_json(template, tmp_path, "--with", str(candidate))
    result = results["default"]
    assert (result["status"], result["phase"]) == ("PASS", "done"), done.stdout
    assert f"idna @ file://{candidate}" in result["installed"]


def test_a_candidate_edited_in_place_is_rebuilt(template: Path, tmp_path: Path) -> None:
    candidate = _candidate(tmp_path, breaks=False)
    _, first = smoke_json(template, tmp_path / "first", "--with", str(candidate))
    assert first["default"]["status"] == "PASS"
    init = candidate / "idna" / "__init__.py"
    init.write_text(init.read_text() + "\nraise ImportError('edited after the first run')\n")
    _, second = smoke_json(template, tmp_path / "second", "--with", str(candidate))
    assert (second["default"]["status"], second["default"]["phase"]) == ("FAIL", "boot")
