"""Which variants a command acts on: the matrix (-k, --variant, --strategy), then this
--shard's share of it, balanced by an earlier report's --durations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scaffolder.errors import UsageError
from scaffolder.model import TemplateModel
from scaffolder.selection import select
from scaffolder.variants import Variant, load_variants
from smoke_tests import redact, shards
from smoke_tests.formats import from_json
from smoke_tests.record import Run
from smoke_tests.spec import SmokeSpec


def chosen(args: argparse.Namespace, model: TemplateModel, spec: SmokeSpec) -> list[Variant]:
    """The variants to act on (this --shard's share of them); see `selected`."""
    return share(args, selected(args, model, spec))


def selected(args: argparse.Namespace, model: TemplateModel, spec: SmokeSpec) -> list[Variant]:
    """The variants selected; what is worth knowing about the matrix goes to stderr, and
    from here on the answers to secret questions are masked wherever they would be shown."""
    warnings: list[str] = []
    everything = load_variants(model, spec.matrix, args.strategy, warnings.append)
    redact.remember_answers(everything)
    for message in warnings:
        print(redact.redact(f"freshboot: warning: {message}"), file=sys.stderr)
    variants = select(everything, args.expr)
    if not args.variant:
        return variants
    by_id = {v.id: v for v in variants}
    unknown = [i for i in args.variant if i not in by_id]
    if unknown:
        raise UsageError(f"no variant '{unknown[0]}'; 'freshboot variants' lists the ids")
    return [by_id[i] for i in args.variant]


def share(args: argparse.Namespace, variants: list[Variant]) -> list[Variant]:
    """This --shard's variants, in selection order (all of them without --shard)."""
    if args.durations is not None and args.shard is None:
        raise UsageError("--durations balances --shard; add --shard K/N or drop --durations")
    if args.shard is None:
        return variants
    times = shards.durations(load_report(args.durations, "--durations")) if args.durations else {}
    index, count = args.shard
    mine = shards.share([v.id for v in variants], index, count, times)
    return [v for v in variants if v.id in mine]


def load_report(path: Path, option: str) -> Run:
    """An earlier --json report, or one line naming the option and the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: {exc.strerror or exc}; pass a report written by --json"
        ) from None
    return from_json(text, str(path))
