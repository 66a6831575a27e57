"""The printed result: one row per figure, then the breakdowns and notes that explain them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One figure: what was compared, the absolute numbers, the figure, and its target."""

    bench: str
    what: str
    measured: str
    figure: str
    target: str = ""
    met: bool | None = None  # None: informational, no target


@dataclass
class Section:
    """A benchmark's rows, plus lines of detail (per-stage times) and notes."""

    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _cell(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "NO")


def render(sections: Sequence[Section], header: Sequence[str]) -> str:
    """A plain-text table of every row, then the details and notes of each section."""
    head = ("bench", "what", "measured (medians)", "figure: median (range, n)", "target", "met")
    rows = [head] + [
        (r.bench, r.what, r.measured, r.figure, r.target, _cell(r.met))
        for s in sections
        for r in s.rows
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [*header, ""]
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for section in sections:
        if section.details or section.notes:
            lines.append("")
        lines += section.details
        lines += [f"note: {text}" for text in section.notes]
    return "\n".join(lines)
