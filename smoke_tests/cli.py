"""`freshboot`: generate fresh projects and boot them the way a user would on day one.

Each command is a short pipeline: resolve the template, read its smoke.yaml and variants, act,
report. Bad input is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from rich.filesize import decimal

from scaffolder import cache
from scaffolder.cache import cache_root
from scaffolder.changes import unchanged_variants
from scaffolder.history import HistoryError, template_at, upgrade_repository
from scaffolder.questions import load_questions
from scaffolder.render import RenderError, render_project
from scaffolder.selection import select
from scaffolder.template import TemplateNotFound, UntrustedTemplate, check_trust, resolve_template
from scaffolder.variants import Variant, VariantError, load_variants
from smoke_tests import reaper, redact, report, signals
from smoke_tests.arguments import build_parser
from smoke_tests.formats import ReportError, write_reports
from smoke_tests.progress import live, summary_table
from smoke_tests.result import Phase, Result, Status
from smoke_tests.runner import RunOptions, Upgrade
from smoke_tests.session import run_all, working_folder
from smoke_tests.spec import SMOKE_FILE, SmokeSpec, SpecError, load_spec


class UsageError(Exception):
    """Bad input from the command line; the message names it and the fix."""


_BAD_INPUT = (
    UsageError, SpecError, VariantError, RenderError, TemplateNotFound, ReportError, HistoryError,
    UntrustedTemplate,
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `freshboot` console script."""
    args = build_parser().parse_args(argv)
    signals.harden()  # before any thread: what they start must not inherit an ignored SIGINT
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return COMMANDS[args.command](args)
    except _BAD_INPUT as exc:
        print(f"freshboot: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `freshboot variants | head`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (KeyboardInterrupt, reaper.Interrupted) as exc:
        print("freshboot: interrupted", file=sys.stderr)
        return exc.status if isinstance(exc, reaper.Interrupted) else 130
    finally:
        reaper.kill_all(reaper.RUN_ID)
        signal.signal(signal.SIGTERM, previous)


def _on_sigterm(signum: int, frame: object) -> None:
    raise reaper.Interrupted(128 + signum)


def _chosen(args: argparse.Namespace, template: Path, spec: SmokeSpec) -> list[Variant]:
    """The variants to act on; what is worth knowing about the matrix goes to stderr, and
    from here on the answers to secret questions are masked wherever they would be shown."""
    warnings: list[str] = []
    everything = load_variants(template, spec.raw, args.strategy, warnings.append)
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


def _check_writable(out: Path, args: argparse.Namespace) -> None:
    """Fail before any work when a result could not be written afterwards."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".freshboot-write-check-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write to --out {args.out} ({exc.strerror}); choose another folder"
        ) from None
    for option, path in (
        ("--json", args.json_file),
        ("--junit", args.junit_file),
        ("--markdown", args.markdown_file),
    ):
        if path is not None and not path.parent.is_dir():
            raise UsageError(
                f"{option} {path}: folder {path.parent} does not exist; create it first"
            )


def _new(args: argparse.Namespace) -> int:
    template = resolve_template(args.template)
    check_trust(template, args.trust, args.skip_tasks)
    dest: Path = args.dest
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} already exists and is not empty; choose a new directory")
    answers: dict[str, object] = {}
    if args.variant:
        spec = load_spec(template)
        by_id = {v.id: v for v in load_variants(template, spec.raw, "full")}
        if args.variant not in by_id:
            raise UsageError(f"no variant '{args.variant}'; 'freshboot variants' lists the ids")
        answers.update(by_id[args.variant].answers)
    asked = [q.name for q in load_questions(template)[0] if not q.computed]
    for item in args.answer:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(
                f"-a {item!r}: expected KEY=VALUE, e.g. -a worker_mode=BackgroundQueue"
            )
        if key not in asked:
            known = ", ".join(asked)
            raise UsageError(f"-a {key}: the template has no question '{key}'; it asks: {known}")
        answers[key] = value
    render_project(template, answers, dest, trust=args.trust, skip_tasks=args.skip_tasks)
    print(f"Created {dest}. Next: cd {dest} and follow its README.md")
    return 0


def _shown(variant: Variant, values: Mapping[str, object]) -> dict[str, object]:
    return {k: redact.MASK if k in variant.secrets else val for k, val in values.items()}


def _variants(args: argparse.Namespace) -> int:
    template = resolve_template(args.template)
    variants = _chosen(args, template, load_spec(template))
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


def _smoke(args: argparse.Namespace) -> int:
    template = resolve_template(args.template)
    spec = load_spec(template)
    skip_tasks = args.skip_tasks or spec.skip_tasks
    check_trust(template, args.trust, skip_tasks)
    variants = _chosen(args, template, spec)
    out: Path = args.out.resolve()
    if out.is_relative_to(template.resolve()):
        raise UsageError(f"--out {args.out} is inside the template; choose a folder outside it")
    _check_writable(out, args)
    # Resolved now: copier changes the process-wide working directory while rendering.
    json_file, junit_file, markdown_file = (
        None if path is None else path.resolve()
        for path in (args.json_file, args.junit_file, args.markdown_file)
    )
    width = max(len(v.id) for v in variants)
    with ExitStack() as stack:
        workdir = stack.enter_context(working_folder(args.keep))
        options = _options(args, template, out, workdir, stack, skip_tasks)
        skipped = _unchanged(args, template, variants, stack)
        show = stack.enter_context(live(len(variants), width, args.verbose))
        for result in skipped:
            show(result)
        to_run = [v for v in variants if v.id not in {r.variant for r in skipped}]
        outcome = run_all(to_run, spec, options, args.jobs, show)
        if args.keep:
            print(f"kept generated projects in {workdir}")
    by_id = {r.variant: r for r in [*skipped, *outcome.results]}
    results = [by_id[v.id] for v in variants if v.id in by_id]
    for result in results:
        for text in report.details(result):
            print(text)
    summary_table(results)
    write_reports(
        results, json_file=json_file, junit_file=junit_file, markdown_file=markdown_file,
        suite=f"freshboot.{template.name}",
        interrupted=outcome.interrupted is not None,
    )  # fmt: skip
    if outcome.interrupted is not None:
        done = f"{len(results)} of {len(variants)} variants finished"
        print(f"interrupted: {done}; {report.summary(results)}", file=sys.stderr)
        return outcome.interrupted
    print(report.summary(results))
    return report.exit_status(results)


def _options(
    args: argparse.Namespace, template: Path, out: Path, workdir: Path, stack: ExitStack,
    skip_tasks: bool,
) -> RunOptions:  # fmt: skip
    upgrade = None
    if args.upgrade_from:
        old = stack.enter_context(template_at(template, args.upgrade_from))
        check_trust(old, args.trust, skip_tasks)  # copier update runs the old one's code too
        repo = stack.enter_context(upgrade_repository(old, template))
        baseline = load_spec(old) if (old / SMOKE_FILE).is_file() else None
        upgrade = Upgrade(repo, args.upgrade_from, baseline)
    with_specs = tuple(str(Path(w).resolve()) if Path(w).exists() else w for w in args.with_specs)
    return RunOptions(
        template, out, workdir, trust=args.trust, cache=None if args.no_cache else cache_root(),
        services=args.services, timeout=args.timeout, upgrade=upgrade, with_specs=with_specs,
        skip_tasks=args.skip_tasks,
    )  # fmt: skip


def _unchanged(
    args: argparse.Namespace, template: Path, variants: list[Variant], stack: ExitStack
) -> list[Result]:
    """SKIP results for the variants --changed-since REF cannot have changed."""
    if not args.changed_since:
        return []
    then = stack.enter_context(template_at(template, args.changed_since))
    same = unchanged_variants(template, then, variants)
    reason = f"unchanged since {args.changed_since}: the rendered project is byte-identical"
    return [Result(v.id, Status.SKIP, Phase.GENERATE, reason) for v in variants if v.id in same]


def _cache(args: argparse.Namespace) -> int:
    root = cache_root()
    if args.cache_command == "dir":
        print(root)
        return 0
    unused_for = args.older_than * 86400 if args.cache_command == "prune" else 0.0
    chosen = cache.entries(root, unused_for)
    gone = cache.removal(chosen)
    if not args.dry_run:
        cache.remove(chosen)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {gone.entries} entries, {decimal(gone.freed)} freed, from {root}")
    return 0


COMMANDS = {"new": _new, "variants": _variants, "smoke": _smoke, "cache": _cache}
