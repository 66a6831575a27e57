"""Every input is bounded: a hostile or mistaken input is one line and exit 2, never a traceback,
never unbounded memory or time."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from scaffolder.markers import MarkerScan
from scaffolder.model import read_template
from tests.helpers import TINY, freshboot, smoke_json, write_template

# 9 ** 9 list items once the aliases are expanded: a "billion laughs" in under 1 KB.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}' if prev else 'lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def _tiny(tmp_path: Path) -> Path:
    template = tmp_path / "template"
    shutil.copytree(TINY, template)
    return template


def _one_line_error(done: object, *needles: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr  # type: ignore[attr-defined]
    err = done.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("freshboot: error: "), err
    for needle in needles:
        assert needle in err, err


def test_alias_bomb_in_smoke_yaml_is_one_line(tmp_path: Path) -> None:
    template = _tiny(tmp_path)
    spec = template / "smoke.yaml"
    spec.write_text(spec.read_text() + BOMB)
    assert len(BOMB) < 1000
    started = time.monotonic()
    done = freshboot("variants", "--template", template, timeout=60)
    _one_line_error(done, "smoke.yaml", "alias")
    assert time.monotonic() - started < 30


def test_alias_bomb_in_copier_yml_is_one_line(tmp_path: Path) -> None:
    template = _tiny(tmp_path)
    copier = template / "copier.yml"
    copier.write_text(copier.read_text() + "bomb:\n  type: yaml\n  default:\n" + "".join(
        f"    {line}\n" for line in BOMB.splitlines()
    ))  # fmt: skip
    done = freshboot("variants", "--template", template, timeout=60)
    _one_line_error(done, "copier.yml", "alias")


@pytest.mark.parametrize("name", ["smoke.yaml", "copier.yml"])
def test_huge_yaml_is_refused_by_size(tmp_path: Path, name: str) -> None:
    template = _tiny(tmp_path)
    target = template / name
    target.write_text(target.read_text() + "# padding\n" * 200_000)  # 2 MB of comments
    started = time.monotonic()
    done = freshboot("variants", "--template", template, timeout=60)
    _one_line_error(done, name, "limit of 1024 KiB")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "1e300"])
def test_numeric_options_refuse_inf_nan_and_huge(tmp_path: Path, value: str) -> None:
    done = freshboot("smoke", "--template", TINY, "--out", tmp_path / "out", f"--timeout={value}")
    _one_line_error(done, "--timeout", repr(value))


def test_jobs_are_capped_at_a_multiple_of_the_cores(tmp_path: Path) -> None:
    cap = 4 * (os.cpu_count() or 1)
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp_path / "out", "-j", "10000", "-k", "nomatch",
        tmp=tmp_path / "tmp",
    )  # fmt: skip
    assert f"freshboot: note: -j 10000 capped at {cap} (4 x " in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_deeply_nested_k_is_one_line(tmp_path: Path) -> None:
    expr = "(" * 10_000 + "clean" + ")" * 10_000
    done = freshboot("variants", "--template", TINY, "-k", expr)
    _one_line_error(done, "nested deeper than 50")
    assert len(done.stderr) < 400
    ok = freshboot("variants", "--template", TINY, "-k", "(" * 20 + "clean" + ")" * 20)
    assert ok.returncode == 0, ok.stderr
    assert "clean" in ok.stdout


def test_marker_scan_never_reads_devices_or_fifos(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "zero").symlink_to("/dev/zero")
    os.mkfifo(project / "pipe")
    (project / "big.txt").write_text("x" * (3 << 20) + "{{ behaviour }}")  # beyond the bound
    (project / "ok.txt").write_text("left {{ behaviour }} here\n")
    started = time.monotonic()
    found = MarkerScan(read_template(TINY)).project(project)
    assert time.monotonic() - started < 10
    assert any("ok.txt" in line for line in found), found
    assert not any(name in line for line in found for name in ("zero", "pipe", "big.txt"))


FLOOD_APP = """\
import sys
line = "y" * 99 + "\\n"
for i in range(250_000):  # 25 MB in all: past the log's cap
    sys.stdout.write(line)
print("the very last line", flush=True)
sys.stdout.write("Error: " + "x" * 700_000 + "\\n")  # one huge line: the reason
sys.exit(3)
"""


def test_a_flood_keeps_reason_and_log_bounded(tmp_path: Path) -> None:
    template = write_template(
        tmp_path / "template", "",
        "install: []\nrun: [[python, app.py]]\nready: {http: /, timeout: 20}\n"
        "fail_on: ['^Error:']\nstop: {signal: SIGINT, grace: 3}\n",
        {"app.py": FLOOD_APP},
    )  # fmt: skip
    done, results = smoke_json(template, tmp_path, "--junit", str(tmp_path / "r.xml"))
    [result] = results.values()
    assert result["status"] == "FAIL", result
    assert len(result["reason"]) <= 500, len(result["reason"])
    assert result["reason"].endswith("..."), result["reason"][-50:]
    assert all(len(line) <= 500 for line in result["excerpt"])
    assert len(done.stdout) < 20_000, len(done.stdout)
    assert (tmp_path / "r.xml").stat().st_size < 100_000
    [log] = (tmp_path / "out").rglob("*.log")
    size = log.stat().st_size
    assert 12 * 1024 * 1024 < size < 13 * 1024 * 1024, size
    text = log.read_text()
    assert "bytes (" in text
    assert "lines) dropped: the log keeps the first 10485760 and the last 2097152 bytes" in text
    assert "\nthe very last line\nError: xxxx" in text


def test_capped_log_keeps_head_and_tail(tmp_path: Path) -> None:
    from smoke_tests.capped_log import CappedLog

    with (tmp_path / "log").open("w") as stream:
        capped = CappedLog(stream, head=30, tail=20)
        for i in range(100):
            capped.write(f"line {i:03}\n")  # 9 bytes each
        capped.finish()
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[:3] == ["line 000", "line 001", "line 002"]
    assert lines[3] == (
        "[... 855 bytes (95 lines) dropped: the log keeps the first 30 and the last 20 bytes "
        "of this output ...]"
    )
    assert lines[4:] == ["line 098", "line 099"]


def test_a_render_above_the_limit_is_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scaffolder import render

    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text("name: {type: str, default: a}\n")
    (template / "small.txt.jinja").write_text("hello {{ name }}\n")
    (template / "big.bin").write_bytes(b"\1" * 4096)
    notes: list[str] = []
    monkeypatch.setattr(render, "MAX_CACHED_RENDER", 4000)  # instead of writing 200 MB here
    project = render.render_cached(
        template, {"name": "b"}, tmp_path / "p", tmp_path / "cache", note=notes.append
    )
    assert (project / "big.bin").stat().st_size == 4096
    assert (project / "small.txt").read_text() == "hello b\n"
    assert not [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    [line] = notes
    assert line.startswith("render of ")
    assert line.endswith("not cached (the limit is 4000 bytes)")
    monkeypatch.setattr(render, "MAX_CACHED_RENDER", 10_000)
    render.render_cached(template, {"name": "b"}, tmp_path / "q", tmp_path / "cache")
    assert len(list((tmp_path / "cache").iterdir())) == 1  # below the limit: kept
