"""A version diff on every failure: the FAIL of the newest dependencies names the packages
whose versions differ from its PASSing twin at the declared lower bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import smoke_json
from tests.wheels import PACKAGE, package_template, write_wheels


def test_fail_names_what_differs_from_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_FIND_LINKS", str(write_wheels(tmp_path / "wheels")))
    template = package_template(tmp_path / "tpl", "resolution: [highest, lowest-direct]\n")
    done, results = smoke_json(template, tmp_path, "--markdown", str(tmp_path / "summary.md"))
    assert done.returncode == 1, done.stdout + done.stderr
    newest, lowest = results["default"], results["lowest-direct"]
    assert (newest["status"], newest["phase"]) == ("FAIL", "boot"), newest
    assert lowest["status"] == "PASS", lowest
    assert f"{PACKAGE}==1.6" in newest["installed"]
    assert f"{PACKAGE}==1.0" in lowest["installed"]
    line = f"{PACKAGE} 1.6 here, 1.0 in lowest-direct (PASS)"
    assert newest["differs"] == [line]
    assert f"    {line}\n" in done.stdout  # under the FAIL's details
    assert lowest["differs"] == []
    assert f"Versions that differ:\n\n- {line}\n" in (tmp_path / "summary.md").read_text()
    assert newest["interpreter"]
    assert newest["interpreter"] == lowest["interpreter"]


def test_an_axis_that_only_sets_the_horizon_counts_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_FIND_LINKS", str(write_wheels(tmp_path / "wheels")))
    smoke = "axes:\n  floor:\n    latest: {}\n    oldest: {resolution: lowest-direct}\n"
    template = package_template(tmp_path / "tpl", smoke)
    _, results = smoke_json(template, tmp_path)
    assert results["default"]["differs"] == [f"{PACKAGE} 1.6 here, 1.0 in oldest (PASS)"]
