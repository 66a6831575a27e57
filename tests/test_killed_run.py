"""A run SIGKILLed mid-run (out of memory, a cancelled CI job) leaves nothing for long: its
direct children die with it (the kernel's parent-death signal), and the next run sweeps the
rest (an app's child that left its session, temporary folders) from the dead run's record."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from smoke_tests import sweep
from tests.helpers import freshboot, http_app, leftovers, require_binary, write_template

ESCAPE = (
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(300)'])\n"
)
SMOKE = """\
install: []
run: [[python, app.py]]
env:
  PORT: "{{ port }}"
  REDIS_URL: "{{ services.redis.url }}"
  DATABASE_URL: "{{ services.postgres.url }}"
services:
  redis: {}
  postgres: {}
ready: {http: /, timeout: 20}
probes:
  - get: /
    until: {status: 299}
    timeout: 60
"""


def _alive(entry: dict[str, float]) -> bool:
    try:
        proc = psutil.Process(int(entry["proc"]))
        same = abs(proc.create_time() - entry["created"]) < 0.05
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _inside(folders: list[Path]) -> list[str]:
    """Processes working in one of `folders` (a cluster's processes work in its data folder)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if any(Path(proc.cwd()).is_relative_to(f) for f in folders):
                found.append(f"{proc.pid} {proc.name()}")
        except psutil.Error:
            continue
    return found


def _wait_for(path: Path, text: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} never contained {text!r}")


def test_sigkilled_run_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    require_binary("psql", "apt-get install -y postgresql")
    template = write_template(
        tmp_path / "tpl", "name: {type: str, default: x}\n", SMOKE,
        {"app.py": http_app("{}", before_start=ESCAPE)},
    )  # fmt: skip
    scratch, cache, out = tmp_path / "tmp", tmp_path / "cache", tmp_path / "out"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "FRESHBOOT_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
         "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for(next_log(out), "listening")
    [record] = list(sweep.records(cache).glob("*.json"))
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    servers = [e for e in lines if "proc" in e]
    folders = [Path(e["path"]) for e in lines if "path" in e]
    assert len(servers) == 2
    assert all(_alive(e) for e in servers)
    assert any(f.name.startswith("freshboot-pg-") for f in folders)
    assert leftovers(scratch)  # the app and its escaped child run

    killed = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = freshboot("variants", "--template", template, tmp=scratch, timeout=30, cache=cache)
    deadline = killed + 10
    while time.monotonic() < deadline and (
        any(_alive(e) for e in servers) or leftovers(scratch) or _inside(folders)
    ):
        time.sleep(0.1)

    assert after.returncode == 0, after.stderr
    said = [line for line in after.stderr.splitlines() if "swept" in line]
    print(*said)
    assert len(said) == 1, after.stderr
    assert f"swept what a killed run (pid {proc.pid}, " in said[0]
    # The escaped child is swept (the kernel took the rest), unless it was already gone; either
    # way nothing of the run may be left, which the assertions below check.
    assert re.search(r" ago\) left: [01] process(es)?, ", said[0]), said[0]
    assert not any(_alive(e) for e in servers)
    assert _inside(folders) == []  # postgres's own processes (their titles hide the marker)
    assert leftovers(scratch) == []
    assert [f for f in folders if f.exists()] == []
    assert not record.exists()


def next_log(out: Path) -> Path:
    """The log of the only variant, once it exists."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = list(out.glob("*.log")) if out.is_dir() else []
        if logs:
            return logs[0]
        time.sleep(0.05)
    raise AssertionError(f"no log in {out}")


def test_only_dead_runs_are_swept_with_their_staging_folders(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    runs = sweep.records(cache)
    runs.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    created = psutil.Process(dead.pid).create_time()
    dead.wait()
    me = psutil.Process()
    left, kept = tmp_path / "left", tmp_path / "kept"
    left.mkdir()
    kept.mkdir()
    (left / "file").write_bytes(b"x" * 100_000)
    theirs = cache / "renders" / f".staging-{dead.pid}-abc"
    mine = cache / "renders" / f".staging-{me.pid}-abc"
    theirs.mkdir(parents=True)
    mine.mkdir()
    (runs / "dead.json").write_text(
        json.dumps({"pid": dead.pid, "created": created, "started": time.time() - 200}) + "\n"
        + json.dumps({"path": str(left)}) + "\n"
    )  # fmt: skip
    (runs / "live.json").write_text(
        json.dumps({"pid": me.pid, "created": me.create_time(), "started": time.time()}) + "\n"
        + json.dumps({"path": str(kept)}) + "\n"
    )  # fmt: skip

    done = freshboot("cache", "dir", cache=cache)

    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        f"freshboot: swept what a killed run (pid {dead.pid}, 3 min ago) left: "
        "0 processes, 2 folders (" + done.stderr.split("(")[-1].strip()
    )
    assert not left.exists()
    assert not theirs.exists()
    assert kept.exists()
    assert mine.exists()
    assert (runs / "live.json").exists()
    assert not (runs / "dead.json").exists()


def test_cache_clean_removes_staging_leftovers(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    staging = cache / "envs" / ".staging-999999-xyz"
    staging.mkdir(parents=True)
    done = freshboot("cache", "clean", cache=cache)
    assert done.returncode == 0, done.stderr
    assert not staging.exists()
