"""One front door: the pytest plugin opens a template as `freshboot smoke` does (the trust
check), offers the same run options (one table) and honours them (cache, timeout). Each case
runs a real pytest in a subprocess on a copy of the tiny template."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smoke_tests.option_table import RUN_OPTIONS
from tests.helpers import TINY, freshboot

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "smoke_tests.pytest_plugin")


@pytest.fixture(autouse=True)
def _isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the plugins named with -p, temporary folders and the cache under this test's own
    folder, and a copy of the tiny template as `tpl`."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (pytester.path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(pytester.path / "tmp"))
    monkeypatch.setenv("FRESHBOOT_CACHE", str(pytester.path / "cache"))
    shutil.copytree(TINY, pytester.path / "tpl")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_untrusted_template_is_a_usage_error_naming_trust(pytester: pytest.Pytester) -> None:
    copier_yml = pytester.path / "tpl" / "copier.yml"
    copier_yml.write_text(copier_yml.read_text() + "\n_tasks: ['true']\n")
    result = pytester.runpytest_subprocess(*PLUGIN, "--freshboot-template=tpl", "-k", "clean")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    result.stderr.fnmatch_lines(
        ["ERROR: freshboot: */tpl runs its own code on generation (_tasks); read it, then "
         "pass --freshboot-trust if you trust it"]
    )  # fmt: skip
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    # Trusted (or with its tasks skipped), the same template runs.
    for option in ("--freshboot-trust", "--freshboot-skip-tasks"):
        again = pytester.runpytest_subprocess(
            *PLUGIN, "--freshboot-template=tpl", option, "-k", "clean"
        )
        again.assert_outcomes(passed=1)


def test_the_plugin_honours_the_timeout(pytester: pytest.Pytester) -> None:
    _edit(pytester.path / "tpl" / "smoke.yaml", "timeout: 8", "timeout: 120")
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        *PLUGIN, "--freshboot-template=tpl", "--freshboot-timeout=5", "-k", "never-ready"
    )
    assert time.monotonic() - started < 60, "the variant ran to its own 120 s ready timeout"
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["boot: did not finish within 5 s (timed out in boot)"])
    bad = pytester.runpytest_subprocess(
        *PLUGIN, "--freshboot-template=tpl", "--freshboot-timeout=0"
    )
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--freshboot-timeout: expected a positive number of seconds*"])


def test_the_plugin_honours_the_cache(pytester: pytest.Pytester) -> None:
    cache = pytester.path / "cache"
    bare = pytester.runpytest_subprocess(
        *PLUGIN, "--freshboot-template=tpl", "--freshboot-no-cache", "-k", "clean"
    )
    bare.assert_outcomes(passed=1)
    assert not (cache / "renders").exists()
    cached = pytester.runpytest_subprocess(*PLUGIN, "--freshboot-template=tpl", "-k", "clean")
    cached.assert_outcomes(passed=1)
    assert list((cache / "renders").iterdir()), "the render was not cached"


def test_both_front_doors_offer_the_run_options_of_one_table(pytester: pytest.Pytester) -> None:
    cli = freshboot("smoke", "--help").stdout
    plugin = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGIN, "--help"],
        capture_output=True, text=True, check=True, cwd=pytester.path,
    ).stdout  # fmt: skip
    for option in RUN_OPTIONS:
        assert f"--{option.name}" in cli
        assert f"--freshboot-{option.name}" in plugin
