"""What a bad line is part of: a fail_on pattern often matches the first line of a block (a
`Traceback (most recent call last):`, an `Exception in ASGI application` above one) whose telling
line comes last. So the output is read on to the end of the block, and the reason is the
exception a traceback ends with (and the one it was chained from), not the line that matched."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable

HEADER = "Traceback (most recent call last):"
CHAIN = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)
BLOCK_LINES = 200  # read at most this many lines after a match for the end of its block
QUIET = 0.3  # seconds without output that end a block
_KEPT_AFTER = 50  # lines of a block kept in the excerpt (its end, when longer)
_CONTEXT = 5


class Tracebacks:
    """Follows an app's output lines and tells which belong to a Python traceback, with the
    exception lines of the current one (several when exceptions are chained)."""

    def __init__(self) -> None:
        # "frames" after a header, "exception" after its exception line, "chain" after a
        # "The above exception was ..." line, "out" elsewhere.
        self.state = "out"
        self.length = 0  # lines of the current traceback so far
        self.exceptions: list[str] = []

    def feed(self, line: str) -> bool:
        """Take the next line; whether it belongs to a traceback."""
        if self.state == "out" and HEADER not in line:
            return False  # the common case, without copying the line
        text = line.strip()
        if line.rstrip().endswith(HEADER):
            if self.state != "chain":  # a new traceback, not the next link of a chain
                self.length = 0
                self.exceptions = []
            self.state = "frames"
        elif self.state == "frames" and text and not line[0].isspace():
            self.exceptions.append(text)  # the first unindented line after the frames
            self.state = "exception"
        elif self.state in ("exception", "chain") and text in CHAIN:
            self.state = "chain"
        elif self.state in ("exception", "chain") and text and not line[0].isspace():
            self.state = "out"  # indented lines continue the message (hints, notes)
        if self.state == "out":
            return False
        self.length += 1
        return True


class BadBlock:
    """The lines from a fail_on match to the end of the block it belongs to."""

    def __init__(self, matched: str, tail: deque[str], tracebacks: Tracebacks, in_tb: bool) -> None:
        self.matched = matched
        # Before the match: a few lines, and the whole traceback so far when it is in one.
        before = _CONTEXT + (tracebacks.length - 1 if in_tb else 0)
        self.before = list(tail)[-before:]
        self.lines: deque[str] = deque(maxlen=_KEPT_AFTER)
        self.read = 0
        self.after = 0  # lines kept after the block ended
        self.traceback = in_tb
        self.exceptions: list[str] = list(tracebacks.exceptions) if in_tb else []
        self.done = threading.Event()

    def take(self, line: str, tracebacks: Tracebacks, in_tb: bool) -> None:
        """A line after the match: part of the block, or the first after it, which ends it;
        a few more are kept as context."""
        if self.done.is_set():
            if self.after < _CONTEXT:
                self.lines.append(line)
                self.after += 1
            return
        self.lines.append(line)
        self.read += 1
        self.traceback = self.traceback or in_tb
        if self.traceback:
            self.exceptions = list(tracebacks.exceptions)
        if not in_tb or self.read >= BLOCK_LINES:
            self.after = 1 if not in_tb else 0
            self.done.set()

    def reason(self) -> str:
        """The telling line: the exception a traceback ended with, with the one it was chained
        from; the matched line when no traceback followed."""
        if not self.exceptions:
            return self.matched
        last, first = self.exceptions[-1], self.exceptions[0]
        return last if first == last else f"{last} (chained from {first})"

    def excerpt(self) -> tuple[str, ...]:
        """The lines before the match (the whole traceback so far, when it is in one), the
        matched line, and the block after it."""
        return (*self.before, self.matched, *self.lines)


# A line that says what went wrong, in the words tools use: `error: ...` (uv, pip, git),
# `Error: ...`, uv's multiplication sign before `No solution found`, `FATAL: ...`,
# `CommandError: ...` (Django), a check's `FAIL  database  ...` or `failed to ...`.
_TELLING = re.compile(
    "^\\s*(?:\N{MULTIPLICATION SIGN}|"
    r"[\w.]*(?:error|fatal|exception)\b:?|fail(?:ed|ure)?\b)",
    re.IGNORECASE,
)


def telling_line(lines: Iterable[str]) -> str | None:
    """The line of a command's last output that best says why it failed: the exception its
    last Python traceback ended with (and the one it was chained from), else its last line
    that reads as an error; None when nothing does."""
    tracebacks, last_error, exceptions = Tracebacks(), None, list[str]()
    follows = False  # the error line before ended with a colon: its cause is on this line
    for line in lines:
        if tracebacks.feed(line) and tracebacks.exceptions:
            exceptions = list(tracebacks.exceptions)
        elif _TELLING.match(line):
            last_error = line.strip()
            follows = last_error.endswith(":")
            continue
        elif last_error is not None and _continues(line, follows):
            last_error = f"{last_error} {line.strip()}"
        follows = False
    if exceptions:
        last, first = exceptions[-1], exceptions[0]
        return last if first == last else f"{last} (chained from {first})"
    return last_error


def cause_of(lines: Iterable[str]) -> str | None:
    """What a failed command's reason ends with: its telling line, else its last non-empty
    output line (a reason names the cause; the excerpt only shows it)."""
    lines = list(lines)
    found = telling_line(lines)
    if found is None:
        found = next((line.strip() for line in reversed(lines) if line.strip()), None)
    return found


def _continues(line: str, after_colon: bool) -> bool:
    """Whether `line` carries the cause of the error line just before it: anything after a
    line ending in a colon, or an indented `cause:` / `Caused by:` line (uv, cargo)."""
    text = line.strip()
    if not text:
        return False
    return after_colon or (line[0].isspace() and text.lower().startswith(("cause", "caused by")))
