"""Results as files for CI and tools: JSON (which `from_json` reads back, for `report merge`
and `--compare`), JUnit XML, a Markdown summary, and the HTML page (see html_report)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smoke_tests import compare
from smoke_tests.record import Run
from smoke_tests.report import summary
from smoke_tests.result import Phase, Result, Status

_ICONS = {Status.PASS: "✅", Status.FAIL: "❌", Status.ERROR: "💥", Status.SKIP: "⏭️"}


def to_json(run: Run) -> str:
    """Every field of every result, with what merge, compare and the HTML report need: each
    variant's answers and axes, when and on which slot it ran, the selection, the context."""
    rows = [
        {
            "variant": r.variant,
            "status": r.status.value,
            "phase": r.phase.value,
            "reason": r.reason,
            "duration": round(r.duration, 3),
            "timings": {k: round(v, 3) for k, v in r.timings.items()},
            "excerpt": list(r.excerpt),
            "log": str(r.log) if r.log else None,
            "repro": r.repro,
            "installed": list(r.installed),
            "interpreter": r.interpreter,
            "differs": list(r.differs),
            "answers": dict(r.answers),
            "axes": dict(r.axes),
            "start": None if r.started is None else round(r.started, 3),
            "end": None if r.started is None else round(r.started + r.duration, 3),
            "worker": r.worker,
        }
        for r in run.results
    ]
    doc = {
        "summary": summary(run.results),
        "interrupted": run.interrupted,
        "exit_status": run.exit_status,
        "suite": run.suite,
        "selection": list(run.selection),
        "shard": run.shard or None,
        "not_run": list(run.not_run),
        "context": dict(run.context),
        "compare": None if run.changes is None else compare.to_dict(run.changes),
        "results": rows,
    }
    return json.dumps(doc, indent=2)


def from_json(text: str, name: str) -> Run:
    """The run a `--json` report describes (reports of earlier versions too); `name` (the
    file) is what an error names."""
    try:
        doc = json.loads(text)
        results = tuple(_result(row) for row in doc["results"])
        changes = doc.get("compare")
        return Run(
            results,
            suite=str(doc.get("suite") or "freshboot"),
            selection=tuple(doc.get("selection") or ()),
            shard=str(doc.get("shard") or ""),
            not_run=tuple(doc.get("not_run") or ()),
            interrupted=bool(doc.get("interrupted")),
            context=dict(doc.get("context") or {}),
            changes=compare.from_dict(changes) if changes else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        why = f"{type(exc).__name__}: {exc}"
        raise ReportError(
            f"{name} is not a freshboot JSON report ({why}); pass a file written by --json"
        ) from None


def _result(row: dict[str, Any]) -> Result:
    start = row.get("start")
    return Result(
        variant=str(row["variant"]), status=Status(row["status"]), phase=Phase(row["phase"]),
        reason=row.get("reason", ""), duration=float(row.get("duration", 0.0)),
        timings={str(k): float(v) for k, v in row.get("timings", {}).items()},
        excerpt=tuple(row.get("excerpt", ())), log=Path(row["log"]) if row.get("log") else None,
        repro=row.get("repro", ""), installed=tuple(row.get("installed", ())),
        interpreter=str(row.get("interpreter") or ""), differs=tuple(row.get("differs") or ()),
        answers=dict(row.get("answers") or {}), axes=dict(row.get("axes") or {}),
        started=None if start is None else float(start), worker=row.get("worker"),
    )  # fmt: skip


def to_junit(run: Run) -> str:
    """One testcase per variant; FAIL is a failure, ERROR an error, SKIP skipped."""
    results, suite = run.results, run.suite
    counts = {s: sum(r.status is s for r in results) for s in Status}
    root = ET.Element("testsuites")
    node = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)),
        failures=str(counts[Status.FAIL]), errors=str(counts[Status.ERROR]),
        skipped=str(counts[Status.SKIP]), time=f"{sum(r.duration for r in results):.3f}",
    )  # fmt: skip
    properties = _properties(run)
    if properties:
        into = ET.SubElement(node, "properties")
        for key, value in properties.items():
            ET.SubElement(into, "property", name=key, value=value)
    for r in results:
        case = ET.SubElement(
            node, "testcase", classname=suite, name=r.variant, time=f"{r.duration:.3f}"
        )
        message = f"{r.phase.value}: {r.reason}"
        if r.status is Status.FAIL:
            ET.SubElement(case, "failure", message=message).text = _detail(r)
        elif r.status is Status.ERROR:
            ET.SubElement(case, "error", message=message).text = _detail(r)
        elif r.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=r.reason)
    if run.changes is not None:
        ET.SubElement(node, "system-out").text = "\n".join(compare.lines(run.changes))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(run: Run) -> dict[str, str]:
    """The run's facts as JUnit properties: interrupted, shard, not run, and the changes."""
    found = {"interrupted": "true"} if run.interrupted else {}
    if run.shard:
        found["shard"] = run.shard
    if run.not_run:
        found["not_run"] = " ".join(run.not_run)
    if run.changes is not None:
        found["compare.previous"] = run.changes.previous
        for kind in compare.KINDS:
            found[f"compare.{kind}"] = " ".join(c.variant for c in getattr(run.changes, kind))
        found["compare.slower"] = " ".join(s.variant for s in run.changes.slower)
    return found


