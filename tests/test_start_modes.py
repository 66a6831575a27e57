"""Commands that must end by themselves (smoke.yaml `exits:`), and every start mode of the
bundled template booted in every worker mode, each judged by what it must do there.

A purpose-built template holds a `worker.py` that either keeps its `exits` (says there is no
worker to run, exits 0) or breaks it one way each; it runs beside a server, alone in an axis
value, and as a set-up step. The bundled template, with `start --worker` made to raise as
Loco's worker-only QueueProviderMissing did, fails exactly where that command runs."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from smoke_tests.schema import schema
from smoke_tests.spec import SpecError, parse_spec
from smoke_tests.spec_steps import Exits
from tests.helpers import TEMPLATE, freshboot, http_app, leftovers, smoke_json, write_template

pytestmark = pytest.mark.slow

EXITS = '{status: 0, within: 3, output: "there is no worker to run"}'
SMOKE = f"""\
install: []
env: {{PORT: "{{{{ port }}}}"}}
axes:
  shape:
    beside: {{}}
    alone:
      run:
        - command: [python, worker.py]
          exits: {EXITS}
    setup:
      setup:
        - command: [python, worker.py]
          exits: {EXITS}
      run: [[python, app.py]]
run:
  - [python, app.py]
  - command: [python, worker.py]
    exits: {EXITS}
ready: {{http: /health, timeout: 15}}
fail_on: ['^Error:']
probes:
  - {{get: /health, expect: {{status: 200, json: {{ok: true}}}}}}
stop: {{signal: SIGINT, grace: 5}}
"""
WORKER = """\
import os, subprocess, sys, time
behaviour = "{{ behaviour }}"
if behaviour == "wrong-status":
    print("Error: QueueProviderMissing: workers.mode needs a queue provider", flush=True)
    sys.exit(1)
if behaviour == "no-line":
    print("worker starting", flush=True)
    sys.exit(0)
if behaviour == "leaves-child":
    subprocess.Popen(["sleep", "60"], start_new_session=True)
print("workers.mode is BackgroundAsync: there is no worker to run", flush=True)
if behaviour == "fail-on":
    print("Error: the worker is unhappy", flush=True)
if behaviour == "hangs":
    time.sleep(60)
