"""One way to start, wait for and end a process, for install steps, services and apps alike
(mirakuru's Executor is the model).

A process starts in its own session (a signal to its group reaches what it starts), with
default signal handling and freshboot's marker in its environment, inside a cgroup folder of its
own where the machine allows (smoke_tests.containment). `wait_until` polls a readiness check
and fails fast when the process exits first; `stop` sends a signal and waits a grace period for
the status; `survivors` is everything it started that still runs, however it left the tree
(cgroup folder, marker, tree, adopted orphans); `kill` ends all of that at once.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from signal import SIGKILL, SIGTERM, Signals
from typing import IO, Self

import psutil

from smoke_tests import cgroups, containment, orphans, reaper, signals, sweep


class StartFailed(Exception):
    """The process exited before it was ready, or was not ready in time (its reason says)."""


class Executor:
    """One started process and everything it starts. A subclass changes how it is launched
    (`_launch`) and watched (`poll`, `wait`); the lifetime around it stays the same."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        kind: str,
        *,
        user: str | None = None,
        record: bool = False,
        signal_group: bool = True,
    ) -> None:
        """`record`: remembered by pid too (for a server that overwrites its environment with
        its process title) and in the run's record, for the sweep of a killed run.
        `signal_group`: `signal` reaches its process group (else only the process)."""
        self.command = tuple(command)
        self.cwd, self.user = cwd, user
        self.tag = reaper.new_tag(kind)
        self.cell = containment.cell(kind)
        self.scope = containment.scope_name()
        self.env = reaper.marked(env, self.tag)
        self.pid = 0
        self.since = 0.0
        self.status: int | None = None
        self._record, self._signal_group = record, signal_group
        self._known: dict[int, psutil.Process] = {}
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        """Start it (OSError, such as FileNotFoundError, when it cannot be)."""
        self.since = time.time()
        self.pid = self._launch()
        containment.track(self.pid)
        if self._record:
            reaper.register(self.tag, self.pid)
            sweep.process(self.pid)
        self._remember_tree()
        return self

    def _preexec(self) -> None:
        signals.preexec(str(self.cell) if self.cell is not None else None)

    def _launch(self) -> int:
        """Start the process with its output on a pipe (stderr in it too); its pid."""
        self._proc = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, user=self.user,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, text=True, errors="replace",
            preexec_fn=self._preexec,  # noqa: PLW1509 (only sets signals and its cgroup)
        )  # fmt: skip
        return self._proc.pid

    @property
    def stdout(self) -> IO[str]:
        assert self._proc is not None
        assert self._proc.stdout is not None
        return self._proc.stdout

    def poll(self) -> int | None:
        """Its exit status (negative: the signal that ended it), None while it runs."""
        assert self._proc is not None
        self.status = self._proc.poll()
        return self.status

    def wait(self, timeout: float | None = None) -> int | None:
        """Its exit status once it has ended, or None if it still runs after `timeout`."""
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.status = self._proc.wait(timeout)
        return self.status

    def wait_until(self, ready: Callable[[], bool], timeout: float, name: str) -> None:
        """Poll `ready` until it holds; StartFailed as soon as the process exits (with its last
        output line) or when `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.poll() is not None:
                said = self.stdout.read().strip().splitlines()[-1:] or ["no output"]
                raise StartFailed(f"{name} exited with status {self.status}: {said[0]}")
            if ready():
                return
            time.sleep(0.01)
        raise StartFailed(f"{name} was not ready within {timeout:.0f} s")

    def _remember_tree(self) -> None:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self.pid)
            for proc in [root, *root.children(recursive=True)]:
                self._known.setdefault(proc.pid, proc)

    def signal(self, sig: Signals) -> None:
        """Send `sig` to its process group (as a terminal's Ctrl-C would), or to it alone."""
        self._remember_tree()
        with contextlib.suppress(ProcessLookupError):
            if self._signal_group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)

    def stop(self, sig: Signals = SIGTERM, grace: float = 5.0) -> int | None:
        """Send `sig` and wait up to `grace` seconds: its exit status, or None if it runs on."""
        self.signal(sig)
        return self.wait(grace)

    def survivors(self) -> list[psutil.Process]:
        """What it started that still runs: its cgroup folder, its known tree, whatever carries
        its marker, and (without cgroups) scrubbed orphans re-parented to freshboot."""
        self._remember_tree()
        found = {pid: p for pid, p in self._known.items() if reaper.alive(p)}
        found.update((p.pid, p) for p in containment.members(self.cell) if reaper.alive(p))
        found.update((p.pid, p) for p in reaper.find(self.tag))
        found.update((p.pid, p) for p in orphans.adopted(self.scope, self.since))
        return list(found.values())

    def kill(self, tree: bool = True) -> None:
        """End it at once (and with `tree` all it started); safe to call twice. Without
        `tree`, what it left running stays in its variant until the variant ends. In a cgroup
        folder, one write ends the tree; else it is looked for (tree, marker, orphans)."""
        reaper.unregister(self.tag)
        if tree:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, SIGKILL)
        if tree and self.cell is not None:
            cgroups.remove(self.cell)
        elif tree:
            for _ in range(3):
                procs = [p for p in self.survivors() if p.pid != self.pid]
                if not procs:
                    break
                reaper.kill(procs)
        self._reap()
        orphans.ended(self.pid)
        if self.cell is not None and not cgroups.populated(self.cell):
            cgroups.remove(self.cell)

    def _reap(self) -> None:
        if self._proc is not None:
            with contextlib.suppress(OSError):
                self._proc.kill()
            self.status = self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