def to_markdown(run: Run) -> str:
    """A table a maintainer reads in a pull request, then the details of each failure."""
    results = run.results
    lines = [f"## freshboot smoke{f' (shard {run.shard})' if run.shard else ''}", ""]
    if run.interrupted:
        lines += ["**Interrupted**: the results below are the variants that finished.", ""]
    lines += [f"**{summary(results)}**", ""]
    if run.not_run:
        lines += [f"**Stopped at the first failure (-x)**: {len(run.not_run)} not run.", ""]
    if run.changes is not None:
        head, *rest = compare.lines(run.changes)
        lines += [f"**{head[0].upper()}{head[1:]}**", *(f"- {t.strip()}" for t in rest), ""]
    lines += ["| | variant | phase | time | reason |", "|---|---|---|---:|---|"]
    for r in results:
        reason = r.reason.replace("|", "\\|")
        status = f"{_ICONS[r.status]} {r.status.value}"
        lines.append(
            f"| {status} | `{r.variant}` | {r.phase.value} | {r.duration:.1f}s | {reason} |"
        )
    for r in results:
        if r.status in (Status.FAIL, Status.ERROR):
            lines += [
                "",
                f"### `{r.variant}`: {r.status.value} in {r.phase.value}",
                "",
                r.reason,
                "",
            ]
            if r.excerpt:
                lines += ["```", *r.excerpt, "```", ""]
            if r.differs:  # the version diff against a PASS (smoke_tests.versions_diff)
                lines += ["Versions that differ:", "", *(f"- {d}" for d in r.differs), ""]
            lines += ["Reproduce:", "", "```console", r.repro, "```"]
    return "\n".join(lines) + "\n"


def _detail(r: Result) -> str:
    parts = [r.reason, *r.excerpt, *r.differs]
    if r.log is not None:
        parts.append(f"log: {r.log}")
    parts.append(f"repro: {r.repro}")
    return "\n".join(parts)


class ReportError(Exception):
    """A report file could not be written; the message names the option, the file and why."""


def write_reports(
    run: Run,
    *,
    json_file: Path | None = None,
    junit_file: Path | None = None,
    markdown_file: Path | None = None,
    html_file: Path | None = None,
) -> None:
    """Write each asked-for report whole, and the Markdown summary to `$GITHUB_STEP_SUMMARY`
    too when GitHub Actions sets it. One that cannot be written (a full disk) does not keep the
    others from being written; ReportLost then names each lost one."""
    from smoke_tests.html_report import to_html

    markdown = to_markdown(run)
    wanted: list[tuple[str, Path | None, Callable[[], str]]] = [
        ("--json", json_file, lambda: to_json(run)),
        ("--junit", junit_file, lambda: to_junit(run)),
        ("--markdown", markdown_file, lambda: markdown),
        ("--html", html_file, lambda: to_html(run)),
    ]
    lost = []
    for option, path, text in wanted:
        if path is not None:
            try:
                _write(path, text())
            except OSError as exc:
                lost.append(f"cannot write {option} {path}: {exc.strerror or exc}")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(markdown)
    if lost:
        raise ReportLost(lost)


class ReportLost(Exception):
    """Reports that could not be written, each as a line naming its option, file and error:
    the machine's fault (exit status 3), not bad input."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = tuple(f"{line}; that report is lost" for line in lines)


def _write(path: Path, text: str) -> None:
    """A regular file appears whole (written aside, then renamed); anything else (a pipe, a
    device) is written to directly."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as out:
            out.write(text)
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
