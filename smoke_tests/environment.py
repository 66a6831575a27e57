"""A fresh virtualenv per project, made the way a user would (uv), but fast: bytecode compiled
and packages hard-linked from one shared uv cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from uv import find_uv_bin

from smoke_tests import reaper
from smoke_tests.result import Phase, error, fail
from smoke_tests.spec import Command

_SCRUBBED = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT")
INSTALL_TIMEOUT = 900.0


@dataclass(frozen=True)
class Environment:
    """A project and the virtualenv it runs in."""

    project: Path
    venv: Path
    variables: Mapping[str, str]


def base_variables(venv: Path) -> dict[str, str]:
    """The variables every command of a project sees: its venv first on PATH, the harness's
    own virtualenv and Python settings removed, bytecode compiled, no Python downloads."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    uv_dir = str(Path(find_uv_bin()).parent)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), uv_dir, env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(venv)
    env["UV_COMPILE_BYTECODE"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_LINK_MODE"] = "hardlink"
    return env


def create_environment(project: Path, install: Sequence[Command], log: Path) -> Environment:
    """Make `project/.venv` with uv and run the template's install commands inside it."""
    venv = project / ".venv"
    variables = base_variables(venv)
    uv = find_uv_bin()
    steps: list[Command] = [
        (uv, "venv", "--quiet", "--python", sys.executable, str(venv)),
        *install,
    ]
    with log.open("a", encoding="utf-8") as out:
        for step in steps:
            out.write(f"$ {' '.join(step)}\n")
            out.flush()
            try:
                if reaper.cancelled.is_set():
                    raise error(Phase.INSTALL, "interrupted")
                done = subprocess.run(
                    step, cwd=project, env=reaper.marked(variables, reaper.new_tag("install")),
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    timeout=INSTALL_TIMEOUT, check=False, start_new_session=True,
                )  # fmt: skip
            except FileNotFoundError:
                raise error(Phase.INSTALL, f"command not found: {step[0]}") from None
            except subprocess.TimeoutExpired:
                raise fail(
                    Phase.INSTALL, f"{' '.join(step)} took over {INSTALL_TIMEOUT:.0f} s"
                ) from None
            if done.returncode != 0:
                out.flush()
                tail = tuple(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
                raise fail(
                    Phase.INSTALL, f"{' '.join(step)} exited with status {done.returncode}", tail
                )
    return Environment(project=project, venv=venv, variables=variables)
