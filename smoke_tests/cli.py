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
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from rich.filesize import decimal

from scaffolder import cache
from scaffolder.cache import cache_root
from scaffolder.changes import unchanged_variants
from scaffolder.errors import (
    HistoryError,
    RenderError,
    SpecError,
    TemplateNotFound,
    UntrustedTemplate,
    UsageError,
    VariantError,
)  # fmt: skip
from scaffolder.history import template_at, upgrade_repository
from scaffolder.model import TemplateModel, read_template
from scaffolder.selection import select
from scaffolder.template import check_trust, resolve_template
from scaffolder.variants import Variant, load_variants
from smoke_tests import (
    lastfailed,
    new_project,
    out_errors,
    reaper,
    record,
    redact,
    report,
    resolution,
    shards,
    signals,
    sweep,
    versions_diff,
)
from smoke_tests.arguments import build_parser, cap_jobs
from smoke_tests.bisect_command import BisectInputError, bisect
from smoke_tests.compare import compare
from smoke_tests.compare import lines as compare_lines
from smoke_tests.formats import ReportError, ReportLost, from_json, write_reports
from smoke_tests.init import InitRefused, run_init
from smoke_tests.progress import live, summary_table
from smoke_tests.record import Run, shown_answers
from smoke_tests.result import Phase, Result, Status
from smoke_tests.runner import RunOptions, Upgrade
from smoke_tests.schema import schema_text
from smoke_tests.session import run_all, working_folder
from smoke_tests.spec import SMOKE_FILE, SmokeSpec, load_spec

