"""smoke.yaml `python:`: each variant's venv is made with the interpreter it names, found among
those installed here (pyenv versions behind failing shims included), never downloaded; one
that is missing is a SKIP that says how to get it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smoke_tests import interpreters
from smoke_tests.environment import environment_key
from smoke_tests.spec import SpecError, load_spec
from tests.helpers import http_app, smoke_json, variants_of, write_template

APP = http_app(
    '{"python": "%d.%d" % sys.version_info[:2]}',
    imports="import platform, sys",
    before_start='print("running on", platform.python_version(), flush=True)',
)
BOOT = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 20}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
WANTED = ("3.12", "3.13")


def _require(*versions: str) -> dict[str, interpreters.Interpreter]:
    found = {v: interpreters.find(v) for v in versions}
    missing = [v for v, i in found.items() if i is None]
    if missing:
        pytest.skip(f"Python {', '.join(missing)} not installed here (pyenv install ...)")
    return {v: i for v, i in found.items() if i is not None}


def _template(
    root: Path, smoke: str, copier: str = "name:\n  type: str\n  default: demo\n"
) -> Path:
    return write_template(root, copier, smoke + BOOT, {"app.py": APP})


def _ran_on(tmp_path: Path, variant: str) -> str:
    log = (tmp_path / "out" / f"{variant}.log").read_text()
    found = re.search(r"running on (\S+)", log)
    assert found, log
    return found[1]


def test_a_fixed_python_is_the_venvs_interpreter(tmp_path: Path) -> None:
    found = _require("3.12")
    smoke = 'python: "3.12"\nprobes: [{get: /, expect: {status: 200, json: {python: "3.12"}}}]\n'
    template = _template(tmp_path / "tpl", smoke)
    done, results = smoke_json(template, tmp_path, "--no-cache")
    assert results["default"]["status"] == "PASS", results["default"]
    assert _ran_on(tmp_path, "default") == found["3.12"].version
    assert done.returncode == 0


def test_a_templated_python_follows_an_asked_question(tmp_path: Path) -> None:
    _require(*WANTED)
    copier = "python_version:\n  type: str\n  choices: ['3.12', '3.13']\n  default: '3.12'\n"
    smoke = (
        'python: "{{ python_version }}"\n'
        'probes: [{get: /, expect: {json: {python: "{{ python_version }}"}}}]\n'
    )
    template = _template(tmp_path / "tpl", smoke, copier)
    _, results = smoke_json(template, tmp_path, "--no-cache")
    assert {k: r["status"] for k, r in results.items()} == {"default": "PASS", "3-13": "PASS"}, (
        results
    )


def test_a_python_list_is_an_axis_and_each_cache_entry_keeps_its_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs on a warm cache: a venv made with 3.12 never seeds the 3.13 variant's."""
    found = _require(*WANTED)
    template = _template(tmp_path / "tpl", 'python: ["3.12", "3.13"]\n')
    assert [v.id for v in variants_of(template, load_spec(template).matrix)] == [
        "default",
        "py3-13",
    ]
    monkeypatch.setenv("FRESHBOOT_CACHE", str(tmp_path / "cache"))
    for run in ("cold", "warm"):
        _, results = smoke_json(template, tmp_path / run)
        assert {k: r["status"] for k, r in results.items()} == {
            "default": "PASS",
            "py3-13": "PASS",
        }, results
        assert _ran_on(tmp_path / run, "default") == found["3.12"].version
        assert _ran_on(tmp_path / run, "py3-13") == found["3.13"].version
        log = (tmp_path / run / "out" / "py3-13.log").read_text()
        assert f"[interpreter: Python {found['3.13'].version} at {found['3.13'].path}]" in log
    assert len(list((tmp_path / "cache" / "envs").iterdir())) == 2


def test_an_axis_value_may_set_python(tmp_path: Path) -> None:
    found = _require("3.13")
    smoke = "axes:\n  runtime:\n    own: {}\n    newer: {python: '3.13'}\n"
    template = _template(tmp_path / "tpl", smoke)
    _, results = smoke_json(template, tmp_path, "--no-cache", "--variant", "newer")
    assert results["newer"]["status"] == "PASS", results["newer"]
    assert _ran_on(tmp_path, "newer") == found["3.13"].version


def test_a_missing_python_is_a_skip_that_says_how_to_get_it(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl", 'python: "3.99"\n')
    done, results = smoke_json(template, tmp_path, "--no-cache")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("SKIP", "install"), result
    assert result["reason"].startswith("Python 3.99 is not installed here")
    assert (
        "install it (pyenv install 3.99, uv python install 3.99, or your system's package) "
        "or change smoke.yaml python"
    ) in result["reason"]
    assert done.returncode == 0
    log = tmp_path / "out" / "default.log"
    assert not log.exists() or " venv " not in log.read_text()  # skipped before any install


def test_pyenv_versions_are_found_behind_failing_shims() -> None:
    """pyenv's shim for a version that is not its global one fails; the version is found."""
    pyenv = Path.home() / ".pyenv" / "versions"
    versions = sorted(p.name for p in pyenv.glob("3.1[23].*")) if pyenv.is_dir() else []
    if not versions:
        pytest.skip("no pyenv 3.12/3.13 here")
    for version in versions:
        found = interpreters.find(version)
        assert found is not None, version
        assert found.version == version
        assert found.path.is_relative_to(pyenv / version)


def test_a_range_picks_the_newest_installed_match() -> None:
    found = _require(*WANTED)
    newest = max(
        (i for i in interpreters.installed() if i.version.startswith(WANTED)),
        key=lambda i: tuple(map(int, i.version.split("."))),
    )
    assert interpreters.find(">=3.12,<3.14") == newest
    assert interpreters.find("3.12,<3.14") == found["3.12"]  # a bare part is its series
    assert interpreters.find("~=3.12.0") == found["3.12"]
    assert interpreters.find(str(found["3.13"].path)) == found["3.13"]  # a path is taken as is


def test_the_environment_key_differs_per_interpreter(tmp_path: Path) -> None:
    found = _require(*WANTED)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\nversion = '1'\n")
    keys = {environment_key(tmp_path, [], i) for i in found.values()}
    keys.add(environment_key(tmp_path, []))
    assert len(keys) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("python: 3.10\n", "smoke.yaml:1: python: got the number 3.1; write the version quoted"),
        ("python: latest\n", "smoke.yaml:1: python: 'latest' is not a version constraint"),
        ("python: ['3.12', '3.12']\n", "smoke.yaml:1: python: expected distinct interpreters"),
        ("python: ['3.12', '>=3.13,']\n", "smoke.yaml:1: python[1]: '>=3.13,' is not a version constraint"),
        ("python: ['3.12']\naxes: {python: [a, b]}\n", "smoke.yaml:2: axes.python: a python list already makes this axis"),
        ("axes:\n  v:\n    a: {python: 'three'}\n", "smoke.yaml:3: axes.v.a.python: 'three' is not a version constraint"),
    ],
)  # fmt: skip
def test_python_errors_name_the_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "smoke.yaml").write_text(text + BOOT)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert message in str(caught.value)


def test_a_python_that_renders_to_no_version_is_an_error_of_smoke_yaml(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl", 'python: "{{ name }}"\n')
    _, results = smoke_json(template, tmp_path, "--no-cache")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("ERROR", "install"), result
    assert result["reason"].startswith("smoke.yaml python: 'demo' is not a version constraint")
