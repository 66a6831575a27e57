"""`freshboot smoke`: open the template through the front door (trust, cache, timeout), run the
chosen variants, show and write what happened; the exit status says how it went."""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from scaffolder.cache import cache_root
from scaffolder.changes import unchanged_variants
from scaffolder.errors import UsageError
from scaffolder.history import template_at, upgrade_repository
from scaffolder.model import read_template
from scaffolder.template import check_trust
from scaffolder.variants import Variant
from smoke_tests import lastfailed, record, report, resolution, versions_diff
from smoke_tests.compare import compare
from smoke_tests.front_door import Opened, open_template, run_options
from smoke_tests.generator import remake
from smoke_tests.option_table import RunConfig
from smoke_tests.option_types import cap_jobs
from smoke_tests.progress import live, summary_table
from smoke_tests.record import Run, shown_answers
from smoke_tests.report_files import check_folders, closing, outputs, written
from smoke_tests.result import Phase, Result, Status
from smoke_tests.run_options import RunOptions, Upgrade
from smoke_tests.session import Outcome, run_all, working_folder
from smoke_tests.spec import SMOKE_FILE, load_spec
from smoke_tests.variant_choice import load_report, selected, share


def smoke(args: argparse.Namespace) -> int:
    """Run the chosen variants; 0 when all passed (or skipped), 1 on a FAIL or ERROR, 3 when
    a report was lost, the signal's status when interrupted."""
    args.jobs, capped = cap_jobs(args.jobs)
    if capped:
        print(capped, file=sys.stderr)
    config = RunConfig.from_args(args)
    opened = open_template(config, resolution.overrides(args))
    selection = selected(args, opened.model, opened.spec)
    variants = share(args, selection)
    previous = load_report(args.compare, "--compare") if args.compare else None
    out = _checked_out(args, opened.template)
    # Resolved now: copier changes the process-wide working directory while rendering.
    files = {key: None if path is None else path.resolve() for key, path in outputs(args).items()}
    began, started = time.monotonic(), record.now()
    results, outcome = _run(args, config, opened, out, variants)
    wall = time.monotonic() - began
    run = Run(
        tuple(results), suite=f"freshboot.{opened.template.name}",
        selection=tuple(v.id for v in selection),
        shard="{}/{}".format(*args.shard) if args.shard else "", not_run=outcome.not_run,
        interrupted=outcome.interrupted is not None,
        context=record.context(opened.template, args.jobs, args.argv, wall, started),
    )  # fmt: skip
    if previous is not None:
        changes = compare(previous.results, results, run.selection, str(args.compare))
        run = replace(run, changes=changes)
    machine = written(run, files)
    if outcome.interrupted is not None:
        done = f"{len(results)} of {len(variants)} variants finished"
        print(f"interrupted: {done}; {report.summary(results)}", file=sys.stderr)
        return outcome.interrupted
    closing(run)
    return 3 if machine else run.exit_status


def _run(
    args: argparse.Namespace, config: RunConfig, opened: Opened, out: Path,
    variants: list[Variant],
) -> tuple[list[Result], Outcome]:  # fmt: skip
    """Run the variants, showing each as it ends; their results in variant order (those
    --changed-since skipped included), each with its details printed, then the table."""
    template, spec = opened.template, opened.spec
    first = lastfailed.load(cache_root(), template) if args.failed_first else []
    if args.failed_first:
        again = sum(v.id in first for v in variants)
        print(f"--ff: {again} variant(s) that failed last time run first")
    width = max((len(v.id) for v in variants), default=0)
    with ExitStack() as stack:
        workdir = stack.enter_context(working_folder(args.keep))
        options = _options(args, config, opened, out, workdir, stack)
        skipped = _unchanged(args, opened, options, variants, stack)
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
    annotated = versions_diff.annotate(
        [*skipped, *outcome.results], versions_diff.horizon_axes(spec)
    )
    by_id = {r.variant: r for r in annotated}
    results = [by_id[v.id] for v in variants if v.id in by_id]
    for result in results:
        for text in report.details(result):
            print(text)
    summary_table(results)
    return results, outcome


def _checked_out(args: argparse.Namespace, template: Path) -> Path:
    """--out, resolved, outside the template and writable, and the report files' folders
    there: a result that could not be written afterwards fails before any work."""
    out: Path = args.out.resolve()
    if out.is_relative_to(template.resolve()):
        raise UsageError(f"--out {args.out} is inside the template; choose a folder outside it")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".freshboot-write-check-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"cannot write to --out {args.out} ({exc.strerror}); choose another folder"
        ) from None
    check_folders(args)
    return out


def _options(
    args: argparse.Namespace, config: RunConfig, opened: Opened, out: Path, workdir: Path,
    stack: ExitStack,
) -> RunOptions:  # fmt: skip
    upgrade = None
    if args.upgrade_from and opened.model.kind != "copier":
        which = "cookiecutter" if opened.model.kind == "cookiecutter" else "a generator command"
        raise UsageError(f"--upgrade-from: {which} has no upgrade path (copier update is "
                         "Copier's); drop --upgrade-from")  # fmt: skip
    if args.upgrade_from:
        old = stack.enter_context(template_at(opened.template, args.upgrade_from))
        check_trust(
            read_template(old), config.trust, opened.skip_tasks
        )  # copier update runs its code
        repo = stack.enter_context(upgrade_repository(old, opened.template))
        baseline = load_spec(old) if (old / SMOKE_FILE).is_file() else None
        upgrade = Upgrade(repo, args.upgrade_from, baseline)
    with_specs = tuple(str(Path(w).resolve()) if Path(w).exists() else w for w in args.with_specs)
    return run_options(
        config, opened, out, workdir, upgrade=upgrade, with_specs=with_specs,
        horizons=resolution.repro_words(args),
    )  # fmt: skip


def _unchanged(
    args: argparse.Namespace, opened: Opened, options: RunOptions, variants: list[Variant],
    stack: ExitStack,
) -> list[Result]:  # fmt: skip
    """SKIP results for the variants --changed-since REF cannot have changed (a generator
    command's projects are made by running it, from both template folders)."""
    if not args.changed_since:
        return []
    template = opened.template
    then = stack.enter_context(template_at(template, args.changed_since))
    if opened.model.kind == "command":
        make = remake(opened.spec, opened.model, options.cache or options.workdir)
        same = unchanged_variants(template, then, variants, make)
    else:
        same = unchanged_variants(template, then, variants)
    reason = f"unchanged since {args.changed_since}: the rendered project is byte-identical"
    return [
        Result(v.id, Status.SKIP, Phase.GENERATE, reason, answers=shown_answers(v), axes=v.axes)
        for v in variants
        if v.id in same
    ]
