"""The `freshboot` command line, as data: every command, option, default and help text.

Bad input to argparse is one line naming the fix and exit status 2, as everywhere else.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

N = TypeVar("N", int, float)

DESCRIPTION = "generate fresh projects and boot them the way a user would on day one"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (naming the fix) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"freshboot: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: `freshboot new|variants|smoke|cache ...`."""
    parser = Parser(prog="freshboot", description=DESCRIPTION)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )

    new = sub.add_parser("new", help="generate one fresh project")
    new.add_argument(
        "dest", type=Path, metavar="NAME",
        help="directory to create (must not exist or be empty); the project is named after it",
    )  # fmt: skip
    new.add_argument(
        "-a",
        "--answer",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a template question (repeatable); on a terminal the rest are asked, "
        "else they take their defaults",
    )
    new.add_argument("--variant", metavar="ID", help="generate exactly this variant's answers")
    new.add_argument(
        "--defaults", action="store_true",
        help="ask nothing: unanswered questions take their defaults (always so without a terminal)",
    )  # fmt: skip
    _template_options(new)
    _skip_tasks(new)
    variants = sub.add_parser("variants", help="list the template's variants")
    _template_options(variants)
    _selection_options(variants)
    variants.add_argument("--format", choices=("table", "json", "github"), default="table")
    _horizon_options(variants)
    smoke = sub.add_parser("smoke", help="generate, install, boot and judge each variant")
    _template_options(smoke)
    _skip_tasks(smoke)
    _selection_options(smoke)
    _horizon_options(smoke)
    out = smoke.add_argument_group("output")
    out.add_argument(
        "--out",
        type=Path,
        default=Path("freshboot-out"),
        metavar="DIR",
        help="where per-variant logs go (default: ./freshboot-out)",
    )
    out.add_argument(
        "--json", dest="json_file", type=Path, metavar="FILE", help="also write the results as JSON"
    )
    out.add_argument(
        "--junit",
        dest="junit_file",
        type=Path,
        metavar="FILE",
        help="also write the results as JUnit XML",
    )
    out.add_argument(
        "--markdown",
        dest="markdown_file",
        type=Path,
        metavar="FILE",
        help="also write a Markdown summary (and to $GITHUB_STEP_SUMMARY when set)",
    )
    out.add_argument("-v", "--verbose", action="store_true", help="print per-stage timings")
    _run_report_options(smoke, out)
    smoke.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=os.cpu_count() or 1,
        metavar="N",
        help="run up to N variants at once (default: the number of CPUs)",
    )
    smoke.add_argument(
        "--services",
        choices=("auto", "require", "external"),
        default="auto",
        help="auto: start servers where installed, else SKIP; require: a missing server is an "
        "ERROR; external: take each URL from FRESHBOOT_<NAME>_URL",
    )
    smoke.add_argument(
        "--timeout",
        type=_seconds,
        default=900.0,
        metavar="S",
        help="seconds one variant may take in all (default: 900)",
    )
    smoke.add_argument(
        "--upgrade-from",
        metavar="REF",
        help="generate each variant from the template at git REF, boot it, copier update it to "
        "the working tree, and judge it again",
    )
    smoke.add_argument(
        "--with",
        dest="with_specs",
        action="append",
        default=[],
        metavar="SPEC",
        help="install this requirement or local folder over each project's own (repeatable), "
        "e.g. --with taskiq==0.14.0rc1 --with ../starlette",
    )
    smoke.add_argument(
        "--changed-since",
        metavar="REF",
        help="SKIP variants whose rendered project is byte-identical at git REF and now",
    )
    smoke.add_argument(
        "--no-cache",
        action="store_true",
        help="render and install every variant from scratch (no reuse)",
    )
    smoke.add_argument("--keep", action="store_true",
                       help="keep the generated projects and their venvs")  # fmt: skip

    _report_command(sub)
    sub.add_parser("schema", help="print the JSON Schema of smoke.yaml (for editors)")
    _init_command(sub)
    _bisect_command(sub)
    cache = sub.add_parser("cache", help="show, prune or clean freshboot's cache")
    what = cache.add_subparsers(
        dest="cache_command", required=True, metavar="ACTION", parser_class=Parser
    )
    what.add_parser("dir", help="print the cache folder ($FRESHBOOT_CACHE to move it)")
    prune = what.add_parser("prune", help="remove entries no run has used for a while")
    prune.add_argument(
        "--older-than",
        type=_days,
        default=30.0,
        metavar="DAYS",
        help="remove entries unused for more than DAYS days (default: 30)",
    )
    clean = what.add_parser("clean", help="remove every entry")
    for action in (prune, clean):
        action.add_argument(
            "--dry-run", action="store_true", help="say what would go, remove nothing"
        )
    return parser


