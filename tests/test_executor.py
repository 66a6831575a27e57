"""The one executor behind install steps, services and apps: it fails fast when the process
exits before it is ready, stops with a signal and a grace period and returns the status, and
`kill` ends everything the process started, even what left its session and scrubbed its
environment (by its cgroup folder where the machine allows)."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import psutil
import pytest

from smoke_tests import containment, reaper
from smoke_tests.executor import Executor, StartFailed


def test_an_exit_before_ready_fails_fast_with_the_last_line(tmp_path: Path) -> None:
    proc = Executor(["sh", "-c", "echo starting; echo boom; exit 3"], tmp_path, os.environ, "t")
    began = time.monotonic()
    with pytest.raises(StartFailed, match=r"^server exited with status 3: boom$"):
        proc.start().wait_until(lambda: False, 30, "server")
    assert time.monotonic() - began < 5
    proc.kill()


def test_not_ready_in_time_says_so(tmp_path: Path) -> None:
    proc = Executor(["sleep", "30"], tmp_path, os.environ, "t").start()
    with pytest.raises(StartFailed, match=r"^server was not ready within 0 s$"):
        proc.wait_until(lambda: False, 0.2, "server")
    proc.kill()
    assert proc.status == -signal.SIGKILL


def test_stop_returns_the_status_or_none_after_the_grace(tmp_path: Path) -> None:
    polite = Executor(["sleep", "30"], tmp_path, os.environ, "t").start()
    assert polite.stop(signal.SIGTERM, 5) == -signal.SIGTERM
    polite.kill()
    stubborn = Executor(["sh", "-c", "trap '' TERM; sleep 30"], tmp_path, os.environ, "t").start()
    time.sleep(0.2)  # the trap is set
    assert stubborn.stop(signal.SIGTERM, 0.3) is None
    stubborn.kill()
    assert stubborn.status == -signal.SIGKILL


def test_kill_ends_what_left_the_session_with_a_clean_environment(tmp_path: Path) -> None:
    if containment.mode() != "cgroup":
        pytest.skip("no writable cgroup v2 here (tests/test_containment.py covers the fallback)")
    token = f"tok-{uuid.uuid4().hex[:10]}"
    helper = f"exec python3 -c 'import time; time.sleep(60)' {token}"
    script = f'(env -i setsid sh -c "{helper}" >/dev/null 2>&1 &); sleep 30'
    with reaper.scope(f"executor-{token}"):
        proc = Executor(["sh", "-c", script], tmp_path, os.environ, "app").start()
        proc.wait_until(lambda: _running(token) != [], 10, "helper")
        (helper_pid,) = _running(token)
        assert psutil.Process(helper_pid).ppid() != proc.pid  # out of the tree
        assert helper_pid in [p.pid for p in proc.survivors()]
        proc.kill()
        assert _running(token) == []


def _running(token: str) -> list[int]:
    """The helpers carrying `token` (not the shell whose script names it)."""
    found = []
    for proc in psutil.process_iter():
        try:
            cmd = proc.cmdline()
            if (
                cmd[-1:] == [token]
                and cmd[0] == "python3"
                and proc.status() != psutil.STATUS_ZOMBIE
            ):
                found.append(proc.pid)
        except psutil.Error:
            continue
    return found
