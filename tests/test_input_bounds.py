"""Every input is bounded: a hostile or mistaken input is one line and exit 2, never a traceback,
never unbounded memory or time."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from scaffolder.markers import MarkerScan
from tests.helpers import TINY, freshboot

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
    assert f"-j 10000 capped at {cap}" in done.stdout, done.stdout + done.stderr
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
    found = MarkerScan(TINY).project(project)
    assert time.monotonic() - started < 10
    assert any("ok.txt" in line for line in found), found
    assert not any(name in line for line in found for name in ("zero", "pipe", "big.txt"))
