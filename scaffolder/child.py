"""A generator (copier, cookiecutter) run in a child process of its own, by
scaffolder/copy_child.py: its output (its tasks' and hooks' too) goes to the variant's log,
never to freshboot's terminal; it sees exactly the environment it is given; and it can be
stopped (by --timeout, Ctrl-C, SIGTERM) with everything it started, whatever it does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from scaffolder.errors import RenderError, TaskFailed

# copier (through plumbum) changes the process's working directory while it clones a git
# template, so two renders in parallel threads must not overlap.
COPIER_LOCK = threading.Lock()


_TASK_LINE = re.compile(r"^ > Running task \d+ of \d+: ")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def copier_in_child(
    request: Mapping[str, Any], command: str, log: Path, env: Mapping[str, str] | None
) -> dict[str, str]:
    """Run copier as `request` says (see scaffolder/copy_child.py), in a session of its own
    with environment `env`, its output (colours stripped) appended to `log` after `$ command`.
    A failed task raises TaskFailed with its last lines; a log that cannot be written, its
    OSError; otherwise the outcome: `kind` ok, unsafe or copier, and a one-line `message`."""
    child = Path(__file__).with_name("copy_child.py")
    # In the variant's own TMPDIR (inside the run's working folder), which a later run sweeps
    # if this one is killed.
    tmp = (env or {}).get("TMPDIR")
    with tempfile.TemporaryDirectory(prefix="freshboot-copy-", dir=tmp) as folder:
        path, result = Path(folder, "request.json"), Path(folder, "result.json")
        path.write_text(json.dumps({**request, "result": str(result)}, default=str), "utf-8")
        with log.open("a", encoding="utf-8") as out:
            out.write(f"$ {command}\n")
            out.flush()
            proc = subprocess.Popen(
                [sys.executable, "-I", "-u", str(child), str(path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=dict(env or os.environ), cwd=folder, restore_signals=True,
                start_new_session=True, text=True, errors="replace",
            )  # fmt: skip
            copying = _Output(out)
            reader = threading.Thread(target=copying.copy, args=(proc.stdout,), daemon=True)
            reader.start()
            try:
                status = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            # A task that left a process holding the pipe open must not hold the render.
            reader.join(timeout=2.0)
            copying.stop()
            if copying.error is not None:  # the log could not be written (a full disk)
                raise copying.error
        outcome = json.loads(result.read_text(encoding="utf-8")) if result.exists() else None
    if outcome is None:
        raise RuntimeError(f"the copier process ended with status {status} and no outcome")
    if outcome["kind"] == "task":
        raise TaskFailed(outcome["command"], outcome["status"], list(copying.task),
                         outcome.get("what", "copier task"))  # fmt: skip
    return {"kind": outcome["kind"], "message": " ".join(str(outcome.get("message", "")).split())}


class _Output:
    """Copies copier's output to the log, keeping the last lines of the task running."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.task: deque[str] = deque(maxlen=15)
        self._lock = threading.Lock()
        self._stopped = False
        self.error: OSError | None = None

    def copy(self, stream: TextIO) -> None:
        for raw in stream:
            line = _ANSI.sub("", raw.rstrip("\n"))
            with self._lock:
                if self._stopped:
                    return
                try:
                    self.out.write(line + "\n")
                except OSError as exc:  # raised by the caller, in its own thread
                    self.error, self._stopped = exc, True
                    return
            if _TASK_LINE.match(line):
                self.task.clear()
            else:
                self.task.append(line)

    def stop(self) -> None:
        """Write nothing more: the log is about to be closed."""
        with self._lock:
            self._stopped = True


def raise_for(outcome: Mapping[str, str], unsafe: str, failed: str) -> None:
    """A child's outcome that is not `ok` as a RenderError: refused as unsafe (`unsafe`: what
    refused it), or failed (`failed`: what could not be done)."""
    if outcome["kind"] == "unsafe":
        raise RenderError(f"{unsafe}: {outcome['message']}; pass --trust if you trust it")
    if outcome["kind"] != "ok":
        raise RenderError(f"{failed}: {outcome['message']}")
