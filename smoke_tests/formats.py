"""Results as files for CI and tools: JSON, JUnit XML, and a Markdown summary."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from smoke_tests.report import summary
from smoke_tests.result import Result, Status

_ICONS = {Status.PASS: "✅", Status.FAIL: "❌", Status.ERROR: "💥", Status.SKIP: "⏭️"}


def to_json(results: Sequence[Result], interrupted: bool = False) -> str:
    """Every field of every result, plus the summary line."""
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
        }
        for r in results
    ]
    doc = {"summary": summary(results), "interrupted": interrupted, "results": rows}
    return json.dumps(doc, indent=2)


def to_junit(results: Sequence[Result], suite: str, interrupted: bool = False) -> str:
    """One testcase per variant; FAIL is a failure, ERROR an error, SKIP skipped."""
    counts = {s: sum(r.status is s for r in results) for s in Status}
    root = ET.Element("testsuites")
    node = ET.SubElement(
        root, "testsuite", name=suite, tests=str(len(results)),
        failures=str(counts[Status.FAIL]), errors=str(counts[Status.ERROR]),
        skipped=str(counts[Status.SKIP]), time=f"{sum(r.duration for r in results):.3f}",
    )  # fmt: skip
    if interrupted:
        ET.SubElement(
            ET.SubElement(node, "properties"), "property", name="interrupted", value="true"
        )
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
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_markdown(results: Sequence[Result], interrupted: bool = False) -> str:
    """A table a maintainer reads in a pull request, then the details of each failure."""
    lines = ["## freshboot smoke", ""]
    if interrupted:
        lines += ["**Interrupted**: the results below are the variants that finished.", ""]
    lines += [
        f"**{summary(results)}**",
        "",
        "| | variant | phase | time | reason |",
        "|---|---|---|---:|---|",
    ]
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
            lines += ["Reproduce:", "", "```console", r.repro, "```"]
    return "\n".join(lines) + "\n"


def _detail(r: Result) -> str:
    parts = [r.reason, *r.excerpt]
    if r.log is not None:
        parts.append(f"log: {r.log}")
    parts.append(f"repro: {r.repro}")
    return "\n".join(parts)


class ReportError(Exception):
    """A report file could not be written; the message names the option, the file and why."""


def write_reports(
    results: Sequence[Result],
    *,
    json_file: Path | None,
    junit_file: Path | None,
    markdown_file: Path | None,
    suite: str,
    interrupted: bool = False,
) -> None:
    """Write each asked-for report whole, and the Markdown summary to `$GITHUB_STEP_SUMMARY`
    too when GitHub Actions sets it."""
    markdown = to_markdown(results, interrupted)
    wanted: list[tuple[str, Path | None, Callable[[], str]]] = [
        ("--json", json_file, lambda: to_json(results, interrupted)),
        ("--junit", junit_file, lambda: to_junit(results, suite, interrupted)),
        ("--markdown", markdown_file, lambda: markdown),
    ]
    for option, path, text in wanted:
        if path is not None:
            try:
                _write(path, text())
            except OSError as exc:
                raise ReportError(f"cannot write {option} {path}: {exc.strerror or exc}") from None
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(markdown)


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
