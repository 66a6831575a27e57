"""A matrix spread over machines: `--shard K/N` shares are disjoint and together exactly the
selection, balanced by an earlier report's durations; `report merge` joins the shards' reports
into what a single run would have reported, with the same exit status."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from smoke_tests.shards import share
from tests.helpers import TEMPLATE, TINY, freshboot

# Fast tiny variants with every verdict a shard can carry: PASS and FAILs in three phases.
PICK = "clean or error-line or bad-body or bad-exit or crash-after-ready"


def _ids(*args: str) -> list[str]:
    done = freshboot("variants", "--template", TEMPLATE, "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return [row["id"] for row in json.loads(done.stdout)]


def _report(tmp: Path, name: str, rows: dict[str, float]) -> Path:
    """An earlier run's --json report with these durations (the fields older reports had)."""
    results = [
        {"variant": v, "status": "PASS", "phase": "done", "duration": d} for v, d in rows.items()
    ]
    path = tmp / name
    path.write_text(json.dumps({"summary": "", "interrupted": False, "results": results}))
    return path


def test_shards_are_disjoint_and_complete_for_1_to_5() -> None:
    everything = _ids()
    assert len(everything) == 38  # the bundled full matrix
    for count in range(1, 6):
        shares = [share(everything, k, count, {}) for k in range(1, count + 1)]
        assert set().union(*shares) == set(everything), count
        assert sum(len(s) for s in shares) == len(everything), f"overlap at N={count}"
        sizes = sorted(len(s) for s in shares)
        assert sizes[-1] - sizes[0] <= 1, f"by count, N={count}: {sizes}"


def test_the_command_line_shards_the_selection() -> None:
    selected = _ids("-k", "not prod")
    shares = [_ids("-k", "not prod", "--shard", f"{k}/3") for k in (1, 2, 3)]
    assert sorted(v for part in shares for v in part) == sorted(selected)
    for part in shares:  # each share keeps the selection's order
        assert part == [v for v in selected if v in part]
    assert _ids("-k", "not prod", "--shard", "2/3") == shares[1]  # deterministic


