"""A project generator with options, as frameworks ship: writes `<name>.py` into the current
folder. Its known bug: `--store memory --jobs thread` writes an app that dies at start."""

import argparse
from pathlib import Path

APP = '''"""{name}: store {store}, jobs {jobs}."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE, JOBS = "{store}", "{jobs}"
if STORE == "memory" and JOBS == "thread":
    raise RuntimeError("QueueProviderMissing: the memory store has no queue for job threads")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({{"ok": True, "store": STORE, "jobs": JOBS}}).encode()
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.server_close()
'''

parser = argparse.ArgumentParser()
parser.add_argument("--name", required=True)
parser.add_argument("--store", choices=["file", "memory"], default="file")
parser.add_argument("--jobs", choices=["none", "thread"], default="none")
options = parser.parse_args()
Path(f"{options.name}.py").write_text(APP.format(**vars(options)), encoding="utf-8")
print(f"created {options.name}.py")
