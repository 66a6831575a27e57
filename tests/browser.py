"""A real headless Chromium driven over the DevTools protocol on a pipe (no driver package,
no network): open a page, click like a person, type, read the page, collect console errors,
take a screenshot. Also a small PNG reader, to tell a blank screenshot from a drawn one."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HINT = "apt-get install -y chromium"


def chromium() -> str | None:
    """The Chromium binary, if one is installed."""
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


class Page:
    """One tab of a headless Chromium, attached over the DevTools pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], send: int, receive: int) -> None:
        self._proc, self._send, self._receive = proc, send, receive
        self._buffer = b""
        self._next = 0
        self._session = ""
        self.errors: list[str] = []  # console errors, uncaught exceptions, failed loads
        # Let the page use the clipboard as a person's browser would after they allowed it.
        self.call(
            "Browser.grantPermissions",
            permissions=["clipboardReadWrite", "clipboardSanitizedWrite"],
        )
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer, noting the events that come before."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self._session:
            message["sessionId"] = self._session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(30.0)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))

    def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until `event` arrives."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline - time.monotonic())
            if reply.get("method") == event:
                return dict(reply.get("params", {}))

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser did not answer")
            chunk = os.read(self._receive, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        self._note(message)
        return message

    def _note(self, message: dict[str, Any]) -> None:
        params = message.get("params", {})
        method = message.get("method")
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(str(details.get("exception", {}).get("description", details)))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))

    def open(self, url: str) -> None:
        """Load `url` and wait for its load event."""
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        reply = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 5.0) -> None:
        """Wait until a JavaScript expression is true (what a click started may take time)."""
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """Scroll the element into view and click its middle with the mouse, as a person does."""
        where = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if where is None:
            raise LookupError(f"no element matches {selector}")
        x, y = where
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Click into a field and type `text`."""
        self.click(selector)
        self.call("Input.insertText", text=text)

    def press(self, key: str) -> None:
        """Press and release one key: ArrowDown, ArrowUp or Enter."""
        code = {"ArrowDown": 40, "ArrowUp": 38, "Enter": 13}[key]
        text = {"text": "\r"} if key == "Enter" else {}
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key,
                  windowsVirtualKeyCode=code, **text)  # fmt: skip
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key,
                  windowsVirtualKeyCode=code)  # fmt: skip

    def screenshot(self, path: Path, full: bool = False) -> bytes:
        """A PNG of the viewport (or the `full` page), also written to `path`."""
        extra: dict[str, Any] = {}
        if full:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            extra = {"clip": clip, "captureBeyondViewport": True}
        reply = self.call("Page.captureScreenshot", format="png", **extra)
        data = base64.b64decode(reply["data"])
        path.write_bytes(data)
        return data


@contextmanager
def page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A fresh headless Chromium with one page; closed (and its profile removed) afterwards."""
    binary = chromium()
    assert binary is not None
    profile = tempfile.mkdtemp(prefix="freshboot-chromium-")
    to_browser, commands = os.pipe()
    answers, from_browser = os.pipe()
    to_browser, from_browser = (_above_4(fd) for fd in (to_browser, from_browser))
    flags = [
        "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        f"--user-data-dir={profile}", f"--window-size={width},{height}", "--hide-scrollbars",
    ]  # fmt: skip
    # The protocol's pipe is the browser's file descriptors 3 (commands) and 4 (answers).
    proc = subprocess.Popen(
        [
            "bash",  # dash cannot name file descriptors above 9
            "-c",
            f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser} {to_browser}<&- {from_browser}>&-',
            binary,
            *flags,
        ],
        pass_fds=(to_browser, from_browser),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(to_browser)
    os.close(from_browser)
    try:
        yield Page(proc, commands, answers)
    finally:
        os.close(commands)
        os.close(answers)
        try:
            proc.wait(timeout=10)  # the browser exits when its pipe closes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _above_4(fd: int) -> int:
    """The same pipe end on a descriptor the browser's 3 and 4 cannot collide with."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def png_colours(data: bytes, step: int = 3) -> dict[tuple[int, int, int], int]:
    """How many sampled pixels (every `step`-th of every `step`-th row) have each colour, read
    from an 8-bit RGB or RGBA PNG such as Chromium's screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8, f"unexpected PNG bit depth {depth}"
    assert colour in (2, 6), f"unexpected PNG colour type {colour}"
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    counts: dict[tuple[int, int, int], int] = {}
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        _unfilter(kind, line, previous, channels)
        if y % step == 0:
            for x in range(0, width, step):
                rgb = (line[x * channels], line[x * channels + 1], line[x * channels + 2])
                counts[rgb] = counts.get(rgb, 0) + 1
        previous = line
    return counts


def _unfilter(kind: int, line: bytearray, above: bytearray, bpp: int) -> None:
    """Undo one PNG scanline filter in place (PNG spec, section 9)."""
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, above, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = above[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            corner = above[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF
