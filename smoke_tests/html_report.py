"""The HTML report: one self-contained page (no network; it works from disk and as a CI
artifact) that shows a matrix at a glance.

The page holds a grid of variants (rows, grouped by answers) against the phases of a first day
(columns), each cell coloured by status and showing its time; status, answer and text filters;
sorting; each failure's reason, log excerpt and copyable repro command; a timeline of which
variant ran when on which worker; what changed since an earlier run; and the run's context.
The page's text is written here (escaped); html_report.js draws the grid and the timeline
from the run's data, embedded as JSON; html_report.css styles it.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

from smoke_tests import compare, report
from smoke_tests.record import STAGE_PHASE, Run
from smoke_tests.result import Phase, Result, Status

_CONTEXT = (
    ("template", "template"),
    ("template_ref", "template ref"),
    ("freshboot", "freshboot"),
    ("copier", "copier"),
    ("uv", "uv"),
    ("python", "interpreter"),
    ("machine", "machine"),
    ("started_at", "started"),
    ("wall", "wall time (s)"),
    ("jobs", "jobs (-j)"),
    ("command", "command"),
)


def to_html(run: Run) -> str:
    """The whole page for `run`, as one string."""
    title = f"freshboot smoke: {run.suite}{f' (shard {run.shard})' if run.shard else ''}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{_asset("html_report.css")}</style>
</head>
<body>
{_header(run, title)}
{_changes(run)}
<section id="matrix"><h2>Variants &times; phases</h2>
<div id="controls"></div>
<table id="grid"></table>
<noscript><p>The grid and the timeline need JavaScript; the sections below do not.</p></noscript>
</section>
{_failures(run.results)}
<section id="timeline-section"><h2>Timeline</h2><p id="utilisation"></p><div id="timeline"></div>
</section>
{_context(run)}
<script type="application/json" id="freshboot-data">{_data(run)}</script>
<script>{_asset("html_report.js")}</script>
</body>
</html>
"""


def _asset(name: str) -> str:
    return resources.files("smoke_tests").joinpath(name).read_text(encoding="utf-8")


def _header(run: Run, title: str) -> str:
    counts = {s: sum(r.status is s for r in run.results) for s in Status}
    chips = "".join(
        f'<span class="chip {s.value}">{counts[s]} {s.value}</span>' for s in Status if counts[s]
    )
    notes = []
    if run.interrupted:
        notes.append("Interrupted: these are the variants that finished.")
    if run.not_run:
        notes.append(f"Stopped at the first failure (-x): {len(run.not_run)} variant(s) not run.")
    wall = run.context.get("wall")
    took = f" in {float(wall):.1f} s" if wall is not None else ""
    line = f"{len(run.results)} variants{took}: {report.summary(run.results)}"
    return f"""<header>
<h1>{escape(title)}</h1>
<p class="summary">
<span id="exit" class="exit-{run.exit_status}">exit status {run.exit_status}</span>
{chips} <span>{escape(line)}</span></p>
{"".join(f'<p class="note">{escape(n)}</p>' for n in notes)}
</header>"""


def _changes(run: Run) -> str:
    if run.changes is None:
        return ""
    head, *rest = compare.lines(run.changes)
    items = "".join(f"<li>{escape(text.strip())}</li>" for text in rest)
    return f"""<section id="changes"><h2>Changes</h2><p>{escape(head)}</p>
<ul>{items}</ul></section>"""


def _failures(results: tuple[Result, ...]) -> str:
    failed = [r for r in results if r.status in (Status.FAIL, Status.ERROR)]
    if not failed:
        return '<section id="failures"><h2>Failures</h2><p>None.</p></section>'
    parts = ['<section id="failures"><h2>Failures</h2>']
    for r in failed:
        excerpt = f"<pre>{escape(chr(10).join(r.excerpt))}</pre>" if r.excerpt else ""
        log = f'<p class="log">log: <code>{escape(str(r.log))}</code></p>' if r.log else ""
        parts.append(
            f"""<article class="failure {r.status.value}" id="fail-{escape(r.variant)}">
<h3><span class="chip {r.status.value}">{r.status.value}</span> {escape(r.variant)}
<small>in {r.phase.value}</small></h3>
<p class="reason">{escape(r.reason)}</p>{excerpt}
<p class="repro"><code>{escape(r.repro)}</code>
<button type="button" class="copy" data-copy="{escape(r.repro)}">Copy</button></p>{log}
</article>"""
        )
    parts.append("</section>")
    return "\n".join(parts)


def _context(run: Run) -> str:
    rows = [(label, run.context.get(key)) for key, label in _CONTEXT]
    if run.shard:
        rows.append(("shard", run.shard))
    if run.selection:
        rows.append(("selected variants", len(run.selection)))
    for shard in run.context.get("shards", ()):
        where = f"{shard.get('machine', '?')}, -j {shard.get('jobs', '?')}"
        rows.append((f"shard {shard.get('shard') or shard.get('report')}", where))
    cells = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"
        for label, value in rows
        if value not in (None, "")
    )
    return f'<section id="context"><h2>Context</h2><dl>{cells}</dl></section>'


def _data(run: Run) -> str:
    """The run as the script reads it; `<`, `>` and `&` escaped so no text ends the script."""
    rows = [_row(r) for r in run.results]
    reached = {p for r in run.results for p in (*_cells(r), r.phase.value)}
    phases = [p.value for p in Phase if p is not Phase.DONE]
    doc: dict[str, Any] = {
        "results": rows,
        "phases": [p for p in phases if p in reached],
        "phase_order": phases,
        "context": dict(run.context),
        "changes": None if run.changes is None else compare.to_dict(run.changes),
    }
    text = json.dumps(doc, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _row(r: Result) -> dict[str, Any]:
    return {
        "variant": r.variant,
        "status": r.status.value,
        "phase": r.phase.value,
        "reason": r.reason,
        "duration": round(r.duration, 3),
        "cells": _cells(r),
        "answers": dict(r.answers),
        "axes": dict(r.axes),
        "start": None if r.started is None else round(r.started, 3),
        "worker": r.worker,
    }


def _cells(r: Result) -> dict[str, float]:
    """Seconds per phase, from the stage timings."""
    cells: dict[str, float] = {}
    for stage, seconds in r.timings.items():
        phase = STAGE_PHASE.get(stage)
        if phase is not None:
            cells[phase.value] = round(cells.get(phase.value, 0.0) + seconds, 3)
    return cells
