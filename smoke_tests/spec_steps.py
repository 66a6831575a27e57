"""smoke.yaml's commands and steps (`install`, `setup`, `run`): a command with the folder it
runs in, a set-up step's `when`, and `exits` for one that must end by itself (judged by
smoke_tests.exits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smoke_tests.spec_checks import Command, Where

EXITS_KEYS = frozenset({"status", "within", "output"})
DEFAULT_WITHIN = 10.0


@dataclass(frozen=True)
class Exits:
    """What a command that ends by itself must do: exit with `status` within `within` seconds,
    having printed a line `output` finds (re.search; None: any output will do)."""

    status: int = 0
    within: float = DEFAULT_WITHIN
    output: re.Pattern[str] | None = None

    def expected(self) -> str:
        """`status 0 within 10 s, printing a line matching 'no worker'`, for reasons."""
        text = f"status {self.status} within {self.within:g} s"
        if self.output is not None:
            text += f", printing a line matching {self.output.pattern!r}"
        return text


def parse_exits(at: Where, raw: Any, where: str) -> Exits:
    """`exits: {status: 0, within: 10, output: PATTERN}`, each key optional."""
    opts = at.mapping(raw or {}, where)
    at.known(opts, set(EXITS_KEYS), where)
    status = opts.get("status", 0)
    if not isinstance(status, int) or isinstance(status, bool) or not -64 <= status <= 255:
        raise at.bad(f"{where}.status", f"expected an exit status (0-255), got {status!r}")
    within = at.number(opts.get("within", DEFAULT_WITHIN), f"{where}.within")
    if within <= 0:
        raise at.bad(f"{where}.within", "expected a positive number of seconds, e.g. 10")
    output = at.regex(opts["output"], f"{where}.output") if "output" in opts else None
    return Exits(status=status, within=within, output=output)


@dataclass(frozen=True)
class Step:
    """A command of `install`, `setup` or `run`, and the folder it runs in: `cwd` is relative
    to the project root (None: smoke.yaml's `workdir`, else the root). A set-up step runs only
    when `when` holds; a run command or set-up step with `exits` must end by itself."""

    command: Command
    when: str | None = None
    cwd: str | None = None
    exits: Exits | None = None


COMMAND_KEYS = frozenset({"command", "cwd"})
RUN_KEYS = frozenset({"command", "cwd", "exits"})
STEP_KEYS = frozenset({"command", "cwd", "when", "exits"})


def steps(at: Where, value: Any, where: str, keys: frozenset[str] = STEP_KEYS) -> tuple[Step, ...]:
    """Commands, each a list or `{command: [...], cwd: DIR}`, in setup also with `when: EXPR`
    (as copier's own `_tasks`); a single command may be given as a flat list."""
    items = at.list(value, where)
    if items and not isinstance(items[0], list | dict):
        items = [items]
    steps = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            steps.append(Step(at.command(item, f"{where}[{i}]")))
            continue
        opts = at.mapping(item, f"{where}[{i}]")
        at.known(opts, set(keys), f"{where}[{i}]")
        if "command" not in opts:
            raise at.bad(f"{where}[{i}]", "'command' is missing, e.g. command: [app, db, migrate]")
        when, cwd = opts.get("when"), opts.get("cwd")
        steps.append(
            Step(
                at.command(opts["command"], f"{where}[{i}].command"),
                None if when is None else at.string(when, f"{where}[{i}].when"),
                None if cwd is None else at.folder(cwd, f"{where}[{i}].cwd"),
                parse_exits(at, opts["exits"], f"{where}[{i}].exits") if "exits" in opts else None,
            )
        )
    return tuple(steps)
