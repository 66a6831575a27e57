"""Fresh means fresh: each variant runs with a HOME (and XDG folders) of its own inside its
working folder, so the configuration of whoever runs freshboot does not leak into its installs or
its app, nothing is written to the real home, and the log says what the app wrote in its HOME;
uv's cache stays the shared one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smoke_tests.home import shared_caches, written
from tests.helpers import http_app, leftovers, write_template

APP_BODY = """{
    "home": os.environ["HOME"].endswith("/default/home"),
    "xdg": all(os.environ[v].startswith(os.environ["HOME"] + "/") for v in XDG),
    "x": os.path.exists(os.path.expanduser("~/.config/x")),
}"""
BEFORE = """\
XDG = ["XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"]
os.makedirs(os.path.expanduser("~/.myapp"), exist_ok=True)
with open(os.path.expanduser("~/.myapp/state"), "w") as f:
    f.write("ran")
"""
SMOKE = """\
install:
  - [uv, pip, install, --quiet, pip]
  - [python, -m, pip, config, list]
setup:
  - [python, -c, "import os; print('uv cache:', os.environ['UV_CACHE_DIR'])"]
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /health, timeout: 20}
probes:
  - get: /health
    expect: {status: 200, json: {home: true, xdg: true, x: false}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
LEAK = "http://127.0.0.1:9/leaked-from-the-real-home"


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b""
        for p in sorted(root.rglob("*"))
    }


def test_each_variant_has_its_own_home(tmp_path: Path) -> None:
    template = write_template(
        tmp_path / "tpl", "", SMOKE, {"app.py": http_app(APP_BODY, "", BEFORE)}
    )
    # The user who runs freshboot: their configuration must not reach the project.
    real = tmp_path / "real-home"
    (real / ".config" / "pip").mkdir(parents=True)
    (real / ".config" / "pip" / "pip.conf").write_text(f"[global]\nindex-url = {LEAK}\n")
    (real / ".config" / "uv").mkdir()
    (real / ".config" / "uv" / "uv.toml").write_text(f'index-url = "{LEAK}"\n')
    (real / ".config" / "x").write_text("the user's own\n")
    before = _files(real)
    uv_cache = shared_caches()["UV_CACHE_DIR"]  # this test's own, before HOME moves
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PIP_CONFIG"))}
    env.update(
        HOME=str(real), UV_CACHE_DIR=uv_cache, FRESHBOOT_CACHE=str(tmp_path / "cache"),
        TMPDIR=str(tmp_path / "tmp"),
    )  # fmt: skip
    (tmp_path / "tmp").mkdir()
    report, out = tmp_path / "r.json", tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
         "--out", str(out), "--json", str(report), "--keep"],
        capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        env=env,
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    [result] = json.loads(report.read_text())["results"]
    assert (result["status"], result["reason"]) == ("PASS", ""), result
    assert _files(real) == before  # nothing written to the real home, nothing read from it
    log = (out / "default.log").read_text()
    assert LEAK not in log  # pip's configuration was not the user's
    assert f"uv cache: {uv_cache}" in log  # uv's cache is still the shared one
    assert "[the app wrote in its HOME (" in log
    line = next(line for line in log.splitlines() if "wrote in its HOME" in line)
    assert line.endswith("/default/home): .myapp/]"), line
    kept = Path(done.stdout.split("kept generated projects in ")[1].split()[0])
    assert (kept / "default" / "home" / ".myapp" / "state").read_text() == "ran"
    subprocess.run(["rm", "-rf", str(kept)], check=True)
    assert [left for left in leftovers(tmp_path / "tmp") if left.startswith("process")] == []


def test_written_names_the_entries_inside_xdg_folders(tmp_path: Path) -> None:
    for path in (".myapp/state", ".config/gunicorn/x", ".local/share/app/db", ".local/bin/t"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / ".netrc").write_text("")
    assert written(tmp_path) == [
        ".config/gunicorn/", ".local/bin/", ".local/share/app/", ".myapp/", ".netrc",
    ]  # fmt: skip
