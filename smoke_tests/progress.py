"""Showing a run as it goes: on a terminal a live progress bar with each result printed above
it and a summary table at the end; elsewhere (CI logs, pipes) plain lines only."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from smoke_tests import report
from smoke_tests.result import Result, Status

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "bold magenta",
    Status.SKIP: "yellow",
}


@contextmanager
def live(
    total: int, width: int, verbose: bool, stream: TextIO | None = None
) -> Iterator[Callable[[Result], None]]:
    """Yield the callback that shows one result as it ends."""
    out = stream or sys.stdout

    def lines(result: Result) -> list[str]:
        text = [report.line(result, width)]
        return [*text, f"      {report.timing(result)}"] if verbose else text

    if not out.isatty():

        def plain(result: Result) -> None:
            for text in lines(result):
                print(text, file=out, flush=True)

        yield plain
        return

    from rich.console import Console  # only a terminal needs rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    console = Console(file=out, highlight=False)
    counts: Counter[Status] = Counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=total)

        def fancy(result: Result) -> None:
            for text in lines(result):
                console.print(Text(text, style=_STYLE[result.status]))
            counts[result.status] += 1
            tally = ", ".join(f"{counts[s]} {s.value.lower()}" for s in Status if counts[s])
            progress.update(task, advance=1, description=tally)

        yield fancy


def summary_table(results: Sequence[Result], stream: TextIO | None = None) -> None:
    """On a terminal, a table of every variant; elsewhere nothing (the lines said it all)."""
    out = stream or sys.stdout
    if not out.isatty() or not results:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="freshboot smoke", title_justify="left")
    for name, justify in (
        ("variant", "left"),
        ("status", "left"),
        ("phase", "left"),
        ("time", "right"),
        ("reason", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        style = _STYLE[r.status]
        table.add_row(
            r.variant,
            f"[{style}]{r.status.value}[/]",
            r.phase.value,
            f"{r.duration:.1f}s",
            r.reason,
        )
    Console(file=out).print(table)
