"""{{ cookiecutter.project_name }}: a stdlib HTTP server, stopped by SIGINT."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
if not (HERE / "hooked.txt").is_file():
    raise SystemExit("Error: the post-gen hook did not run")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            body = json.dumps({
                "ok": True,
                "greeting": "{{ cookiecutter.greeting }}",
                "server": "{{ cookiecutter.__server }}",
                "jobs": "yes" if (HERE / "jobs.py").is_file() else "no",
            }).encode()
        elif self.path == "/static/page.html":
            body = (HERE / "static" / "page.html").read_bytes()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["{{ cookiecutter.port_variable }}"])), Handler)
try:
    server.serve_forever()
except KeyboardInterrupt:
    server.server_close()
