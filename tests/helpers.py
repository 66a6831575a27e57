"""Test helpers: run the real `freshboot` command, find leftovers, require real servers in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import psutil
import pytest
import yaml

from scaffolder.matrix import Matrix
from scaffolder.model import read_template
from scaffolder.variants import Variant, load_variants
from smoke_tests.reaper import MARKER
from smoke_tests.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template"
TINY = ROOT / "tests" / "templates" / "tiny"


def freshboot(
    *args: str | Path, tmp: Path | None = None, timeout: float = 600, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would, and capture what it prints.

    With `tmp`, the run's temporary folders (and so those of everything it starts, which
    inherit TMPDIR) go there, which lets a test find its own leftovers and nobody else's.
    With `cache`, that is the run's cache (FRESHBOOT_CACHE).
    """
    env = dict(os.environ)
    if tmp is not None:
        tmp.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmp)
    if cache is not None:
        env["FRESHBOOT_CACHE"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "smoke_tests", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL, env=env,
    )  # fmt: skip


def smoke_json(
    template: Path, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`freshboot smoke --json` on `template`, with its temporary folders in `tmp_path/tmp`;
    the process and its results by variant id."""
    report = tmp_path / "results.json"
    done = freshboot(
        "smoke", "--template", template, "--out", tmp_path / "out", "--json", report, *args,
        tmp=tmp_path / "tmp",
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    results = json.loads(report.read_text())["results"]
    return done, {r["variant"]: r for r in results}


def leftovers(tmp: Path) -> list[str]:
    """What a run given `tmp` as TMPDIR left behind: processes it started that still run
    (they carry the harness's marker and that TMPDIR, or a variant's own TMPDIR inside it),
    and folders in `tmp`."""
    left = [f"folder {p}" for p in tmp.iterdir()] if tmp.is_dir() else []
    for proc in psutil.process_iter():
        try:
            env = proc.environ()
            if MARKER in env and Path(env.get("TMPDIR", "/")).is_relative_to(tmp):
                left.append(f"process {proc.pid} {' '.join(proc.cmdline())}")
        except psutil.Error:
            continue
    return left


def require_binary(name: str, hint: str) -> None:
    """Skip when a server binary is missing here, but fail in CI, where it must be installed."""
    if shutil.which(name) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI; {hint}")
        pytest.skip(f"{name} not installed; {hint}")


def write_template(root: Path, copier_yml: str, smoke: str, files: dict[str, str]) -> Path:
    """A purpose-built template: its copier.yml (files under `project/`), smoke.yaml, files.
    Its app is stopped as soon as it is judged (`observe: 0`) unless smoke.yaml says `observe`
    anywhere: the window costs 2 s per boot and is tested where it is the point (test_observe)."""
    (root / "project").mkdir(parents=True)
    (root / "copier.yml").write_text(f"_subdirectory: project\n{copier_yml}")
    try:
        data = yaml.safe_load(smoke)
    except yaml.YAMLError:  # a test of a broken smoke.yaml: as written
        data = None
    if isinstance(data, dict) and "observe:" not in smoke and not smoke.lstrip().startswith("{"):
        smoke = smoke.rstrip("\n") + "\nobserve: 0\n"
    (root / "smoke.yaml").write_text(smoke)
    for name, text in files.items():
        (root / "project" / name).write_text(text)
    return root


def http_app(body: str, imports: str = "", before_start: str = "") -> str:
    """The source of a tiny stdlib HTTP app for purpose-built templates: it answers every GET
    with the JSON `body` (a Python expression), runs `before_start` first, stops on SIGINT."""
    return f"""\
import json, os, signal, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
{imports}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        data = json.dumps({body}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

{before_start}
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
print("listening", flush=True)
server.serve_forever()
"""


def variants_of(
    template: Path,
    smoke: Mapping[str, Any] | Matrix | None = None,
    strategy: Literal["full", "pairwise"] = "full",
    warn: Callable[[str], None] | None = None,
) -> list[Variant]:
    """The template's variants as a command finds them: copier.yml read once, and `smoke`
    (smoke.yaml's matrix keys, as YAML would give them) checked by the spec loader."""
    if not isinstance(smoke, Matrix):
        raw = {**(smoke or {}), "run": [["app"]], "ready": {"http": "/"}}
        smoke = parse_spec(raw, template / "smoke.yaml").matrix
    return load_variants(read_template(template), smoke, strategy, warn)
