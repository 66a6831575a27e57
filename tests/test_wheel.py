"""freshboot as a user installs it: a wheel in a clean venv, run from a folder outside the
checkout. The bundled template ships in the wheel; `freshboot new svc` makes a project named
svc that boots the way its README says; `freshboot smoke` passes on the bundled template, which
it never writes to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smoke_tests.ports import free_port
from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A clean venv with the wheel built from this checkout; the environment to run it in."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    uv = [sys.executable, "-m", "uv"]
    built = _run(*uv, "build", "--wheel", "-o", tmp / "dist", ROOT, cwd=tmp, env=env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("freshboot-*.whl")
    venv = tmp / "venv"
    made = _run(*uv, "venv", "-q", "--python", sys.executable, venv, cwd=tmp, env=env)
    assert made.returncode == 0, made.stderr
    done = _run(*uv, "pip", "install", "-q", "--python", venv / "bin" / "python", wheel, cwd=tmp, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["FRESHBOOT_CACHE"] = str(tmp / "cache")
    return venv, env


def _bundled(venv: Path) -> Path:
    (found,) = venv.glob("lib/python*/site-packages/scaffolder/template")
    return found


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def test_the_wheel_carries_the_bundled_template(installed: tuple[Path, dict[str, str]]) -> None:
    template = _bundled(installed[0])
    assert (template / "copier.yml").is_file()
    assert (template / "smoke.yaml").is_file()
    assert (template / "project" / "README.md.jinja").is_file()


def test_new_from_the_wheel_boots_by_its_readme(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    made = _run("freshboot", "new", "svc", "--defaults", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "svc"
    assert (project / "README.md").read_text().startswith("# svc\n")
    steps = [line.strip() for line in made.stdout.split("Next:\n", 1)[1].splitlines()]
    assert steps[0] == "cd svc"
    assert steps[-1] == "svc start --server-and-worker"
    # The steps as printed, in one shell (the venv's activation carries over), the last one
    # (the server) kept running. uv is on PATH: the freshboot venv's own. The user's shell has
    # another venv active and a uv project setting (nox sets both): the steps must not install
    # into either.
    port, log = free_port(), tmp_path / "readme.log"
    script = " && ".join([*steps[:-1], f"exec {steps[-1]}"])
    elsewhere = {"VIRTUAL_ENV": str(venv), "UV_PROJECT_ENVIRONMENT": str(venv)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "-c", script], cwd=tmp_path, env={**env, **elsewhere, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        answer = _health(port, proc)
        assert answer is not None, log.read_text()[-3000:]
        assert (answer.status_code, answer.json()["ok"]) == (200, True)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0


def _health(port: int, proc: subprocess.Popen[bytes]) -> httpx.Response | None:
    """GET /_health until it answers, the process ends, or 300 s (installs included) pass."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/_health", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    return None


def test_smoke_from_the_wheel_passes_and_leaves_the_template_alone(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    venv, env = installed
    before = _snapshot(_bundled(venv))
    done = _run("freshboot", "smoke", "--variant", "async", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 0 failed, 0 errors, 0 skipped" in done.stdout
    assert (tmp_path / "freshboot-out" / "async.log").is_file()
    assert _snapshot(_bundled(venv)) == before
