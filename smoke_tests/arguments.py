"""The `freshboot` command line, as data: every command, option, default and help text. The
options of a run of variants come from smoke_tests.option_table, which the pytest plugin shares.

Bad input to argparse is one line naming the fix and exit status 2, as everywhere else.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from smoke_tests import option_types
from smoke_tests.option_table import (
    NO_CACHE,
    RUN_OPTIONS,
    SERVICES,
    SKIP_TASKS,
    STRATEGY,
    TRUST,
    add_arguments,
)

DESCRIPTION = "generate fresh projects and boot them the way a user would on day one"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (naming the fix) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"freshboot: error: {message} (see '{self.prog} --help')\n")


if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[Parser]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: `freshboot new|variants|smoke|report|schema|init|bisect|cache`."""
    parser = Parser(prog="freshboot", description=DESCRIPTION)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    _new_command(sub)
    _variants_command(sub)
    _smoke_command(sub)
    _report_command(sub)
    sub.add_parser("schema", help="print the JSON Schema of smoke.yaml (for editors)")
    _init_command(sub)
    _bisect_command(sub)
    _cache_command(sub)
    return parser


def _new_command(sub: Commands) -> None:
    new = sub.add_parser("new", help="generate one fresh project")
    new.add_argument(
        "dest", type=Path, metavar="NAME",
        help="directory to create (must not exist or be empty); the project is named after it",
    )  # fmt: skip
    new.add_argument(
        "-a", "--answer", action="append", default=[], metavar="KEY=VALUE",
        help="answer a template question (repeatable); on a terminal the rest are asked, "
        "else they take their defaults",
    )  # fmt: skip
    new.add_argument("--variant", metavar="ID", help="generate exactly this variant's answers")
    new.add_argument(
        "--defaults", action="store_true",
        help="ask nothing: unanswered questions take their defaults (always so without a terminal)",
    )  # fmt: skip
    _template_options(new)
    add_arguments(new, [SKIP_TASKS])


def _variants_command(sub: Commands) -> None:
    variants = sub.add_parser("variants", help="list the template's variants")
    _template_options(variants)
    _selection_options(variants)
    variants.add_argument("--format", choices=("table", "json", "github"), default="table")
    _horizon_options(variants)


def _smoke_command(sub: Commands) -> None:
    smoke = sub.add_parser("smoke", help="generate, install, boot and judge each variant")
    _template_path(smoke)
    add_arguments(smoke, RUN_OPTIONS)  # --trust, --skip-tasks, --strategy, --services...
    _selection_options(smoke, strategy=False)
    _horizon_options(smoke)
    _output_options(smoke)
    smoke.add_argument(
        "-j", "--jobs", type=option_types.jobs, default=os.cpu_count() or 1, metavar="N",
        help="run up to N variants at once (default: the number of CPUs)",
    )  # fmt: skip
    smoke.add_argument(
        "--upgrade-from", metavar="REF",
        help="generate each variant from the template at git REF, boot it, copier update it to "
        "the working tree, and judge it again",
    )  # fmt: skip
    smoke.add_argument(
        "--with", dest="with_specs", action="append", default=[], metavar="SPEC",
        help="install this requirement or local folder over each project's own (repeatable), "
        "e.g. --with taskiq==0.14.0rc1 --with ../starlette",
    )  # fmt: skip
    smoke.add_argument(
        "--changed-since", metavar="REF",
        help="SKIP variants whose rendered project is byte-identical at git REF and now",
    )  # fmt: skip
    smoke.add_argument("--keep", action="store_true",
                       help="keep the generated projects and their venvs")  # fmt: skip


def _output_options(smoke: argparse.ArgumentParser) -> None:
    out = smoke.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("freshboot-out"), metavar="DIR",
                     help="where per-variant logs go (default: ./freshboot-out)")  # fmt: skip
    out.add_argument("--json", dest="json_file", type=Path, metavar="FILE",
                     help="also write the results as JSON")  # fmt: skip
    out.add_argument("--junit", dest="junit_file", type=Path, metavar="FILE",
                     help="also write the results as JUnit XML")  # fmt: skip
    out.add_argument(
        "--markdown", dest="markdown_file", type=Path, metavar="FILE",
        help="also write a Markdown summary (and to $GITHUB_STEP_SUMMARY when set)",
    )  # fmt: skip
    out.add_argument("-v", "--verbose", action="store_true", help="print per-stage timings")
    _run_report_options(smoke, out)


def _cache_command(sub: Commands) -> None:
    cache = sub.add_parser("cache", help="show, prune or clean freshboot's cache")
    what = cache.add_subparsers(
        dest="cache_command", required=True, metavar="ACTION", parser_class=Parser
    )
    what.add_parser("dir", help="print the cache folder ($FRESHBOOT_CACHE to move it)")
    prune = what.add_parser("prune", help="remove entries no run has used for a while")
    prune.add_argument(
        "--older-than", type=option_types.days, default=30.0, metavar="DAYS",
        help="remove entries unused for more than DAYS days (default: 30)",
    )  # fmt: skip
    clean = what.add_parser("clean", help="remove every entry")
    for action in (prune, clean):
        action.add_argument(
            "--dry-run", action="store_true", help="say what would go, remove nothing"
        )


def _template_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template", type=Path, default=None, metavar="PATH",
        help="template folder with a smoke.yaml: Copier, cookiecutter, or a generator command "
        "(default: the bundled one)",
    )  # fmt: skip


def _template_options(parser: argparse.ArgumentParser) -> None:
    _template_path(parser)
    add_arguments(parser, [TRUST])


def _selection_options(parser: argparse.ArgumentParser, strategy: bool = True) -> None:
    parser.add_argument(
        "-k", dest="expr", metavar="EXPR",
        help="select variants by id, e.g. -k 'queue and not redis'",
    )  # fmt: skip
    parser.add_argument(
        "--variant", action="append", default=[], metavar="ID",
        help="select exactly this variant id (repeatable)",
    )  # fmt: skip
    if strategy:
        add_arguments(parser, [STRATEGY])
    _shard_options(parser)


def _shard_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard", type=option_types.shard, metavar="K/N",
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


def _report_command(sub: Commands) -> None:
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


def _init_command(sub: Commands) -> None:
    init = sub.add_parser(
        "init",
        help="write a first smoke.yaml for a template or a generator command, then run one variant",
    )
    init.add_argument(
        "template_dir",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="TEMPLATE",
        help="the template folder (copier.yml or cookiecutter.json; for --generate, the "
        "folder smoke.yaml goes to) (default: this one)",
    )
    init.add_argument(
        "--generate",
        metavar="COMMAND",
        help="a generator command (e.g. 'django-admin startproject mysite .'), run in an "
        "empty folder to make each project; needs --trust",
    )
    add_arguments(init, [TRUST, SKIP_TASKS])
    init.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the run's log goes (default: ./freshboot-out, or a temporary folder "
        "when that is inside the template)",
    )


def _bisect_command(sub: Commands) -> None:
    bisect = sub.add_parser(
        "bisect", help="find the template commit or dependency version that broke a variant"
    )
    _template_options(bisect)
    add_arguments(bisect, [SKIP_TASKS])
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
    add_arguments(bisect, [SERVICES, NO_CACHE])
    bisect.add_argument("--timeout", type=option_types.seconds, default=900.0, metavar="S",
                        help="seconds one step may take in all (default: 900)")  # fmt: skip


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
