"""`--html FILE`: one self-contained page, checked in a real headless Chromium as a person
would use it: it renders, its screenshot is not blank, clicking filters hides the right rows,
the repro command copies, and the console stays free of errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import HINT, Page, page, png_colours
from tests.helpers import TEMPLATE, TINY, freshboot, require_binary, smoke_json, write_template

ROWS = "[...document.querySelectorAll('#grid tr[data-variant]')].map(t => t.dataset.variant)"
PASS_BG, FAIL_BG = (211, 242, 220), (251, 211, 208)  # the page's PASS and FAIL cell colours


@pytest.fixture(scope="module")
def tiny_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The page of a real run: one PASS and FAILs in three phases."""
    tmp = tmp_path_factory.mktemp("html")
    done = freshboot(
        "smoke", "--template", TINY, "--out", tmp / "out", "-j", "2",
        "--variant", "clean", "--variant", "error-line", "--variant", "bad-body",
        "--variant", "bad-exit", "--json", tmp / "run.json", "--html", tmp / "run.html",
        tmp=tmp / "tmp",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    return tmp / "run.html", json.loads((tmp / "run.json").read_text())


@pytest.fixture
def browser() -> Iterator[Page]:
    require_binary("chromium", HINT)
    with page() as opened:
        yield opened


def test_page_is_one_self_contained_file(tiny_page: tuple[Path, dict[str, Any]]) -> None:
    html, run = tiny_page
    text = html.read_text()
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "@import" not in text
    assert not re.search(r"url\((?!data:)", text)
    assert "<script>" in text
    assert "<style>" in text
    for result in run["results"]:
        assert result["variant"] in text
    assert "Error: QueueProviderMissing" in text  # the failure's reason, readable without JS
    assert 10_000 < len(text.encode()) < 100_000


def _shown(browser: Page) -> list[str]:
    rows: list[str] = browser.js(ROWS)
    return rows


def test_page_in_a_real_browser(
    browser: Page, tiny_page: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    html, run = tiny_page
    browser.open(html.as_uri())
    everything = [r["variant"] for r in run["results"]]
    assert sorted(_shown(browser)) == sorted(everything)
    assert browser.js("document.querySelectorAll('#timeline rect.bar').length") == 4
    assert browser.js("document.getElementById('exit').textContent") == "exit status 1"

    colours = png_colours(browser.screenshot(tmp_path / "page.png"))
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert colours.get(PASS_BG, 0) > 100  # a green PASS cell
    assert colours.get(FAIL_BG, 0) > 100  # a red FAIL cell

    browser.click("#controls button.status.FAIL")  # hide the failures
    assert _shown(browser) == ["clean"]
    browser.click("#controls button.status.FAIL")  # and show them again
    browser.click('#controls button[data-param="behaviour=bad-body"]')
    assert _shown(browser) == ["bad-body"]
    browser.click('#controls button[data-param="behaviour=bad-body"]')
    browser.type("#query", "behaviour=bad-exit")
    assert _shown(browser) == ["bad-exit"]
    assert browser.js("document.getElementById('shown').textContent") == "1 of 4 variants shown"

    repro = next(r["repro"] for r in run["results"] if r["variant"] == "error-line")
    browser.click("#fail-error-line button.copy")
    button = "document.querySelector('#fail-error-line button.copy')"
    browser.wait_until(f"{button}.textContent == 'Copied'")
    assert browser.js("navigator.clipboard.readText()") == repro
    assert browser.errors == []


def _matrix(tmp: Path) -> Path:
    """A report of the bundled template's whole matrix (verdicts made up: a FAIL for every
    BackgroundQueue variant on Postgres, an ERROR and a SKIP), run on two workers."""
    done = freshboot("variants", "--template", TEMPLATE, "--format", "json")
    results, clock = [], [0.0, 0.0]
    for n, row in enumerate(json.loads(done.stdout)):
        queue = row["answers"]["worker_mode"] == "BackgroundQueue"
        status = "FAIL" if queue and row["answers"]["database"] == "postgres" else "PASS"
        status = {5: "ERROR", 6: "SKIP"}.get(n, status)
        worker = clock.index(min(clock))
        duration = 3.0 + n % 4
        results.append({
            "variant": row["id"], "status": status, "duration": duration,
            "phase": {"FAIL": "probe", "ERROR": "services", "SKIP": "services"}.get(status, "done"),
            "reason": f"{status} reason" if status != "PASS" else "",
            "timings": {"render": 0.5, "environment": 1.5, "boot": 0.5, "checks": 0.2},
            "answers": row["answers"], "axes": row["axes"], "worker": worker,
            "start": clock[worker], "repro": f"freshboot smoke --variant {row['id']}",
        })  # fmt: skip
        clock[worker] += duration
    path = tmp / "matrix.json"
    path.write_text(json.dumps({"results": results, "context": {"jobs": 2}}))
    out = tmp / "matrix.html"
    done = freshboot("report", "merge", path, "--html", out)
    assert done.returncode == 1, done.stderr
    return out


def test_matrix_page_groups_sorts_and_filters_by_answer(browser: Page, tmp_path: Path) -> None:
    browser.open(_matrix(tmp_path).as_uri())
    rows = json.loads((tmp_path / "matrix.json").read_text())["results"]
    assert len(_shown(browser)) == len(rows) == 38
    groups = browser.js("[...document.querySelectorAll('#grid th.group')].map(t => t.textContent)")
    assert len(groups) == len({json.dumps(r["answers"], sort_keys=True) for r in rows})
    assert any("worker_mode=BackgroundQueue" in g and "database=postgres" in g for g in groups)

    browser.click('#controls button[data-param="worker_mode=BackgroundQueue"]')
    queue = [r["variant"] for r in rows if r["answers"]["worker_mode"] == "BackgroundQueue"]
    assert sorted(_shown(browser)) == sorted(queue)
    browser.click("#controls button.status.PASS")
    failing = [r["variant"] for r in rows if r["variant"] in queue and r["status"] != "PASS"]
    assert sorted(_shown(browser)) == sorted(failing)
    assert browser.js("document.querySelectorAll('#timeline rect.bar:not(.dim)').length") == len(
        failing
    )
    browser.click("#controls button.status.PASS")
    browser.click('#controls button[data-param="worker_mode=BackgroundQueue"]')

    browser.click("#group")  # a person picks "no grouping", next after "answers"
    browser.press("ArrowDown")
    browser.press("Enter")
    assert browser.js("document.getElementById('group').value") == "none"
    assert browser.js("document.querySelectorAll('#grid th.group').length") == 0
    browser.click('#grid th[data-sort="total"]')
    totals = [r["duration"] for r in rows]
    by_time = browser.js(
        "[...document.querySelectorAll('#grid tr[data-variant] td.total')].map(t => t.textContent)"
    )
    assert by_time == [f"{t:.2f}s" for t in sorted(totals)]
    assert browser.js("document.querySelectorAll('#timeline rect.bar').length") == len(rows)
    browser.screenshot(tmp_path / "matrix.png", full=True)
    assert browser.errors == []


def test_the_console_check_sees_errors(browser: Page, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<script>console.error('visible problem'); undefinedFunction();</script>")
    browser.open(broken.as_uri())
    assert any("visible problem" in e for e in browser.errors)
    assert any("undefinedFunction" in e for e in browser.errors)


def test_a_secret_answer_is_masked_in_the_page_and_the_json(tmp_path: Path) -> None:
    from tests.test_secrets import APP, SECRET, SMOKE, SMOKE_YML

    template = write_template(tmp_path / "tpl", SMOKE_YML, SMOKE, {"app.py": APP})
    html = tmp_path / "r.html"
    _, results = smoke_json(template, tmp_path, "--html", str(html))
    assert SECRET not in html.read_text()
    assert SECRET not in (tmp_path / "results.json").read_text()
    assert "***" in json.dumps(results["default"]["answers"])
