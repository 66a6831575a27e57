"""freshboot's bench app: stdlib only, no install, timestamps on the system-wide monotonic clock.

Prints, on stdout (which freshboot logs under --out):
  BENCH listen <t>              right after listen(): from here the port accepts connections
  BENCH request <path> <t>      as each request arrives, before it is answered (an access log;
                                not for /flood, which is polled while it floods)
  BENCH stamps <json>           on GET /stamps, freshboot's first probe, which it sends as soon as
                                it has marked the app ready
<t> is time.monotonic(): CLOCK_MONOTONIC, the same clock in every process of the machine.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("BENCH_MODE", "quiet")
FLOOD_BYTES = int(float(os.environ.get("BENCH_FLOOD_MB", "200")) * 1_000_000)
LINE = 120  # bytes per flooded line, end of line included: a typical log line
STAMPS: dict[str, float] = {}
FLOOD = {"started": False, "done": False, "bytes": 0}
LOCK = threading.Lock()


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def flood() -> None:
    """Write FLOOD_BYTES of numbered lines as fast as the reader takes them."""
    end = "\r" if MODE == "spinner" else "\n"
    out = sys.stdout.buffer
    written = 0
    number = 0
    block: list[bytes] = []
    while written < FLOOD_BYTES:
        number += 1
        head = f"{time.time():.6f} INFO bench.flood: line {number:>9} "
        line = (head + "x" * (LINE - len(head) - 1) + end).encode()
        block.append(line)
        written += len(line)
        if len(block) == 512:
            out.write(b"".join(block))
            block.clear()
    out.write(b"".join(block))
    out.flush()
    say("")
    with LOCK:
        FLOOD["done"], FLOOD["bytes"] = True, written


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        now = time.monotonic()
        if self.path != "/flood":  # polled while flooding: its lines would split the flood's
            say(f"BENCH request {self.path} {now:.6f}")
        body: dict[str, object] = {"ok": True}
        if self.path == "/ready":
            STAMPS.setdefault("first_ready", now)
        elif self.path == "/stamps":
            STAMPS.setdefault("first_probe", now)
            say("BENCH stamps " + json.dumps(STAMPS))
            body.update(STAMPS)
        elif self.path == "/flood":
            with LOCK:
                if MODE != "quiet" and not FLOOD["started"]:
                    FLOOD["started"] = True
                    threading.Thread(target=flood, daemon=True).start()
                body = {"ok": True, "done": MODE == "quiet" or FLOOD["done"]}
                body["bytes"] = FLOOD["bytes"]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    say(f"bench app starting (mode {MODE})")
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler, False)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.server_bind()
    server.server_activate()  # listen(): connections are accepted (queued) from here on
    STAMPS["listen"] = time.monotonic()
    say(f"BENCH listen {STAMPS['listen']:.6f}")

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server.serve_forever(poll_interval=0.05)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