"""
BEHAVIOURS = ["clean", "wrong-status", "no-line", "hangs", "leaves-child", "fail-on"]
EXPECTED = "python worker.py was to end by itself with status 0 within 3 s, printing a line " \
    "matching 'there is no worker to run'; "  # fmt: skip
CAME = {
    "wrong-status": "it exited with status 1 (last output: Error: QueueProviderMissing: "
    "workers.mode needs a queue provider)",
    "no-line": "no output line matched (last output: worker starting)",
    "hangs": "it was still running after 3 s (last output: workers.mode is BackgroundAsync: "
    "there is no worker to run)",
}


def _verdict(behaviour: str, shape: str) -> tuple[str, str, str]:
    """(status, phase, reason) each combination must get."""
    phase = "setup" if shape == "setup" else "boot"
    if behaviour in CAME:
        return "FAIL", phase, EXPECTED + CAME[behaviour]
    if behaviour == "leaves-child":
        phase = "setup" if shape == "setup" else "stop"
        return "FAIL", phase, "(sleep 60) was left running by python worker.py"
    if behaviour == "fail-on" and shape != "setup":  # set-up steps are not under fail_on
        return "FAIL", phase, "Error: the worker is unhappy"
    return "PASS", "done", ""


def _fixture(root: Path) -> Path:
    copier = f"behaviour:\n  type: str\n  default: clean\n  choices: {BEHAVIOURS}\n"
    files = {"app.py": http_app("{'ok': True}"), "worker.py.jinja": WORKER}
    return write_template(root, copier, SMOKE, files)


def test_exits_is_judged_beside_a_server_alone_and_as_a_setup_step(tmp_path: Path) -> None:
    template = _fixture(tmp_path / "template")
    done, results = smoke_json(template, tmp_path, "-j", "2")
    assert len(results) == len(BEHAVIOURS) * 3, sorted(results)
    for variant, result in results.items():
        behaviour = result["answers"]["behaviour"]
        status, phase, reason = _verdict(behaviour, result["axes"]["shape"])
        assert (result["status"], result["phase"]) == (status, phase), (variant, result)
        if status == "PASS":
            continue
        if reason.startswith("("):  # a survivor: its pid differs per run
            assert result["reason"].startswith("pid "), result
            assert result["reason"].endswith(reason), result
        else:
            assert result["reason"] == reason, result
    assert done.returncode == 1
    assert leftovers(tmp_path / "tmp") == []


VALIDATOR = jsonschema.Draft7Validator(schema(), format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    ("exits", "message"),
    [
        ("{status: ok}", "run[0].exits.status: expected an exit status (0-255), got 'ok'"),
        ("{within: 0}", "run[0].exits.within: expected a positive number of seconds, e.g. 10"),
        ("{output: '(unclosed'}", "run[0].exits.output: invalid regular expression"),
        ("{status: 0, signal: SIGINT}", "run[0].exits.signal: unknown key; expected one of "
         "output, status, within"),
        ("[0]", "run[0].exits: expected a mapping, got list"),
    ],
)  # fmt: skip
def test_the_loader_and_the_schema_refuse_a_bad_exits(exits: str, message: str) -> None:
    text = f"run:\n  - command: [app, start, --worker]\n    exits: {exits}\nready: {{http: /}}\n"
    with pytest.raises(SpecError) as refused:
        parse_spec(yaml.safe_load(text), Path("smoke.yaml"))
    assert message in str(refused.value)
    assert list(VALIDATOR.iter_errors(yaml.safe_load(text)))
    ok = text.replace(exits, "{status: 3, within: 2.5, output: 'no worker'}")
    assert parse_spec(yaml.safe_load(ok), Path("smoke.yaml")).run[0].exits == Exits(
        status=3, within=2.5, output=re.compile("no worker")
    )
    assert not list(VALIDATOR.iter_errors(yaml.safe_load(ok)))


def test_a_bad_exits_key_names_its_line(tmp_path: Path) -> None:
    bad = SMOKE.replace("within: 3,", "within: soon,", 1)
    template = _fixture(tmp_path / "template")
    (template / "smoke.yaml").write_text(bad)
    done = freshboot("smoke", "--template", template, "--out", tmp_path / "out")
    line = bad.splitlines().index(next(s for s in bad.splitlines() if "soon" in s)) + 1
    assert done.returncode == 2
    assert done.stderr == (
        f"freshboot: error: {template / 'smoke.yaml'}:{line}: axes.shape.alone.run[0].exits"
        ".within: expected a non-negative number, got 'soon'\n"
    )


# --------------------------------------------------------------------------------------------
# The bundled template: every start mode in every worker mode

RUNTIME = Path("project/{{package_name}}/runtime.py")
WORKER_ONLY = "    if not server and not queued:\n"
# Loco's worker-only twin of QueueProviderMissing: `start --worker` without a queue raises.
REGRESSION = WORKER_ONLY + textwrap.indent(
    "from .workers import QueueProviderMissing\n\n"
    'raise QueueProviderMissing("workers.mode needs a queue provider to run a worker")\n',
    " " * 8,
)
SELECTION = "(split or all or db-none) and not redis and not postgres and not py3 and not lowest"


def test_the_bundled_matrix_boots_every_start_mode_in_every_worker_mode() -> None:
    smoke = (TEMPLATE / "smoke.yaml").read_text()
    for mode in ('["{{ project_name }}", start]', "start, --worker]", "--server-and-worker]"):
        assert mode in smoke
    assert "start, --all]" in smoke
    assert smoke.count("exits: {status: 0") == 1


def test_a_worker_that_raises_without_a_queue_fails_where_it_runs(tmp_path: Path) -> None:
    clean, clean_results = smoke_json(TEMPLATE, tmp_path / "clean", "-k", "split-in-process")
    assert sorted(clean_results) == ["async-split-in-process", "blocking-db-none-split-in-process"]
    assert {r["status"] for r in clean_results.values()} == {"PASS"}, clean.stdout

    broken = Path(shutil.copytree(TEMPLATE, tmp_path / "template"))
    source = broken / RUNTIME
    text = source.read_text()
    assert text.count(WORKER_ONLY) == 1, f"{RUNTIME} no longer starts a worker-only process so"
    source.write_text(text.replace(WORKER_ONLY, REGRESSION))
    done, results = smoke_json(broken, tmp_path / "broken", "-k", SELECTION, "-j", "2")

    assert len(results) == 9, sorted(results)
    for variant, result in results.items():
        if not variant.endswith("split-in-process"):
            assert result["status"] == "PASS", (variant, result)
            continue
        assert (result["status"], result["phase"]) == ("FAIL", "boot"), result
        assert result["reason"] == (
            "freshapp start --worker was to end by itself with status 0 within 20 s, printing a "
            "line matching 'there is no worker to run'; it exited with status 1 (last output: "
            "Error: QueueProviderMissing: workers.mode needs a queue provider to run a worker)"
        )
    assert done.returncode == 1
    assert leftovers(tmp_path / "clean" / "tmp") == []
    assert leftovers(tmp_path / "broken" / "tmp") == []
