"""`--compare PREVIOUS.json`: the summary and every report say what changed since an earlier
run: newly failing, fixed, still failing, new and removed variants, and slower ones."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smoke_tests.compare import compare, lines
from smoke_tests.result import Phase, Result, Status
from tests.helpers import TINY, freshboot


def _previous(tmp: Path, rows: list[tuple[str, str, float]]) -> Path:
    """An earlier run's --json report: (variant, status, seconds) per variant."""
    results = [
        {"variant": v, "status": s, "phase": "done" if s == "PASS" else "boot", "duration": d}
        for v, s, d in rows
    ]
    path = tmp / "previous.json"
    path.write_text(json.dumps({"summary": "", "interrupted": False, "results": results}))
    return path


def test_every_kind_of_change_in_every_report(tmp_path: Path) -> None:
    previous = _previous(
        tmp_path,
        [
            ("clean", "FAIL", 1.0),  # passes now: fixed
            ("error-line", "PASS", 1.0),  # fails now: newly failing
            ("bad-body", "FAIL", 1.0),  # fails again: still failing
            ("retired", "PASS", 1.0),  # not in the template any more: removed
        ],  # bad-exit was not there: new
    )
    files = {ext: tmp_path / f"now.{ext}" for ext in ("json", "xml", "md", "html")}
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp_path / "out", "--compare", previous,
        "--variant", "clean", "--variant", "error-line", "--variant", "bad-body",
        "--variant", "bad-exit", "--json", files["json"], "--junit", files["xml"],
        "--markdown", files["md"], "--html", files["html"], tmp=tmp_path / "tmp",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    expected = [
        f"compared with {previous}: 1 newly failing, 1 fixed, 1 still failing, 1 new, 1 removed",
        "  newly failing: error-line (PASS → FAIL)",
        "  fixed: clean (FAIL → PASS)",
        "  still failing: bad-body",
        "  new: bad-exit",
        "  removed: retired",
    ]
    assert done.stdout.splitlines()[-6:] == expected
    changes = json.loads(files["json"].read_text())["compare"]
    assert [c["variant"] for c in changes["newly_failing"]] == ["error-line"]
    assert [c["variant"] for c in changes["fixed"]] == ["clean"]
    assert [c["variant"] for c in changes["still_failing"]] == ["bad-body"]
    assert [c["variant"] for c in changes["new"]] == ["bad-exit"]
    assert [c["variant"] for c in changes["removed"]] == ["retired"]
    suite = ET.parse(files["xml"]).getroot()[0]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["compare.newly_failing"] == "error-line"
    assert properties["compare.removed"] == "retired"
    assert expected[1] in (suite.findtext("system-out") or "")
    markdown = files["md"].read_text()
    assert "**Compared with" in markdown
    assert "- newly failing: error-line (PASS → FAIL)" in markdown
    page = files["html"].read_text()
    assert "newly failing: error-line (PASS → FAIL)" in page
    assert "removed: retired" in page


def test_slower_names_both_times(tmp_path: Path) -> None:
    previous = _previous(tmp_path, [("clean", "PASS", 0.01), ("bad-exit", "PASS", 0.01)])
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp_path / "out", "--compare", previous,
        "--variant", "clean", "--json", tmp_path / "now.json", tmp=tmp_path / "tmp",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    now = json.loads((tmp_path / "now.json").read_text())
    took = now["results"][0]["duration"]
    assert now["compare"]["slower"] == [{"variant": "clean", "before": 0.01, "after": took}]
    # bad-exit was selected before but not now: with --variant it is out of the selection.
    assert f"  slower: clean 0.0s → {took:.1f}s (+" in done.stdout
    assert "  removed: bad-exit" in done.stdout


def _result(variant: str, status: Status, duration: float = 10.0) -> Result:
    return Result(variant, status, Phase.DONE, duration=duration)


def test_thresholds_and_edges() -> None:
    before = [
        _result("same", Status.PASS, 10.0),
        _result("quarter", Status.PASS, 10.0),
        _result("tiny", Status.PASS, 0.1),
        _result("errored", Status.ERROR),
        _result("skipped", Status.SKIP),
        _result("other-shard", Status.FAIL),
    ]
    now = [
        _result("same", Status.PASS, 12.5),  # exactly 25% slower: not more than 25%
        _result("quarter", Status.PASS, 12.6),
        _result("tiny", Status.PASS, 0.3),  # three times as long, but only 0.2 s more
        _result("errored", Status.FAIL),  # ERROR and FAIL both fail
        _result("skipped", Status.FAIL),  # a SKIP did not fail
    ]
    selection = ["same", "quarter", "tiny", "errored", "skipped", "other-shard"]
    changes = compare(before, now, selection, "prev.json")
    assert [s.variant for s in changes.slower] == ["quarter"]
    assert [c.variant for c in changes.still_failing] == ["errored"]
    assert [c.variant for c in changes.newly_failing] == ["skipped"]
    assert changes.removed == ()  # selected now, just not run here (another shard's)
    assert lines(compare(before[:1], now[:1], [], "p.json")) == ["compared with p.json: no changes"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "--compare {path}: No such file or directory; pass a report written by --json"),
        ("<testsuites/>", "{path} is not a freshboot JSON report"),
        ('{"results": [{"variant": "a", "status": "MAYBE"}]}', "{path} is not a freshboot JSON"),
    ],
)
def test_bad_previous_report_is_one_line_before_any_work(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "previous.json"
    if content is not None:
        path.write_text(content)
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp_path / "out", "--compare", path,
        "--variant", "clean",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("freshboot: error: ")
    assert message.format(path=path) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
