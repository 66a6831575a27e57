"""Dependency horizons and interpreters as matrix axes: smoke.yaml `resolution:` and
`--resolution` (highest, lowest-direct, prerelease, through uv's own resolver settings), and
`--python` replacing smoke.yaml's `python:`; ids gain a segment only when an axis is used."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.version import Version

from smoke_tests import interpreters
from smoke_tests.environment import environment_key
from smoke_tests.spec import SpecError, load_spec
from tests.helpers import freshboot, http_app, smoke_json, write_template
from tests.wheels import PACKAGE, package_template, write_wheels


def _ids(template: Path, *args: str) -> list[str]:
    done = freshboot("variants", "--template", template, "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return [row["id"] for row in json.loads(done.stdout)]


def _installed(result: dict[str, object]) -> str:
    found = [p for p in result["installed"] if str(p).startswith(f"{PACKAGE}==")]  # type: ignore[attr-defined]
    assert found, result
    return str(found[0]).partition("==")[2]


@pytest.fixture
def wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_wheels(tmp_path / "wheels", range(4), also=("1.7rc1",))
    monkeypatch.setenv("UV_FIND_LINKS", str(folder))
    return folder


def test_each_horizon_installs_what_its_users_get(tmp_path: Path, wheels: Path) -> None:
    template = package_template(tmp_path / "tpl")
    args = ("--resolution", "highest,lowest-direct,prerelease")
    assert _ids(template) == ["default"]  # no axis, no segment
    assert _ids(template, *args) == ["default", "lowest-direct", "prerelease"]
    done, results = smoke_json(template, tmp_path, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    got = {variant: _installed(result) for variant, result in results.items()}
    assert got == {"default": "1.3", "lowest-direct": "1.0", "prerelease": "1.7rc1"}
    repro = results["lowest-direct"]["repro"]
    assert repro.endswith("--variant lowest-direct --resolution highest,lowest-direct,prerelease")


def test_a_scalar_resolution_applies_to_every_variant_without_an_id_segment(
    tmp_path: Path, wheels: Path
) -> None:
    template = package_template(tmp_path / "tpl", "resolution: lowest-direct\n")
    done, results = smoke_json(template, tmp_path)
    assert list(results) == ["default"]
    assert _installed(results["default"]) == "1.0", done.stdout


def test_an_axis_value_may_set_the_resolution(tmp_path: Path, wheels: Path) -> None:
    smoke = "axes:\n  floor:\n    latest: {}\n    oldest: {resolution: lowest-direct}\n"
    template = package_template(tmp_path / "tpl", smoke)
    _, results = smoke_json(template, tmp_path)
    assert {v: _installed(r) for v, r in results.items()} == {"default": "1.3", "oldest": "1.0"}


def test_the_environment_key_differs_per_horizon(tmp_path: Path) -> None:
    steps = [("uv", "pip", "install", ".")]
    keys = {environment_key(tmp_path, steps, settings=s) for s in
            ({}, {"UV_RESOLUTION": "lowest-direct"}, {"UV_PRERELEASE": "allow"})}  # fmt: skip
    assert len(keys) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resolution: lowest\n", ":1: resolution: expected one of highest, lowest-direct, "
         "prerelease, got 'lowest'"),
        ("resolution: [highest, highest]\n", ":1: resolution: expected distinct horizons"),
        ("axes:\n  a:\n    x: {resolution: newest}\n", ":3: axes.a.x.resolution: expected one"),
    ],
)  # fmt: skip
def test_resolution_errors_name_the_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    boot = "run: [[python, app.py]]\nready: {http: /}\n"
    template = write_template(tmp_path, "", text + boot, {})
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(template)


def test_bad_horizons_and_pythons_on_the_command_line_are_one_line(tmp_path: Path) -> None:
    done = freshboot("variants", "--resolution", "lowest")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "freshboot: error: argument --resolution: unknown horizon 'lowest'; use highest, "
        "lowest-direct, prerelease"
    )
    done = freshboot("variants", "--python", "3.12,three")
    assert done.returncode == 2
    assert done.stderr.startswith("freshboot: error: argument --python: 'three':")


APP = http_app('{"python": "%d.%d" % sys.version_info[:2]}', imports="import sys")
BOOT = """\
python: "3.12"
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 20}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


def test_python_on_the_command_line_runs_every_installed_interpreter(tmp_path: Path) -> None:
    found = {".".join(i.version.split(".")[:2]) for i in interpreters.installed()}
    # Every one installed here that the test app can run on (ThreadingHTTPServer: 3.7+).
    series = sorted((s for s in found if Version(s) >= Version("3.7")), key=Version)
    template = write_template(tmp_path / "tpl", "name: {type: str, default: demo}\n", BOOT,
                              {"app.py": APP})  # fmt: skip
    done, results = smoke_json(template, tmp_path, "--python", ",".join([*series, "3.99"]))
    assert done.returncode == 0, done.stdout + done.stderr
    by_python = {r["axes"]["python"]: r for r in results.values()}
    assert set(by_python) == {*series, "3.99"}
    for version in series:
        result = by_python[version]
        assert result["status"] == "PASS", result
        assert result["interpreter"].startswith(f"{version}."), result
    missing = by_python["3.99"]
    assert (missing["status"], missing["phase"]) == ("SKIP", "install")
    assert "Python 3.99 is not installed here" in missing["reason"]
