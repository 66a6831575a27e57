"""The verdict on one variant: the values that flow out of the harness into reports."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_REASON = 500  # characters of a reason, and of each excerpt line, in every report
MAX_EXCERPT = 100  # lines of a log excerpt (the last ones are kept)
_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r"})


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """`text` as one line of at most `limit` characters (cut with "..."): a reason is read in a
    terminal table and a JUnit attribute, and an app's output may be megabytes. A line break
    inside it is shown escaped (`\\n`), so a command line holding one reads as it was."""
    if "\n" in text or "\r" in text:
        text = text.strip().translate(_BREAKS)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class Status(enum.StrEnum):
    """PASS: it started cleanly. FAIL: the project is at fault. ERROR: the harness or the
    machine is at fault. SKIP: not run, with the reason."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIP = "SKIP"


class Phase(enum.StrEnum):
    """Where in a user's first day the variant was when its verdict was reached."""

    GENERATE = "generate"
    SERVICES = "services"
    INSTALL = "install"
    SETUP = "setup"
    BOOT = "boot"
    PROBE = "probe"
    QUIET = "quiet"
    STOP = "stop"
    UPGRADE = "upgrade"
    DONE = "done"


@dataclass(frozen=True)
class Result:
    """One variant's verdict, with what a maintainer needs to act on it without re-running."""

    variant: str
    status: Status
    phase: Phase
    reason: str = ""
    duration: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    excerpt: tuple[str, ...] = ()
    log: Path | None = None
    repro: str = ""
    installed: tuple[str, ...] = ()  # the venv's packages (`uv pip freeze`), once installed
    interpreter: str = ""  # the venv's Python version, once made
    differs: tuple[str, ...] = ()  # a FAIL's versions against a PASS (see versions_diff)
    answers: Mapping[str, Any] = field(default_factory=dict)  # the variant's copier answers
    axes: Mapping[str, str] = field(default_factory=dict)  # and its smoke.yaml axis values
    started: float | None = None  # seconds after the run began; None: never started
    worker: int | None = None  # which of the run's -j slots ran it (for the timeline)

    def __post_init__(self) -> None:
        # Every report reads these: bounded here, whichever stage or file they came from.
        object.__setattr__(self, "reason", one_line(self.reason))
        lines = tuple(one_line(line) for line in self.excerpt[-MAX_EXCERPT:])
        object.__setattr__(self, "excerpt", lines)

    @property
    def ok(self) -> bool:
        """Whether this result lets a release through."""
        return self.status in (Status.PASS, Status.SKIP)


class Verdict(Exception):
    """Raised by a stage to end the variant with this status, phase and reason."""

    def __init__(
        self, status: Status, phase: Phase, reason: str, excerpt: tuple[str, ...] = ()
    ) -> None:
        reason = one_line(reason)  # every verdict's reason is one line, whoever made it
        super().__init__(reason)
        self.status = status
        self.phase = phase
        self.reason = reason
        self.excerpt = excerpt


def fail(phase: Phase, reason: str, excerpt: tuple[str, ...] = ()) -> Verdict:
    """A verdict that blames the project."""
    return Verdict(Status.FAIL, phase, reason, excerpt)


def error(phase: Phase, reason: str, excerpt: tuple[str, ...] = ()) -> Verdict:
    """A verdict that blames the harness or the machine."""
    return Verdict(Status.ERROR, phase, reason, excerpt)


def skip(phase: Phase, reason: str) -> Verdict:
    """A verdict that says the variant could not be run here, and why."""
    return Verdict(Status.SKIP, phase, reason)