def _number(
    convert: Callable[[str], N], ok: Callable[[N], bool], wanted: str
) -> Callable[[str], N]:
    """An argparse type: `convert` the text, and refuse it unless `ok`, naming what is wanted."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not math.isfinite(value) or abs(value) > _HUGE:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r} (at most {_HUGE:g})")
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


_HUGE = 10**9  # no count or number of seconds freshboot takes is near this; inf and nan are refused
_seconds = _number(float, lambda v: v > 0, "a positive number of seconds")
_days = _number(float, lambda v: v >= 0, "a number of days (0 or more)")
_jobs = _number(int, lambda v: v >= 1, "a whole number of at least 1")
JOBS_PER_CPU = 4  # more variants at once than this per core only thrash; -j is capped there


def cap_jobs(jobs: int) -> tuple[int, str | None]:
    """`jobs`, capped at JOBS_PER_CPU times the cores, and the note to print when capped."""
    cores = os.cpu_count() or 1
    cap = JOBS_PER_CPU * cores
    if jobs <= cap:
        return jobs, None
    return cap, f"freshboot: note: -j {jobs} capped at {cap} ({JOBS_PER_CPU} x {cores} CPUs)"


def _template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template",
        type=Path,
        default=None,
        metavar="PATH",
        help="Copier template folder with a smoke.yaml (default: the bundled one)",
    )
    parser.add_argument(
        "--trust",
        action="store_true",
        help="let the template's _tasks, _migrations and Jinja extensions run",
    )


def _skip_tasks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-tasks",
        action="store_true",
        help="do not run the template's _tasks (then they need no --trust)",
    )


def _selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-k",
        dest="expr",
        metavar="EXPR",
        help="select variants by id, e.g. -k 'queue and not redis'",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="ID",
        help="select exactly this variant id (repeatable)",
    )
    parser.add_argument("--strategy", choices=("full", "pairwise"), default="full",
                        help="every valid combination, or a pairwise covering set")  # fmt: skip
    _shard_options(parser)


def _shard(text: str) -> tuple[int, int]:
    from smoke_tests.shards import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _shard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard", type=_shard, metavar="K/N",
        help="take share K of N of the selected variants (disjoint; the N shares are the "
        "selection); 'freshboot report merge' joins the shards' --json reports",
    )  # fmt: skip
    parser.add_argument(
        "--durations", type=Path, metavar="FILE",
        help="balance --shard by the durations in this earlier --json report (else by count)",
    )  # fmt: skip


def _run_report_options(smoke: argparse.ArgumentParser, out: argparse._ArgumentGroup) -> None:
    _html_compare(out)
    smoke.add_argument(
        "-x", "--exitfirst", action="store_true",
        help="start no variant after the first FAIL (running ones finish)",
    )  # fmt: skip
    smoke.add_argument("--ff", "--failed-first", dest="failed_first", action="store_true",
                       help="run the variants that failed last time first")  # fmt: skip


def _html_compare(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--html", dest="html_file", type=Path, metavar="FILE",
                        help="also write a self-contained HTML report")  # fmt: skip
    parser.add_argument(
        "--compare", type=Path, metavar="PREVIOUS",
        help="say what changed against an earlier run's --json report",
    )  # fmt: skip


def _report_command(sub: argparse._SubParsersAction[Parser]) -> None:
    report = sub.add_parser("report", help="work with the JSON reports of earlier runs")
    what = report.add_subparsers(
        dest="report_command", required=True, metavar="ACTION", parser_class=Parser
    )
    merge = what.add_parser("merge", help="join shard reports (--json) into one run's reports")
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT",
                       help="each shard's --json report")  # fmt: skip
    merge.add_argument("--json", dest="json_file", type=Path, metavar="FILE",
                       help="write the merged results as JSON")  # fmt: skip
    merge.add_argument("--junit", dest="junit_file", type=Path, metavar="FILE",
                       help="write the merged results as JUnit XML")  # fmt: skip
    merge.add_argument(
        "--markdown", dest="markdown_file", type=Path, metavar="FILE",
        help="write a Markdown summary (and to $GITHUB_STEP_SUMMARY when set)",
    )  # fmt: skip
    _html_compare(merge)


def _init_command(sub: argparse._SubParsersAction[Parser]) -> None:
    init = sub.add_parser(
        "init", help="write a first smoke.yaml for a Copier template, then run one variant"
    )
    init.add_argument(
        "template_dir",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="TEMPLATE",
        help="the Copier template folder (default: this one)",
    )
    init.add_argument(
        "--trust",
        action="store_true",
        help="let the template's _tasks, _migrations and Jinja extensions run",
    )
    _skip_tasks(init)
    init.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the run's log goes (default: ./freshboot-out, or a temporary folder "
        "when that is inside the template)",
    )


def _bisect_command(sub: argparse._SubParsersAction[Parser]) -> None:
    bisect = sub.add_parser(
        "bisect", help="find the template commit or dependency version that broke a variant"
    )
    _template_options(bisect)
    _skip_tasks(bisect)
    bisect.add_argument("--variant", required=True, metavar="ID", help="the variant to bisect")
    bisect.add_argument("--good", required=True, metavar="REF|VERSION",
                        help="a commit (with --package: a version) where it passes")  # fmt: skip
    bisect.add_argument("--bad", metavar="REF|VERSION",
                        help="where it fails (default: HEAD; required with --package)")  # fmt: skip
    bisect.add_argument("--package", metavar="NAME",
                        help="bisect this dependency's versions, not git history")  # fmt: skip
    bisect.add_argument("--find-links", type=Path, metavar="DIR",
                        help="take --package's versions from this folder")  # fmt: skip
    bisect.add_argument("--out", type=Path, default=Path("freshboot-bisect"), metavar="DIR",
                        help="where each step's logs go (default: ./freshboot-bisect)")  # fmt: skip
    bisect.add_argument("--services", choices=("auto", "require", "external"), default="auto",
                        help="as for smoke")  # fmt: skip
    bisect.add_argument("--timeout", type=_seconds, default=900.0, metavar="S",
                        help="seconds one step may take in all (default: 900)")  # fmt: skip
    bisect.add_argument("--no-cache", action="store_true", help="render and install from scratch")


def _horizon_options(parser: argparse.ArgumentParser) -> None:
    from smoke_tests.resolution import horizon_list, python_list

    parser.add_argument(
        "--python", type=python_list, metavar="VERSIONS",
        help="interpreters to run with, e.g. 3.11,3.12,3.13 (replaces smoke.yaml's python:)",
    )  # fmt: skip
    parser.add_argument(
        "--resolution", type=horizon_list, metavar="HORIZONS",
        help="dependency horizons: highest, lowest-direct, prerelease, comma-separated "
        "(replaces smoke.yaml's resolution:)",
    )  # fmt: skip
