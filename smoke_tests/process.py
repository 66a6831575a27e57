"""A started app: one command under a pty, its output drained and watched, its whole process
tree found and ended, whatever happens (smoke_tests.executor)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect

from smoke_tests import orphans
from smoke_tests.blocks import QUIET, BadBlock, Tracebacks
from smoke_tests.capped_log import CappedLog
from smoke_tests.executor import Executor
from smoke_tests.redact import redact

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_LINE_END = re.compile(r"\r\n|\r|\n")
MAX_LINE = 64 * 1024
_KEPT = 2000  # characters of a line kept for reasons and excerpts (the log has it whole)
_CONTEXT = 5
_TAIL = 40
BLOCK_WAIT = 2.0  # seconds a judge waits for the end of a bad line's block


def split_lines(partial: str, chunk: str) -> tuple[list[str], str]:
    """Complete lines of `partial + chunk`, and what is left of an unfinished one.

    Only the new chunk is scanned, so a line that never ends (a progress bar redrawn with
    a carriage return) costs linear time; a lone \\r ends a line too, and an unfinished line
    is cut every MAX_LINE characters so memory stays bounded.
    """
    if partial == "\r":  # the last read ended a line with \\r: was it half of a \\r\\n?
        partial = ""
        chunk = chunk.removeprefix("\n")
    parts = _LINE_END.split(chunk)
    if len(parts) == 1:
        lines, partial = [], partial + chunk
    else:
        lines, partial = [partial + parts[0], *parts[1:-1]], parts[-1]
        if chunk.endswith("\r"):
            partial = "\r"  # remembered so a following \\n is not read as an empty line
    while len(partial) > MAX_LINE:
        lines.append(partial[:MAX_LINE])
        partial = partial[MAX_LINE:]
    return lines, partial


class RunningApp(Executor):
    """One process of an app under a pty, leading its own session so a signal reaches its
    whole tree (the executor owns its lifetime: start, signal, survivors, kill).

    A background thread drains its output (a child blocks when nobody reads), writes it to the
    log, and remembers the first line that matches a fail pattern and the block it starts (a
    traceback), read to its end: `bad_line` is set at once, `failure()` waits for the block.
    """

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        log: Path,
        fail_on: Sequence[re.Pattern[str]],
    ) -> None:
        super().__init__(command, cwd, env, "app")
        self.marker = self.tag
        self._fail_on = tuple(fail_on)
        self._file = log.open("a", encoding="utf-8")
        self._file.write(redact(f"$ {' '.join(command)}\n"))
        self._log = CappedLog(self._file)
        self._log_error: OSError | None = None  # the log's first failure (a full --out)
        self._tail: deque[str] = deque(maxlen=_TAIL)
        self._lock = threading.Lock()
        self.bad_line: str | None = None
        self._block: BadBlock | None = None
        self._tracebacks = Tracebacks()
        self.last_output = time.monotonic()
        self._reads = 0  # read attempts the drain thread has finished, output judged
        self._read_done = threading.Condition()
        self.ended = threading.Event()
        self.start()
        self._drainer = threading.Thread(target=self._drain, name=f"drain-{self.pid}", daemon=True)
        self._drainer.start()

    def _launch(self) -> int:
        """Under a pty, as a terminal would run it (pexpect.ExceptionPexpect if it cannot)."""
        self._child = pexpect.spawn(
            self.command[0], list(self.command[1:]), cwd=str(self.cwd), env=self.env,
            encoding="utf-8", codec_errors="replace", echo=False, dimensions=(50, 250),
            preexec_fn=self._preexec,
        )  # fmt: skip
        self._child.ptyproc.delayafterclose = 0  # the drain thread reaps it; no need to wait
        return int(self._child.pid)

    def _drain(self) -> None:
        partial = ""
        while True:
            self._count_read()
            try:
                chunk = self._child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                if self._block is not None and time.monotonic() - self.last_output >= QUIET:
                    self._block.done.set()  # a pause in the output ends the block
                if not self._running():
                    break
                continue
            except (pexpect.EOF, OSError):
                lines, partial = split_lines(partial, self._last_words())
                for line in lines:
                    self._take(line)
                break
            self.last_output = time.monotonic()
            lines, partial = split_lines(partial, chunk)
            for line in lines:
                self._take(line)
            self._to_log(flush=True)  # so `tail -f` on the log shows the app as it runs
        if partial not in ("", "\r"):
            self._take(partial)
        self._count_read()  # all it printed has been read: release settle()
        if self._block is not None:
            self._block.done.set()  # no more output: the block is whole
        while self._running():
            time.sleep(0.02)
        child = self._child
        self.status = -child.signalstatus if child.signalstatus is not None else child.exitstatus
        try:
            self._log.finish()
            self._file.write(f"[exited with status {self.status}]\n")
            self._file.flush()
        except OSError as exc:
            self._log_error = self._log_error or exc
        self.ended.set()

    def _last_words(self) -> str:
        """What the pty still delivers once pexpect has taken the end for EOF. Linux hands a
        pty's output to the reading side in a work queue, so an app that prints why and exits
        at once can end before its last line is readable: pexpect, seeing it dead and nothing
        to read, says EOF and the line would be lost."""
        chunks = []
        with contextlib.suppress(OSError, ValueError):
            fd = self._child.child_fd
            while select.select([fd], [], [], 0.1)[0]:
                data = os.read(fd, 65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")

    def _to_log(self, text: str = "", *, flush: bool = False) -> None:
        """Append to the log; a failure (a full --out) is kept for `kill` to raise, in the
        variant's thread, rather than ending this one with a traceback."""
        if self._log_error is not None:
            return
        try:
            self._log.write(text)
            if flush:
                self._log.flush()
        except OSError as exc:
            self._log_error = exc

    def _count_read(self) -> None:
        with self._read_done:
            self._reads += 1
            self._read_done.notify_all()

    def _running(self) -> bool:
        """Whether the main process runs; only this thread reaps it (waitpid)."""
        try:
            return bool(self._child.isalive())
        except pexpect.ExceptionPexpect:  # reaped elsewhere (a kill of the whole run)
            return False

    def _take(self, raw: str) -> None:
        line = redact(_ANSI.sub("", raw).rstrip("\r"))
        self._to_log(line + "\n")
        line = line if len(line) <= _KEPT else line[:_KEPT] + "..."
        in_tb = self._tracebacks.feed(line)
        with self._lock:
            block = self._block
            if block is None and any(p.search(line) for p in self._fail_on):
                self._block = BadBlock(line, self._tail, self._tracebacks, in_tb)
                self.bad_line = line
            elif block is not None:
                block.take(line, self._tracebacks, in_tb)
            self._tail.append(line)

    def settle(self, quiet: float = 0.05, cap: float = 0.5) -> None:
        """Wait until its output has paused for `quiet` seconds (at most `cap`), so that what
        it printed while answering the last request has been read and judged: first for a
        read that began after the call, which takes what the pty already holds even when the
        drain thread is slow to be scheduled."""
        deadline = time.monotonic() + cap
        with self._read_done:
            target = self._reads + 2  # the read under way may have begun before the call
            self._read_done.wait_for(
                lambda: self._reads >= target or self.ended.is_set(), timeout=cap
            )
        while not self.ended.is_set() and time.monotonic() < deadline:
            idle = time.monotonic() - self.last_output
            if idle >= quiet:
                return
            time.sleep(quiet - idle)

    def failure(self, timeout: float = BLOCK_WAIT) -> tuple[str, tuple[str, ...]]:
        """The reason and excerpt of the first bad line, once its block has been read to the
        end (at most `timeout` seconds); call it only when `bad_line` is set."""
        block = self._block
        assert block is not None, "failure() without a bad line"
        block.done.wait(timeout)
        with self._lock:
            return block.reason(), block.excerpt()

    def excerpt(self) -> tuple[str, ...]:
        """The lines around the first bad line, or the last lines when there is none."""
        with self._lock:
            if self._block is not None:
                return self._block.excerpt()
            return tuple(list(self._tail)[-2 * _CONTEXT :])

    def last_line(self) -> str:
        """The last non-empty output line, for a reason when nothing matched a fail pattern."""
        with self._lock:
            return next((line for line in reversed(self._tail) if line.strip()), "no output")

    def poll(self) -> int | None:
        """Its exit status once the drain thread has seen it end (and reaped it)."""
        return self.status if self.ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int | None:
        """Its exit status once it has ended, or None if it is still running after `timeout`."""
        return self.status if self.ended.wait(timeout) else None

    def kill(self, tree: bool = True) -> None:
        """End the whole tree at once and release the pty and the log. Safe to call twice."""
        super().kill(tree)
        self.ended.wait(5)
        self._drainer.join(timeout=2)
        self._child.close(force=True)
        try:
            self._log.finish()
            self._file.close()
        except OSError as exc:
            self._log_error = self._log_error or exc
        failed, self._log_error = self._log_error, None
        if failed is not None:
            raise failed


describe = orphans.describe  # `pid 123 (cmd args)` on one line, for a reason
