"""`freshboot cache dir|prune|clean`: what runs leave in the cache, and taking it back safely.

Runs stamp each entry they reuse, so prune drops only what no run has used for a while; the
space reported counts a file only when every link to it goes (venvs share files with uv's
cache); nothing in the cache folder that freshboot did not make is touched.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers import TINY, freshboot, smoke_json

DAY = 86400.0


def _entry(root: Path, kind: str, name: str, size: int = 4096, age_days: float = 0.0) -> Path:
    entry = root / kind / name
    entry.mkdir(parents=True)
    (entry / "data").write_bytes(b"x" * size)
    stamp = time.time() - age_days * DAY
    os.utime(entry, (stamp, stamp))
    return entry


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("FRESHBOOT_CACHE", str(root))
    return root


def test_dir_prints_the_configured_folder(cache: Path) -> None:
    done = freshboot("cache", "dir")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, str(cache), "")


def test_prune_removes_only_entries_unused_for_longer_than_asked(cache: Path) -> None:
    old = _entry(cache, "renders", "old", age_days=40)
    stale_env = _entry(cache, "envs", "stale", size=1_000_000, age_days=8)
    fresh = _entry(cache, "envs", "fresh", age_days=1)

    dry = freshboot("cache", "prune", "--older-than", "7", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would remove 2 entries, 1.0 MB freed"), dry.stdout
    assert old.is_dir()
    assert stale_env.is_dir()

    done = freshboot("cache", "prune", "--older-than", "7")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"removed 2 entries, 1.0 MB freed, from {cache}"
    assert not old.exists()
    assert not stale_env.exists()
    assert fresh.is_dir()
    assert sorted(p.name for p in (cache / "envs").iterdir()) == ["fresh"]

    default = freshboot("cache", "prune")  # 30 days: the fresh entry stays
    assert default.stdout.startswith("removed 0 entries, 0 bytes freed"), default.stdout
    assert fresh.is_dir()


def test_space_shared_by_a_hard_link_outside_the_cache_is_not_counted(
    cache: Path, tmp_path: Path
) -> None:
    shared = _entry(cache, "envs", "shared", size=2_000_000)
    os.link(shared / "data", tmp_path / "elsewhere")  # as uv's cache holds a venv's files
    _entry(cache, "renders", "own", size=1_000_000)
    done = freshboot("cache", "clean")
    assert done.stdout.startswith("removed 2 entries, 1.0 MB freed"), done.stdout
    assert (tmp_path / "elsewhere").read_bytes() == b"x" * 2_000_000


def test_clean_leaves_what_freshboot_did_not_make(cache: Path) -> None:
    _entry(cache, "renders", "a")
    _entry(cache, "postgres", "b")
    (cache / "notes.txt").write_text("mine")
    (cache / "elsewhere").mkdir()
    done = freshboot("cache", "clean")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("removed 2 entries"), done.stdout
    assert (cache / "notes.txt").read_text() == "mine"
    assert (cache / "elsewhere").is_dir()
    assert list((cache / "renders").iterdir()) == list((cache / "postgres").iterdir()) == []


@pytest.mark.parametrize("days", ["-1", "soon"])
def test_a_bad_age_is_one_line_and_status_2(cache: Path, days: str) -> None:
    done = freshboot("cache", "prune", "--older-than", days)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"freshboot: error: argument --older-than: expected a number of days (0 or more), "
        f"got '{days}' (see 'freshboot cache prune --help')"
    )


def test_a_run_marks_what_it_reuses_so_prune_keeps_it(cache: Path, tmp_path: Path) -> None:
    first, results = smoke_json(TINY, tmp_path / "first", "--variant", "clean", "-j", "1")
    assert results["clean"]["status"] == "PASS", first.stdout
    made = {kind: list((cache / kind).iterdir()) for kind in ("renders", "envs")}
    assert all(len(found) == 1 for found in made.values()), made
    for found in made.values():
        stamp = time.time() - 60 * DAY
        os.utime(found[0], (stamp, stamp))

    again, results = smoke_json(TINY, tmp_path / "again", "--variant", "clean", "-j", "1")
    assert results["clean"]["status"] == "PASS", again.stdout
    pruned = freshboot("cache", "prune", "--older-than", "30")
    assert pruned.stdout.startswith("removed 0 entries"), pruned.stdout
    assert {kind: list((cache / kind).iterdir()) for kind in made} == made

    cleaned = freshboot("cache", "clean")
    assert cleaned.stdout.startswith("removed 2 entries"), cleaned.stdout
    after, results = smoke_json(TINY, tmp_path / "after", "--variant", "clean", "-j", "1")
    assert results["clean"]["status"] == "PASS", after.stdout
