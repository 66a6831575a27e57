"""A private network per variant, for templates whose app always listens on one port.

Linux keeps a network namespace per thread: a variant's thread moves into a new one (loopback
only, up), and every process it starts from then on (services, set-up steps, the app) is born
there, as are the sockets of its HTTP probes. Parallel variants then each have their own
127.0.0.1:8000, and nothing they do reaches the machine's network. Installs need the package
index, so they run in the machine's network (`Network.host`).

It needs CAP_SYS_ADMIN (root). Without it, variants that share a fixed port take turns on the
machine's own network instead, one at a time.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
import socket
import struct
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from smoke_tests.ports import LOOPBACK, is_listening
from smoke_tests.result import Phase, Verdict, error

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
_TURNS: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
_TURNS_LOCK = threading.Lock()


class Network:
    """The calling thread's private network, and a way back to the machine's for a while."""

    def __init__(self, host: int, private: int) -> None:
        self._host, self._private = host, private

    @contextmanager
    def host(self) -> Iterator[None]:
        """Run the block (and what it starts) in the machine's network, e.g. to install."""
        _setns(self._host)
        try:
            yield
        finally:
            _setns(self._private)


@functools.cache
def can_isolate() -> bool:
    """Whether this process may make network namespaces: tried once, in a throwaway thread
    (root is not enough inside a container without CAP_SYS_ADMIN)."""
    if not os.path.exists("/proc/thread-self/ns/net") or os.geteuid() != 0:
        return False
    works: list[bool] = []

    def attempt() -> None:
        try:
            with private_network():
                works.append(True)
        except (OSError, Verdict):
            works.append(False)

    thread = threading.Thread(target=attempt, name="freshboot-netns-probe")
    thread.start()
    thread.join()
    return works == [True]


@contextmanager
def private_network() -> Iterator[Network]:
    """Move the calling thread into a new network namespace with loopback up; back after.

    The namespace ends when the last process in it does: the harness stops them all first.
    """
    host = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc().unshare(CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise error(Phase.SERVICES, f"cannot make a private network: {os.strerror(code)}")
        try:  # from here on, whatever fails, the thread goes back to the machine's network
            private = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                _loopback_up()
                yield Network(host, private)
            finally:
                os.close(private)
        finally:
            _setns(host)
    finally:
        os.close(host)


@contextmanager
def taking_turns(port: int) -> Iterator[None]:
    """Without private networks: one variant at a time on a fixed `port`, which must be free."""
    with _TURNS_LOCK:
        turn = _TURNS[port]
    with turn:
        if is_listening(port):
            raise error(
                Phase.BOOT,
                f"port {port} (smoke.yaml `port`) is already in use on {LOOPBACK}; stop what "
                "listens there, or run as root so each variant gets a private network",
            )
        yield


def _setns(fd: int) -> None:
    if _libc().setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"setns: {os.strerror(code)}")


def _loopback_up() -> None:
    """`ip link set lo up`, in this thread's namespace, without needing iproute2."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "setns"):
        raise OSError(errno.ENOSYS, "setns is not available")
    return libc
