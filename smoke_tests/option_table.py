"""The options of a run, as one table (nox's NoxConfig pattern): `freshboot smoke` builds its
argparse options from it, the pytest plugin its `--freshboot-*` options, and both read the
values back into one typed RunConfig. An option added here reaches both front doors."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from smoke_tests import option_types

if TYPE_CHECKING:  # the plugin imports this table at every pytest start: keep it light
    from smoke_tests.services import ServiceMode

PLUGIN_PREFIX = "freshboot-"  # --trust on the command line is --freshboot-trust for pytest


@dataclass(frozen=True)
class Option:
    """One option: its long name (without dashes), what it does, and how its value is read."""

    name: str
    help: str
    flag: bool = False  # given or not (store_true); else it takes a value
    type: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def keywords(self) -> dict[str, Any]:
        """What argparse's (and pytest's) add_argument takes for it, flags aside."""
        if self.flag:
            return {"action": "store_true", "help": self.help}
        given = {"type": self.type, "default": self.default, "choices": self.choices,
                 "metavar": self.metavar, "help": self.help}  # fmt: skip
        return {key: value for key, value in given.items() if value is not None}


TRUST = Option("trust", "let the template's own code run: copier's _tasks, _migrations and Jinja "
               "extensions, cookiecutter's hooks, a generator command", True)  # fmt: skip
SKIP_TASKS = Option("skip-tasks", "do not run the template's _tasks or hooks (then they need no "
                    "--trust)", True)  # fmt: skip
STRATEGY = Option(
    "strategy", "every valid combination, or a pairwise covering set",
    default="full", choices=("full", "pairwise"),
)  # fmt: skip
SERVICES = Option(
    "services",
    "auto: start servers where installed, else SKIP; require: a missing server is an ERROR; "
    "external: take each URL from FRESHBOOT_<NAME>_URL",
    default="auto", choices=("auto", "require", "external"),
)  # fmt: skip
TIMEOUT = Option(
    "timeout", "seconds one variant may take in all (default: 900)",
    type=option_types.seconds, default=900.0, metavar="S",
)  # fmt: skip
NO_CACHE = Option("no-cache", "render and install every variant from scratch (no reuse)", True)

# What a run of variants is given, whichever front door it came through.
RUN_OPTIONS: tuple[Option, ...] = (TRUST, SKIP_TASKS, STRATEGY, SERVICES, TIMEOUT, NO_CACHE)


class _Adds(Protocol):
    def add_argument(self, *flags: str, **keywords: Any) -> Any: ...


def add_arguments(parser: _Adds, options: Sequence[Option]) -> None:
    """These options on an argparse parser (or group), as `--name`."""
    for option in options:
        parser.add_argument(f"--{option.name}", **option.keywords())


def add_pytest_options(add: Callable[..., None], options: Sequence[Option]) -> None:
    """These options through pytest's `addoption`, as `--freshboot-name`."""
    for option in options:
        add(f"--{PLUGIN_PREFIX}{option.name}", **option.keywords())


@dataclass(frozen=True)
class RunConfig:
    """The typed values of RUN_OPTIONS (and the template asked for), from either front door."""

    template: Path | None
    trust: bool = False
    skip_tasks: bool = False
    strategy: Literal["full", "pairwise"] = "full"
    services: ServiceMode = "auto"
    timeout: float = 900.0
    no_cache: bool = False

    @classmethod
    def read(cls, template: Path | None, value: Callable[[str], Any]) -> RunConfig:
        """The config whose option values `value(dest)` gives (argparse's or pytest's)."""
        return cls(template, **{option.dest: value(option.dest) for option in RUN_OPTIONS})

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunConfig:
        return cls.read(args.template, lambda dest: getattr(args, dest))
