"""`freshboot`: generate fresh projects and boot them the way a user would on day one.

Each command is a short pipeline: resolve the template, read its smoke.yaml and variants, act,
report. Bad input is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace

from rich.filesize import decimal

from scaffolder import cache
from scaffolder.cache import cache_root
from scaffolder.errors import (
    HistoryError,
    RenderError,
    SpecError,
    TemplateNotFound,
    UntrustedTemplate,
    UsageError,
    VariantError,
)  # fmt: skip
from scaffolder.model import read_template
from scaffolder.template import resolve_template
from scaffolder.variants import Variant
from smoke_tests import new_project, reaper, redact, report, resolution, shards
from smoke_tests.arguments import build_parser
from smoke_tests.bisect_command import BisectInputError, bisect
from smoke_tests.compare import compare
from smoke_tests.formats import ReportError, ReportLost, write_reports
from smoke_tests.front_door import harness
from smoke_tests.init import InitRefused
from smoke_tests.init_generator import run_init_command
from smoke_tests.report_files import check_folders, closing, outputs
from smoke_tests.schema import schema_text
from smoke_tests.smoke_command import smoke
from smoke_tests.spec import load_template_spec
from smoke_tests.variant_choice import chosen, load_report

_BAD_INPUT = (
    UsageError, SpecError, VariantError, RenderError, TemplateNotFound, ReportError, HistoryError,
    UntrustedTemplate, InitRefused, BisectInputError,
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `freshboot` console script."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the run's command, for reports
    # What killed runs left goes first; then this run keeps its own record (see front_door).
    recorded = args.command not in _UNRECORDED
    try:
        with harness(_on_sigterm, record=recorded):
            return COMMANDS[args.command](args)
    except ReportLost as exc:  # the machine's fault: a full disk, say
        for line in exc.lines:
            print(f"freshboot: error: {line}", file=sys.stderr)
        return 3
    except _BAD_INPUT as exc:
        print(f"freshboot: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `freshboot variants | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (KeyboardInterrupt, reaper.Interrupted) as exc:
        print("freshboot: interrupted", file=sys.stderr)
        return exc.status if isinstance(exc, reaper.Interrupted) else 130


_UNRECORDED = {"schema", "report"}  # commands that start nothing and make no folders


def _on_sigterm(signum: int, frame: object) -> None:
    raise reaper.Interrupted(128 + signum)


def _schema(args: argparse.Namespace) -> int:
    """`freshboot schema`: smoke.yaml's JSON Schema, for editors and CI."""
    print(schema_text(), end="")
    return 0


def _shown(variant: Variant, values: Mapping[str, object]) -> dict[str, object]:
    return {k: redact.MASK if k in variant.secrets else val for k, val in values.items()}


def _variants(args: argparse.Namespace) -> int:
    template = resolve_template(args.template)
    spec = load_template_spec(template, resolution.overrides(args))
    variants = chosen(args, read_template(template), spec)
    if args.format == "table":
        for v in variants:
            shown = _shown(v, {**v.answers, **v.axes})
            answers = " ".join(f"{k}={val}" for k, val in shown.items())
            print(redact.redact(f"{v.id:<40} {answers}"))
    elif args.format == "json":
        rows = [
            {"id": v.id, "answers": _shown(v, v.answers), "axes": dict(v.axes),
             "computed": _shown(v, v.computed)}
            for v in variants
        ]  # fmt: skip
        print(redact.redact(json.dumps(rows, indent=2, default=str)))
    else:
        print(json.dumps({"include": [{"variant": v.id} for v in variants]}))
    return 0


def _report(args: argparse.Namespace) -> int:
    """`freshboot report merge`: the shards' reports as one run's, with its exit status."""
    runs = [(str(path), load_report(path, "report")) for path in args.reports]
    try:
        run = shards.merge(runs)
    except shards.MergeError as exc:
        raise UsageError(str(exc)) from None
    if args.compare:
        previous = load_report(args.compare, "--compare")
        changes = compare(previous.results, run.results, run.selection, str(args.compare))
        run = replace(run, changes=changes)
    check_folders(args)
    for result in run.results:
        for text in report.details(result):
            print(text)
    write_reports(run, **outputs(args))
    closing(run)
    return run.exit_status


def _cache(args: argparse.Namespace) -> int:
    root = cache_root()
    if args.cache_command == "dir":
        print(root)
        return 0
    unused_for = args.older_than * 86400 if args.cache_command == "prune" else 0.0
    chosen_entries = cache.entries(root, unused_for)
    gone = cache.removal(chosen_entries)
    if not args.dry_run:
        cache.remove(chosen_entries)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {gone.entries} entries, {decimal(gone.freed)} freed, from {root}")
    return 0


COMMANDS = {
    "new": new_project.run_new, "variants": _variants, "smoke": smoke, "cache": _cache,
    "report": _report, "init": run_init_command, "schema": _schema, "bisect": bisect,
}  # fmt: skip
