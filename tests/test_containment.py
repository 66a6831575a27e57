"""Containment (issue 15): a helper that leaves the app's process tree and scrubs its
environment (`env -i sh -c 'nohup helper &'`, or a setsid double fork with an empty
environment) carries neither the tree nor freshboot's marker, yet it is reported at `stop`
(pid and command, on one line) and killed, and after the run no process it started is left
anywhere in the process table: by cgroup v2 where the machine allows, else (forced here with
FRESHBOOT_CONTAINMENT=subreaper) as an orphan re-parented to freshboot, said once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psutil
import pytest

from smoke_tests import cgroups, sweep
from tests.helpers import ROOT, freshboot, leftovers, smoke_json

DETACH = ROOT / "tests" / "templates" / "detach"
WEAKER = "freshboot: note: containment is weaker here"


def _cgroups_here() -> bool:
    """Whether a freshboot started now would contain by cgroup (decided in a fresh process)."""
    done = subprocess.run(
        [sys.executable, "-c", "from smoke_tests import containment; print(containment.mode())"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return done.stdout.strip() == "cgroup"


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    """A word only this test's helpers carry on their command line (the app passes it on)."""
    value = f"tok-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("HELPER_TOKEN", value)
    return value


def _helpers(token: str) -> list[str]:
    """Every process in the whole process table whose command line carries `token`."""
    found = []
    for proc in psutil.process_iter():
        try:
            cmd = " ".join(proc.cmdline())
            if token in cmd and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(f"{proc.pid} {cmd!r}")
        except psutil.Error:
            continue
    return found


def _named_survivor(result: dict[str, Any], token: str, helper: str) -> None:
    assert (result["status"], result["phase"]) == ("FAIL", "stop"), result
    reason = result["reason"]
    assert re.match(r"pid \d+ \(python3 -c import time\\ntime\.sleep\(300\) ", reason), reason
    assert f" {token} {helper}) survived SIGINT to python app.py" in reason, reason
    assert "\n" not in reason  # the helper's newline is shown escaped


def test_helpers_that_get_away_fail_the_stop_and_nothing_is_left(
    tmp_path: Path, token: str
) -> None:
    if not _cgroups_here():
        if os.environ.get("CI"):
            pytest.fail("CI runs as root on a machine with a writable cgroup v2")
        pytest.skip("no writable cgroup v2 here (the fallback is tested below)")
    done, results = smoke_json(DETACH, tmp_path, "-j", "2")

    assert results["clean"]["status"] == "PASS", results["clean"]
    _named_survivor(results["detached"], token, "detached")  # each its own, at -j 2 too
    _named_survivor(results["double-fork"], token, "double-fork")
    assert WEAKER not in done.stderr
    assert _helpers(token) == []
    assert leftovers(tmp_path / "tmp") == []
    assert _finished_runs_cgroups(results) == [], "a variant's cgroup is left"


def _finished_runs_cgroups(variants: Iterable[str]) -> list[Path]:
    """The cgroups of `variants` under runs that have ended (a run's folder ends in its pid):
    runs still going are another test's, beside this one (pytest -n, or another checkout)."""
    return [
        folder
        for variant in variants
        for folder in cgroups.own_folder().glob(f"freshboot-*/v-{variant}")
        if not psutil.pid_exists(int(folder.parent.name.rsplit("-", 1)[1]))
    ]


def test_without_cgroups_a_subreaper_finds_them_and_says_so_once(
    tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHBOOT_CONTAINMENT", "subreaper")
    done, results = smoke_json(DETACH, tmp_path, "-j", "1")

    assert results["clean"]["status"] == "PASS", results["clean"]
    _named_survivor(results["detached"], token, "detached")
    _named_survivor(results["double-fork"], token, "double-fork")
    assert done.stderr.count(WEAKER) == 1, done.stderr
    assert "FRESHBOOT_CONTAINMENT=subreaper" in done.stderr
    assert _helpers(token) == []
    assert leftovers(tmp_path / "tmp") == []


def test_without_cgroups_two_at_once_still_leave_nothing(
    tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At -j 2 a `nohup` helper is still its app's (it stays in the app's session); a double
    fork born while another variant ran cannot be attributed, so it is killed at the end of
    the run and named there, never blamed on the wrong variant."""
    monkeypatch.setenv("FRESHBOOT_CONTAINMENT", "subreaper")
    done, results = smoke_json(DETACH, tmp_path, "-j", "2")

    assert results["clean"]["status"] == "PASS", results["clean"]
    _named_survivor(results["detached"], token, "detached")
    forked = results["double-fork"]
    if forked["status"] == "PASS":  # it ran beside another variant
        line = (
            f"freshboot: killed pid \\d+ \\(python3 -c import time\\\\ntime.sleep\\(300\\) {token} "
        )
        assert re.search(line + r"double-fork\), left by the run and not attributable", done.stderr)
    else:
        _named_survivor(forked, token, "double-fork")
    assert _helpers(token) == []


def test_the_next_run_empties_a_killed_runs_cgroup(tmp_path: Path, token: str) -> None:
    """A SIGKILLed run's cgroup still holds what escaped it, marker or not; the next run's sweep
    kills that and removes the cgroup."""
    if not _cgroups_here():
        pytest.skip("no writable cgroup v2 here")
    run_id = uuid.uuid4().hex[:12]
    folder = cgroups.make(cgroups.own_folder() / f"freshboot-{run_id}-{os.getpid()}")
    inside = subprocess.Popen(
        ["env", "-i", sys.executable, "-c", "import time; time.sleep(300)", token],
        start_new_session=True, preexec_fn=lambda: cgroups.join_or_raise(str(folder)),  # noqa: PLW1509
    )  # fmt: skip
    dead = subprocess.Popen(["true"])
    created = psutil.Process(dead.pid).create_time()
    dead.wait()
    cache = tmp_path / "cache"
    runs = sweep.records(cache)
    runs.mkdir(parents=True)
    (runs / f"{run_id}.json").write_text(
        json.dumps({"pid": dead.pid, "created": created, "started": time.time() - 60}) + "\n"
    )
    try:
        done = freshboot("cache", "dir", cache=cache)
        assert "left: 1 process, 0 folders" in done.stderr, done.stderr
        assert inside.wait(timeout=5) == -9
        assert not folder.exists()
    finally:
        inside.kill()
        inside.wait()
        cgroups.remove(folder)
