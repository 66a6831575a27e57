"""The cache works on any filesystem, and what one project does to its venv never reaches a later
run: hard-linked files written in place are found by the entry's manifest and rebuilt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffolder import cache
from tests.helpers import http_app, write_template

TAMPER = """\
import glob, sys
[path] = glob.glob(".venv/lib/python*/site-packages/planted.py")
if "TAMPERED" in open(path).read():
    sys.exit(f"this venv inherited another project's write: {path}")
with open(path, "a") as stream:  # in place: the same inode as any hard link to it
    stream.write("# TAMPERED\\n")
"""
SMOKE = """\
install:
  - [python, -c, "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'planted.py').write_text('x = 1')"]
setup: [[python, tamper.py]]
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
axes:
  round: [one, two, three]
ready: {http: /, timeout: 10}
stop: {signal: SIGINT, grace: 3}
"""


def _template(root: Path) -> Path:
    return write_template(
        root, "", SMOKE, {"app.py": http_app("{'ok': True}"), "tamper.py": TAMPER}
    )


def _smoke(tmp_path: Path, root: Path, name: str) -> dict[str, dict[str, str]]:
    report = tmp_path / f"{name}.json"
    env = {**os.environ, "FRESHBOOT_CACHE": str(root), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(tmp_path / "template"),
         "--out", str(tmp_path / name), "--json", str(report), "-j", "1"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    return {r["variant"]: r for r in json.loads(report.read_text())["results"]}


def test_a_write_in_place_in_one_venv_never_reaches_a_later_one(tmp_path: Path) -> None:
    _template(tmp_path / "template")
    results = _smoke(tmp_path, tmp_path / "cache", "out")
    assert {r["status"] for r in results.values()} == {"PASS"}, results
    logs = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.log"))
    assert "does not match its manifest (lib/python" in logs
    assert "site-packages/planted.py); dropped, building a fresh one" in logs


def test_manifest_finds_a_write_in_place_through_a_hard_link(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "mod.py").write_text("x = 1\n")
    cache.write_manifest(tree, tmp_path / "manifest.json")
    assert cache.changed(tree, tmp_path / "manifest.json") is None
    cache.link_tree(tree, tmp_path / "copy")
    with (tmp_path / "copy" / "sub" / "mod.py").open("a") as stream:
        stream.write("y = 2\n")
    assert cache.changed(tree, tmp_path / "manifest.json") == "sub/mod.py"


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs mounted for this test (another filesystem than the working folders)."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_cache_on_another_filesystem_is_copied_not_linked(tmp_path: Path, tmpfs: Path) -> None:
    assert os.stat(tmpfs).st_dev != os.stat(tmp_path).st_dev
    _template(tmp_path / "template")
    first = _smoke(tmp_path, tmpfs / "cache", "first")
    assert {r["status"] for r in first.values()} == {"PASS"}, first
    again = _smoke(tmp_path, tmpfs / "cache", "again")  # renders and venvs from the tmpfs
    assert {r["status"] for r in again.values()} == {"PASS"}, again
    [entry] = (tmpfs / "cache" / "envs").iterdir()
    assert (entry / "manifest.json").is_file()
    assert cache.changed(entry / "venv", entry / "manifest.json") is None  # copies: untouched
    assert list((tmpfs / "cache" / "renders").iterdir())