def test_durations_balance_the_shards(tmp_path: Path) -> None:
    everything = _ids()
    slow = everything[3]
    times = {v: 1.0 for v in everything} | {slow: float(len(everything) - 1)}
    durations = _report(tmp_path, "earlier.json", times)
    first = _ids("--shard", "1/2", "--durations", str(durations))
    second = _ids("--shard", "2/2", "--durations", str(durations))
    assert first == [slow]  # the slow variant alone balances all the one-second ones
    assert sorted(second) == sorted(set(everything) - {slow})
    # A variant the earlier run did not have counts as a typical one (the median).
    for count in range(1, 6):
        partial = {v: t for v, t in times.items() if v != everything[0]}
        shares = [share(everything, k, count, partial) for k in range(1, count + 1)]
        assert sorted(v for s in shares for v in s) == sorted(everything)
        loads = [sum(times[v] for v in s) for s in shares]
        assert max(loads) - min(loads) <= times[slow], loads


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "0/3"], "--shard: expected K/N with 1 <= K <= N, got '0/3'"),
        (["--shard", "4/3"], "--shard: expected K/N with 1 <= K <= N, got '4/3'"),
        (["--shard", "two"], "--shard: expected K/N such as 2/5, got 'two'"),
        (["--durations", "x.json"], "--durations balances --shard; add --shard K/N"),
        (
            ["--shard", "1/2", "--durations", "missing.json"],
            "--durations missing.json: No such file",
        ),
    ],
)
def test_bad_shard_options_are_one_line(args: list[str], message: str) -> None:
    done = freshboot("variants", "--template", TINY, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("freshboot: error: ")
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same selection run once whole and once as three shards (one machine each)."""
    tmp = tmp_path_factory.mktemp("shards")
    single = freshboot(
        "smoke", "--template", TINY, "-k", PICK, "-j", "2", "--out", tmp / "out-single",
        "--json", tmp / "single.json", "--junit", tmp / "single.xml", tmp=tmp / "tmp",
    )  # fmt: skip
    shards = []
    for k in (1, 2, 3):
        done = freshboot(
            "smoke", "--template", TINY, "-k", PICK, "-j", "2", "--shard", f"{k}/3",
            "--out", tmp / f"out-{k}", "--json", tmp / f"shard-{k}.json", tmp=tmp / "tmp",
        )  # fmt: skip
        shards.append(done)
    return {"tmp": tmp, "single": single, "shards": shards}


def test_merged_shards_equal_a_single_run(runs: dict[str, Any]) -> None:
    tmp: Path = runs["tmp"]
    single = json.loads((tmp / "single.json").read_text())
    parts = [json.loads((tmp / f"shard-{k}.json").read_text()) for k in (1, 2, 3)]
    assert [p["shard"] for p in parts] == ["1/3", "2/3", "3/3"]
    assert all(p["selection"] == single["selection"] for p in parts)
    merged_files: list[str | Path] = ["--json", tmp / "merged.json", "--junit", tmp / "merged.xml"]
    merged_files += ["--markdown", tmp / "merged.md", "--html", tmp / "merged.html"]
    done = freshboot(
        "report", "merge", *(tmp / f"shard-{k}.json" for k in (1, 2, 3)), *merged_files
    )
    assert done.returncode == runs["single"].returncode == 1
    merged = json.loads((tmp / "merged.json").read_text())

    def verdicts(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(r["variant"], r["status"], r["phase"]) for r in doc["results"]]

    assert verdicts(merged) == verdicts(single)
    assert merged["summary"] == single["summary"] == "1 passed, 4 failed, 0 errors, 0 skipped"
    assert merged["exit_status"] == single["exit_status"] == 1
    assert merged["summary"] in done.stdout
    for failed in (r["variant"] for r in single["results"] if r["status"] == "FAIL"):
        assert f"--- {failed}: FAIL in" in done.stdout
    counts = [
        {k: ET.parse(f).getroot()[0].get(k) for k in ("tests", "failures", "errors", "skipped")}
        for f in (tmp / "single.xml", tmp / "merged.xml")
    ]
    assert counts[0] == counts[1]
    assert "freshboot smoke" in (tmp / "merged.md").read_text()
    # The timeline keeps each shard's workers apart.
    lanes = {(r["worker"], r["variant"]) for r in merged["results"]}
    assert len({w for w, _ in lanes}) >= 3
    assert [s["shard"] for s in merged["context"]["shards"]] == ["1/3", "2/3", "3/3"]


def test_merge_refuses_a_missing_or_repeated_shard(runs: dict[str, Any]) -> None:
    tmp: Path = runs["tmp"]
    missing = freshboot("report", "merge", tmp / "shard-1.json", tmp / "shard-3.json")
    assert missing.returncode == 2
    assert "no report of shard 2/3: 2 selected variant(s) are in no report" in missing.stderr
    assert "pass every shard's report" in missing.stderr
    twice = freshboot("report", "merge", *(tmp / f"shard-{k}.json" for k in (1, 2, 3, 3)))
    assert twice.returncode == 2
    assert "pass each shard's report once" in twice.stderr
    other = freshboot("report", "merge", tmp / "shard-1.json", tmp / "shard-2.json",
                      tmp / "shard-3.json", tmp / "single.json")  # fmt: skip
    assert other.returncode == 2
    assert len(other.stderr.strip().splitlines()) == 1


def test_merge_of_reports_that_are_not_json_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("<testsuites/>")
    done = freshboot("report", "merge", bad)
    assert done.returncode == 2
    assert done.stderr.startswith(f"freshboot: error: {bad} is not a freshboot JSON report")
    assert "pass a file written by --json" in done.stderr
