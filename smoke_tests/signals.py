"""Every process freshboot starts begins with default signal handling, whatever freshboot got.

Started by `cmd &` in a script, by `nohup` or by a CI wrapper, freshboot inherits SIGINT (and
SIGQUIT) ignored, or blocked in its signal mask; an exec passes both on, and an app that relies
on the default (Django's runserver ends on KeyboardInterrupt) then never stops on SIGINT: a FAIL
in `stop` that is not the project's fault. So every spawn resets them in the child
(`preexec_fn=preexec`, for subprocess and pexpect alike),
and `harden` makes freshboot itself emulate an inherited "ignore" with a handler that does
nothing, which an exec resets to the default: this covers the processes started by libraries we
cannot pass a `preexec` to (copier's tasks).

`preexec` also asks the kernel to SIGKILL the child when freshboot dies (PR_SET_PDEATHSIG), so
a run killed outright (out of memory, a cancelled CI job) does not leave its servers and apps
up. The kernel sends it when the *thread* that spawned the child ends, not the process: this is
safe because freshboot spawns from a variant's worker thread, which stops every process of its
variant before it ends (and from the main thread, which lives as long as freshboot). What
escapes it (an app's own children) the next run sweeps (smoke_tests.sweep).
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import threading
from collections.abc import Callable

from smoke_tests import cgroups, containment

# The signals a shell, nohup (SIGHUP) or a CI runner may leave ignored or blocked, and SIGPIPE
# and SIGXFSZ, which Python ignores in itself (subprocess resets them, a pty fork does not).
RESET = (
    signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ,
)  # fmt: skip
_INHERITED = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl (Linux only), looked up now: a forked child must not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_prctl = _load_prctl()


def preexec(cgroup: str | None = None) -> None:
    """In a freshly forked child, before exec: the signals at their defaults, nothing blocked,
    and the child inside `cgroup` (by default its variant's; see smoke_tests.containment).

    It only calls sigaction, sigprocmask and a write to a file underneath, which is safe in
    the child of a threaded process (subprocess's warning about `preexec_fn` is about code that
    takes locks)."""
    for sig in RESET:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    die_with_parent()
    cgroups.join(cgroup or containment.current())


def die_with_parent() -> None:
    """In a forked child: be SIGKILLed when the thread that forked it ends (see above)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _ignore(signum: int, frame: object) -> None:
    """Ignore a signal, as freshboot was asked to, in a way an exec does not pass on."""


def harden() -> None:
    """Keep freshboot's own inherited "ignore" of SIGHUP, SIGINT, SIGQUIT or SIGTERM (and the
    same for one blocked in its mask), but as a do-nothing handler, and unblock them, so that
    whatever a library starts from any thread gets them at their defaults. Call it from the
    main thread before starting threads (they inherit its mask); elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    for sig in _INHERITED:
        if signal.getsignal(sig) == signal.SIG_IGN or sig in blocked:
            signal.signal(sig, _ignore)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INHERITED)
