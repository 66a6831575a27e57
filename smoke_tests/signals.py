"""Every process freshboot starts begins with default signal handling, whatever freshboot got.

Started by `cmd &` in a script, by `nohup` or by a CI wrapper, freshboot inherits SIGINT (and
SIGQUIT) ignored, or blocked in its signal mask; an exec passes both on, and an app that relies
on the default (Django's runserver ends on KeyboardInterrupt) then never stops on SIGINT: a FAIL
in `stop` that is not the project's fault. So every spawn resets them in the child
(`preexec_fn=preexec`, for subprocess and pexpect alike),
and `harden` makes freshboot itself emulate an inherited "ignore" with a handler that does
nothing, which an exec resets to the default: this covers the processes started by libraries we
cannot pass a `preexec` to (copier's tasks).
"""

from __future__ import annotations

import signal
import threading

# The signals a shell, nohup or a CI runner may leave ignored or blocked, and SIGPIPE and
# SIGXFSZ, which Python ignores in itself (subprocess resets them, a pty fork does not).
RESET = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ)
_INHERITED = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)


def preexec() -> None:
    """In a freshly forked child, before exec: the signals at their defaults, nothing blocked.

    It only calls sigaction and sigprocmask underneath, which is safe in the child of a threaded
    process (subprocess's warning about `preexec_fn` is about code that takes locks)."""
    for sig in RESET:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _ignore(signum: int, frame: object) -> None:
    """Ignore a signal, as freshboot was asked to, in a way an exec does not pass on."""


def harden() -> None:
    """Keep freshboot's own inherited "ignore" of SIGINT, SIGQUIT or SIGTERM (and the same for
    one blocked in its mask), but as a do-nothing handler, and unblock them, so that whatever a
    library starts from any thread gets them at their defaults. Call it from the main thread
    before starting threads (they inherit its mask); elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    for sig in _INHERITED:
        if signal.getsignal(sig) == signal.SIG_IGN or sig in blocked:
            signal.signal(sig, _ignore)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _INHERITED)
