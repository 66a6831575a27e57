"""A whole run as its reports see it: the results, what was selected, which share of it this
run was, and where and with what it ran, so a report can be read (and runs merged or compared)
long after the machine that made it is gone."""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffolder.variants import Variant
from smoke_tests import report
from smoke_tests.redact import MASK, redact
from smoke_tests.result import Phase, Result

if TYPE_CHECKING:
    from smoke_tests.compare import Changes

# Which phase of a user's first day each timed stage (see runner and judge) belongs to.
STAGE_PHASE: Mapping[str, Phase] = {
    "render": Phase.GENERATE,
    "services": Phase.SERVICES,
    "environment": Phase.INSTALL,
    "setup": Phase.SETUP,
    "boot": Phase.BOOT,
    "checks": Phase.PROBE,
    "stop": Phase.STOP,
    "upgrade": Phase.UPGRADE,
}


@dataclass(frozen=True)
class Run:
    """One run (or shards merged into one) with everything its reports show."""

    results: tuple[Result, ...]
    suite: str = "freshboot"
    selection: tuple[str, ...] = ()  # every variant the options selected, all shards together
    shard: str = ""  # "K/N" when this run was one shard of the selection
    not_run: tuple[str, ...] = ()  # selected here but never started (-x stopped the run)
    interrupted: bool = False
    context: Mapping[str, Any] = field(default_factory=dict)  # see `context` below
    changes: Changes | None = None  # against an earlier run (--compare)

    @property
    def exit_status(self) -> int:
        """What `freshboot smoke` exits with for these results (signals aside)."""
        return report.exit_status(self.results)


def context(
    template: Path, jobs: int, argv: Sequence[str], wall: float, started: str
) -> dict[str, Any]:
    """Where and with what a run ran: what a reader needs to trust or reproduce its results."""
    return {
        "template": str(template),
        "template_ref": _git_ref(template),
        "freshboot": _version("freshboot"),
        "copier": _version("copier"),
        "uv": _uv_version(),
        "python": f"{platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        "machine": f"{platform.node()}: {platform.system()} {platform.release()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs",
        "started_at": started,
        "wall": round(wall, 3),
        "jobs": jobs,
        "command": redact(shlex.join(["freshboot", *argv])),
    }


def shown_answers(variant: Variant) -> dict[str, Any]:
    """The variant's answers as reports show them: a secret question's answer masked."""
    return {k: MASK if k in variant.secrets else v for k, v in variant.answers.items()}


def now() -> str:
    """The current UTC time as reports write it."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def _uv_version() -> str:
    from smoke_tests.environment import UV

    return _output([UV, "--version"]).removeprefix("uv ") or _version("uv")


def _git_ref(template: Path) -> str:
    """The template's commit (`describe --always --dirty`), or "" outside git."""
    return _output(["git", "-C", str(template), "describe", "--always", "--dirty", "--tags"])


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
