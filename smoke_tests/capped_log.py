"""A log writer with a size cap: an app that prints without end cannot fill the disk.

The first HEAD bytes are written as they come (`tail -f` shows the app live); past them, only the
last TAIL bytes are kept, in memory, and written at the end after one line saying how much was
dropped. The start (how it booted) and the end (how it died) are what a reader needs.
"""

from __future__ import annotations

from collections import deque
from typing import TextIO

HEAD = 10 * 1024 * 1024
TAIL = 2 * 1024 * 1024


class CappedLog:
    """Writes to `stream` up to `head` bytes, then keeps only the last `tail` bytes of lines."""

    def __init__(self, stream: TextIO, head: int = HEAD, tail: int = TAIL) -> None:
        self.stream = stream
        self.head, self.tail = head, tail
        self.written = 0
        self._kept: deque[tuple[str, int]] = deque()
        self._kept_bytes = 0
        self.dropped = self.dropped_lines = 0

    def write(self, text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        if not self._kept and self.written + size <= self.head:
            self.stream.write(text)
            self.written += size
            return
        self._kept.append((text, size))
        self._kept_bytes += size
        while self._kept_bytes > self.tail and len(self._kept) > 1:
            _, gone = self._kept.popleft()
            self._kept_bytes -= gone
            self.dropped += gone
            self.dropped_lines += 1

    def flush(self) -> None:
        self.stream.flush()

    def finish(self) -> None:
        """Write what was kept past the cap, after a line saying what was dropped."""
        if not self._kept:
            return
        if self.dropped:
            self.stream.write(
                f"[... {self.dropped} bytes ({self.dropped_lines} lines) dropped: the log keeps "
                f"the first {self.head} and the last {self.tail} bytes of this output ...]\n"
            )
        for text, _ in self._kept:
            self.stream.write(text)
        self.written += self._kept_bytes
        self._kept.clear()
        self._kept_bytes = 0
        self.stream.flush()