_BAD_INPUT = (
    UsageError, SpecError, VariantError, RenderError, TemplateNotFound, ReportError, HistoryError,
    UntrustedTemplate, InitRefused, BisectInputError,
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `freshboot` console script."""
    args = build_parser().parse_args(argv)
    signals.harden()  # before any thread: what they start must not inherit an ignored SIGINT
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the run's command, for reports
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    recorded = args.command not in _UNRECORDED
    try:
        if recorded:  # what killed runs left goes first; then this run keeps its own record
            sweep.sweep(cache_root(), cache_root())
            sweep.begin(cache_root())
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
    finally:
        reaper.kill_all(reaper.RUN_ID)
        if recorded:
            sweep.end()
        signal.signal(signal.SIGTERM, previous)


_UNRECORDED = {"schema", "report"}  # commands that start nothing and make no folders


def _on_sigterm(signum: int, frame: object) -> None:
    raise reaper.Interrupted(128 + signum)


def _chosen(args: argparse.Namespace, model: TemplateModel, spec: SmokeSpec) -> list[Variant]:
    """The variants to act on (this --shard's share of them); see `_selected`."""
    return _share(args, _selected(args, model, spec))


def _selected(args: argparse.Namespace, model: TemplateModel, spec: SmokeSpec) -> list[Variant]:
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


def _share(args: argparse.Namespace, variants: list[Variant]) -> list[Variant]:
    """This --shard's variants, in selection order (all of them without --shard)."""
    if args.durations is not None and args.shard is None:
        raise UsageError("--durations balances --shard; add --shard K/N or drop --durations")
    if args.shard is None:
        return variants
    times = shards.durations(_load_report(args.durations, "--durations")) if args.durations else {}
    index, count = args.shard
    mine = shards.share([v.id for v in variants], index, count, times)
    return [v for v in variants if v.id in mine]


def _load_report(path: Path, option: str) -> Run:
    """An earlier --json report, or one line naming the option and the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: {exc.strerror or exc}; pass a report written by --json"
        ) from None
    return from_json(text, str(path))


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
    _check_folders(args)


def _check_folders(args: argparse.Namespace) -> None:
    """Each report file's folder exists (a missing one is a typo, not something to create)."""
    for option, path in zip(
        ("--json", "--junit", "--markdown", "--html"), _outputs(args).values(), strict=True
    ):
        if path is not None and not path.parent.is_dir():
            raise UsageError(
                f"{option} {path}: folder {path.parent} does not exist; create it first"
            )


def _schema(args: argparse.Namespace) -> int:
    """`freshboot schema`: smoke.yaml's JSON Schema, for editors and CI."""
    print(schema_text(), end="")
    return 0


def _shown(variant: Variant, values: Mapping[str, object]) -> dict[str, object]:
    return {k: redact.MASK if k in variant.secrets else val for k, val in values.items()}


def _variants(args: argparse.Namespace) -> int:
    template = resolve_template(args.template)
    spec = load_spec(template, resolution.overrides(args))
    variants = _chosen(args, read_template(template), spec)
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
    args.jobs, capped = cap_jobs(args.jobs)
    if capped:
        print(capped, file=sys.stderr)
    template = resolve_template(args.template)
    spec = load_spec(template, resolution.overrides(args))
    skip_tasks = args.skip_tasks or spec.skip_tasks
    model = read_template(template)  # copier.yml, read once for the whole command
    check_trust(model, args.trust, skip_tasks)
    selection = _selected(args, model, spec)
    variants = _share(args, selection)
    previous = _load_report(args.compare, "--compare") if args.compare else None
    out: Path = args.out.resolve()
    if out.is_relative_to(template.resolve()):
        raise UsageError(f"--out {args.out} is inside the template; choose a folder outside it")
    _check_writable(out, args)
    # Resolved now: copier changes the process-wide working directory while rendering.
    files = {key: None if path is None else path.resolve() for key, path in _outputs(args).items()}
    first = lastfailed.load(cache_root(), template) if args.failed_first else []
    if args.failed_first:
        again = sum(v.id in first for v in variants)
        print(f"--ff: {again} variant(s) that failed last time run first")
    width = max((len(v.id) for v in variants), default=0)
    began, started = time.monotonic(), record.now()
    with ExitStack() as stack:
        workdir = stack.enter_context(working_folder(args.keep))
        options = replace(_options(args, template, out, workdir, stack, skip_tasks), model=model)
        skipped = _unchanged(args, template, variants, stack)
        show = stack.enter_context(live(len(variants), width, args.verbose))
        for result in skipped:
            show(result)
        to_run = [v for v in variants if v.id not in {r.variant for r in skipped}]
        outcome = run_all(
            to_run, spec, options, args.jobs, show, first=first, exitfirst=args.exitfirst
        )
        if args.keep:
            print(f"kept generated projects in {workdir}")
    lastfailed.record(cache_root(), template, outcome.results)
    by_id = {
        r.variant: r
        for r in versions_diff.annotate(
            [*skipped, *outcome.results], versions_diff.horizon_axes(spec)
        )
    }
    results = [by_id[v.id] for v in variants if v.id in by_id]
    for result in results:
        for text in report.details(result):
            print(text)
    summary_table(results)
    wall = time.monotonic() - began
    run = Run(
        tuple(results), suite=f"freshboot.{template.name}",
        selection=tuple(v.id for v in selection),
        shard="{}/{}".format(*args.shard) if args.shard else "", not_run=outcome.not_run,
        interrupted=outcome.interrupted is not None,
        context=record.context(template, args.jobs, args.argv, wall, started),
    )  # fmt: skip
    if previous is not None:
        changes = compare(previous.results, results, run.selection, str(args.compare))
        run = replace(run, changes=changes)
    machine = _written(run, files)
    if outcome.interrupted is not None:
        done = f"{len(results)} of {len(variants)} variants finished"
        print(f"interrupted: {done}; {report.summary(results)}", file=sys.stderr)
        return outcome.interrupted
    _closing(run)
    return 3 if machine else run.exit_status


def _written(run: Run, files: Mapping[str, Path | None]) -> bool:
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


def _outputs(args: argparse.Namespace) -> dict[str, Path | None]:
    names = ("json_file", "junit_file", "markdown_file", "html_file")
    return {name: getattr(args, name) for name in names}


def _closing(run: Run) -> None:
    """The summary line, then what -x left out and what changed since --compare's run."""
    print(report.summary(run.results))
    if run.not_run:
        print(f"stopped at the first failure (-x): {len(run.not_run)} variant(s) not run")
    if run.changes is not None:
        print("\n".join(compare_lines(run.changes)))


def _report(args: argparse.Namespace) -> int:
    """`freshboot report merge`: the shards' reports as one run's, with its exit status."""
    runs = [(str(path), _load_report(path, "report")) for path in args.reports]
    try:
        run = shards.merge(runs)
    except shards.MergeError as exc:
        raise UsageError(str(exc)) from None
    if args.compare:
        previous = _load_report(args.compare, "--compare")
        changes = compare(previous.results, run.results, run.selection, str(args.compare))
        run = replace(run, changes=changes)
    _check_folders(args)
    for result in run.results:
        for text in report.details(result):
            print(text)
    write_reports(run, **_outputs(args))
    _closing(run)
    return run.exit_status


def _options(
    args: argparse.Namespace, template: Path, out: Path, workdir: Path, stack: ExitStack,
    skip_tasks: bool,
) -> RunOptions:  # fmt: skip
    upgrade = None
    if args.upgrade_from:
        old = stack.enter_context(template_at(template, args.upgrade_from))
        check_trust(read_template(old), args.trust, skip_tasks)  # copier update runs its code
        repo = stack.enter_context(upgrade_repository(old, template))
        baseline = load_spec(old) if (old / SMOKE_FILE).is_file() else None
        upgrade = Upgrade(repo, args.upgrade_from, baseline)
    with_specs = tuple(str(Path(w).resolve()) if Path(w).exists() else w for w in args.with_specs)
    return RunOptions(
        template, out, workdir, trust=args.trust, cache=None if args.no_cache else cache_root(),
        services=args.services, timeout=args.timeout, upgrade=upgrade, with_specs=with_specs,
        skip_tasks=args.skip_tasks, horizons=resolution.repro_words(args),
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
    return [
        Result(v.id, Status.SKIP, Phase.GENERATE, reason, answers=shown_answers(v), axes=v.axes)
        for v in variants
        if v.id in same
    ]


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


COMMANDS = {
    "new": new_project.run_new, "variants": _variants, "smoke": _smoke, "cache": _cache,
    "report": _report, "init": run_init, "schema": _schema, "bisect": bisect,
}  # fmt: skip
