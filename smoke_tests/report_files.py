"""The report files of a run (--json, --junit, --markdown, --html): their folders checked
before any work, written at the end with what could not be, and the closing lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from scaffolder.errors import UsageError
from smoke_tests import out_errors, report
from smoke_tests.compare import lines as compare_lines
from smoke_tests.formats import ReportLost, write_reports
from smoke_tests.record import Run


def outputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """The report files asked for, by write_reports' keyword."""
    names = ("json_file", "junit_file", "markdown_file", "html_file")
    return {name: getattr(args, name) for name in names}


def check_folders(args: argparse.Namespace) -> None:
    """Each report file's folder exists (a missing one is a typo, not something to create)."""
    for option, path in zip(
        ("--json", "--junit", "--markdown", "--html"), outputs(args).values(), strict=True
    ):
        if path is not None and not path.parent.is_dir():
            raise UsageError(
                f"{option} {path}: folder {path.parent} does not exist; create it first"
            )


def written(run: Run, files: Mapping[str, Path | None]) -> bool:
    """Write the reports; say on stderr what --out could not take, and each report lost.
    Whether either happened (the run then ends with exit status 3: the machine's fault)."""
    failed = out_errors.failure()
    if failed is not None:
        print(f"freshboot: error: {failed}; free some space or choose another --out",
              file=sys.stderr)  # fmt: skip
    try:
        write_reports(run, **files)
    except ReportLost as exc:
        for line in exc.lines:
            print(f"freshboot: error: {line}", file=sys.stderr)
        return True
    return failed is not None


def closing(run: Run) -> None:
    """The summary line, then what -x left out and what changed since --compare's run."""
    print(report.summary(run.results))
    if run.not_run:
        print(f"stopped at the first failure (-x): {len(run.not_run)} variant(s) not run")
    if run.changes is not None:
        print("\n".join(compare_lines(run.changes)))
