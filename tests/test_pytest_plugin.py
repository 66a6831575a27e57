"""The pytest plugin as a pytest user meets it: one test per variant, named by its id, that
passes, fails with the phase, reason and repro, errors when the harness is at fault, and leaves
nothing running. Each case runs a real pytest in a subprocess on the tiny template."""

from __future__ import annotations

import importlib.util
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from smoke_tests.spec import load_spec
from tests.helpers import TINY, leftovers, variants_of

pytest_plugins = ["pytester"]

# `--opt=value`, not `--opt value`: pytest takes a path-like argument as a hint for its rootdir,
# and would then pick up this repository's pytest settings.
TEMPLATE = f"--freshboot-template={TINY}"
PLUGIN = ("-p", "smoke_tests.pytest_plugin")


@pytest.fixture(autouse=True)
def _isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same plugins whether or not the entry point is installed (those named with -p), and
    temporary folders (the runs' working folders) under this test's own folder."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    (pytester.path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(pytester.path / "tmp"))


def _assert_nothing_left(pytester: pytest.Pytester) -> None:
    """No process the runs started is still running, and their temporary folders are gone."""
    assert [
        line for line in leftovers(pytester.path / "tmp") if not line.startswith("folder")
    ] == []
    assert list((pytester.path / "tmp").glob("freshboot-*")) == []


def _tiny_copy(pytester: pytest.Pytester, **changes: Any) -> None:
    """The tiny template as `tpl`, with these smoke.yaml keys set (mappings: merged)."""
    shutil.copytree(TINY, pytester.path / "tpl")
    smoke = pytester.path / "tpl" / "smoke.yaml"
    spec = yaml.safe_load(smoke.read_text())
    for key, value in changes.items():
        merge = isinstance(value, dict) and isinstance(spec.get(key), dict)
        spec[key] = {**spec[key], **value} if merge else value
    smoke.write_text(yaml.safe_dump(spec))


def test_collects_one_item_per_variant_named_by_its_id(pytester: pytest.Pytester) -> None:
    ids = [v.id for v in variants_of(TINY, load_spec(TINY).matrix, "pairwise")]
    result = pytester.runpytest_subprocess(
        *PLUGIN, TEMPLATE, "--freshboot-strategy=pairwise", "--collect-only", "-q"
    )
    assert result.ret == 0, result.stdout.str()
    assert [line for line in result.outlines if "::" in line] == [f"tiny::{i}" for i in ids]
    assert f"{len(ids)} tests collected" in result.stdout.str()
    assert {"clean", "error-line", "bad-body", "never-ready"} <= set(ids)


def test_without_the_option_the_plugin_does_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_harness_is_not_imported():
            loaded = [m for m in sys.modules if m.split(".")[0] in ("scaffolder", "copier")]
            assert loaded == [] and "smoke_tests.runner" not in sys.modules
        """
    )
    collected = pytester.runpytest_subprocess(*PLUGIN, "--collect-only", "-q")
    assert [line for line in collected.outlines if "::" in line] == [
        "test_without_the_option_the_plugin_does_nothing.py::test_harness_is_not_imported"
    ]
    pytester.runpytest_subprocess(*PLUGIN).assert_outcomes(passed=1)


def test_variants_pass_and_fail_with_phase_reason_and_repro(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    out, junit = tmp_path / "logs", tmp_path / "junit.xml"
    result = pytester.runpytest_subprocess(
        *PLUGIN, TEMPLATE, f"--freshboot-out={out}", f"--junitxml={junit}",
        "-k", "clean or error-line or bad-body",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ variant error-line _*",
            "boot: Error: QueueProviderMissing",
            "    | Error: QueueProviderMissing",
            f"    log:   {out}/error-line.log",
            f"    repro: freshboot smoke --template {TINY} --variant error-line",
            "*_ variant bad-body _*",
            'probe: GET /health: answered HTTP 200 {"ok": false*',
            f"    repro: freshboot smoke --template {TINY} --variant bad-body",
            "FAILED tiny::error-line - boot: Error: QueueProviderMissing",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert (out / "error-line.log").is_file()
    xml = junit.read_text()
    for name in ("clean", "error-line", "bad-body"):
        assert f'<testcase classname="tiny" name="{name}"' in xml
    assert xml.count("<failure ") == 2

    # --lf reruns the two failures only; -x stops at the first of them.
    again = pytester.runpytest_subprocess(*PLUGIN, TEMPLATE, "--lf", "-x")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["*rerun previous 2 failures*", "*stopping after 1 failures*"])
    _assert_nothing_left(pytester)


def test_harness_error_is_a_pytest_error_and_skip_a_skip(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bad-exit: smoke.yaml names a value the run does not have, which blames the harness side.
    # late-error: needs redis-server, which is not on this PATH.
    broken = "{{ nosuch if behaviour == 'bad-exit' else '' }}"
    _tiny_copy(
        pytester, env={"BROKEN": broken}, services={"redis": {"when": "behaviour == 'late-error'"}}
    )
    monkeypatch.setenv("PATH", str(pytester.path / "empty"))
    result = pytester.runpytest_subprocess(
        *PLUGIN, "--freshboot-template=tpl", "-k", "bad-exit or late-error", "-rs"
    )
    result.assert_outcomes(errors=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of variant bad-exit _*",
            "ERROR in boot: smoke.yaml: cannot render*'nosuch' is undefined",
            "    repro: freshboot smoke --template * --variant bad-exit",
            "SKIPPED * services: redis-server not found on PATH*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    _assert_nothing_left(pytester)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--freshboot-template=/nonexistent/tpl", "template /nonexistent/tpl does not exist; "
         "pass --freshboot-template PATH"),
        (f"--freshboot-template={TINY.parent}", "is not a template (no copier.yml, cookiecutter.json or smoke.yaml)"),
        ("--freshboot-template=tpl", "tpl/smoke.yaml:*: run: expected a list, got int"),
        (f"--freshboot-out={TINY}/logs", "--freshboot-out * is inside the template"),
    ],
)  # fmt: skip
def test_bad_input_is_a_usage_error(pytester: pytest.Pytester, option: str, message: str) -> None:
    _tiny_copy(pytester, run=5)
    result = pytester.runpytest_subprocess(*PLUGIN, TEMPLATE, option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: freshboot: *{message}*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist not installed")
def test_runs_under_xdist(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        *PLUGIN, "-p", "xdist.plugin", "-n", "2", TEMPLATE, "-k", "clean or bad-body"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED tiny::bad-body - probe: GET /health*"])
    _assert_nothing_left(pytester)


def test_sigterm_ends_the_session_and_all_it_started(pytester: pytest.Pytester) -> None:
    log = pytester.path / "logs" / "never-ready.log"
    proc = pytester.popen(
        [sys.executable, "-m", "pytest", *PLUGIN, TEMPLATE, "--freshboot-out=logs", "-k", "never"],
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (log.exists() and "starting" in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, stdout
    _assert_nothing_left(pytester)


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist not installed")
def test_sigterm_to_an_xdist_controller_ends_what_its_workers_started(
    pytester: pytest.Pytester,
) -> None:
    """Workers are separate processes: the controller must end the apps they started too."""
    logs = [pytester.path / "logs" / f"{name}.log" for name in ("never-ready", "ignores-sigint")]
    proc = pytester.popen(
        [sys.executable, "-m", "pytest", *PLUGIN, "-p", "xdist.plugin", "-n", "2", TEMPLATE,
         "--freshboot-out=logs", "-k", "never or ignores"],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60

    def started(log: Path) -> bool:
        return log.exists() and "starting" in log.read_text()

    while not all(started(log) for log in logs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(started(log) for log in logs), "the apps never started"
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, stdout
    _assert_nothing_left(pytester)


@pytest.mark.parametrize(
    ("template", "outcomes"),
    [("cookie", {"passed": 4}), ("gen-script", {"passed": 3, "failed": 1})],
)
def test_cookiecutter_templates_and_generator_commands_are_collected_too(
    pytester: pytest.Pytester, template: str, outcomes: dict[str, int]
) -> None:
    path = TINY.parent / template
    pytester.runpytest_subprocess(
        *PLUGIN, f"--freshboot-template={path}", "--freshboot-trust"
    ).assert_outcomes(**outcomes)
    _assert_nothing_left(pytester)
