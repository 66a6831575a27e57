"""The text of the first smoke.yaml `freshboot init` writes, and what it says after its run.

Every guessed key is preceded by a comment with its reason, so the maintainer can see which
ones to question; after the run, a FAIL's phase points to the one key to edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from smoke_tests.guess import PLACEHOLDER, Guess
from smoke_tests.result import Phase, Result, Status

_NO_RUN = ["python", "-c", "raise SystemExit('freshboot init: set run: in smoke.yaml')"]


def flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def smoke_yaml(guess: Guess, pins: Mapping[str, Any], tasks: str = "") -> str:
    """The smoke.yaml text: every key with the reason it was chosen, as comments; `tasks`
    names the template's own code that runs after generation (see init.tasks_said)."""
    out = _header(pins, tasks) + _install(guess) + _boot(guess) + _judge(guess)
    return "\n".join(out) + "\n"


def _header(pins: Mapping[str, Any], tasks: str) -> list[str]:
    """Where the file came from, what to know about tasks, and the pins."""
    out = [
        "# Written by `freshboot init` from the template's default variant; each guess",
        "# says why. Edit freely (docs/smoke-yaml.md); run it with `freshboot smoke`.",
    ]
    if tasks:
        out += [
            f"# {tasks}: `freshboot smoke --trust` runs them (read them",
            "# first); `--skip-tasks` (or `tasks: skip` here) tests without them.",
        ]
    if pins:
        out += [
            "# Questions without a default: answers their validators accept.",
            f"pin: {flow(dict(pins))}",
        ]
    return out


def _install(guess: Guess) -> list[str]:
    """python, workdir, install and setup."""
    why, out = guess.why, []
    if guess.python:
        out += [f"# {why['python']}", f"python: {flow(guess.python)}"]
    if guess.workdir:
        out += [f"# {why['workdir']}", f"workdir: {flow(guess.workdir)}"]
    if guess.install:
        out += [f"# {why['install']}", f"install: {flow(guess.install)}"]
    else:
        out += ["# TODO: the command that installs the project", "install: []"]
    if guess.setup:
        out += [f"# {why['setup']}", "setup:"] + [f"  - {flow(s)}" for s in guess.setup]
    return out


def _boot(guess: Guess) -> list[str]:
    """env, services, run and port."""
    why, out = guess.why, []
    if guess.env:
        if "env" in why:
            out.append(f"# {why['env']} ({PLACEHOLDER}): set real values if the app checks them")
        out += ["env:"] + [f"  {k}: {flow(v)}" for k, v in guess.env.items()]
    if guess.services:
        out += [f"# {why['services']}: a throwaway server per variant", "services:"]
        for name, env in guess.services.items():
            when = guess.service_when.get(name)
            out += [f"  {name}:"] + ([f"    when: {flow(when)}"] if when else []) + ["    env:"]
            out += [f"      {k}: {flow(v)}" for k, v in env.items()]
    if guess.run:
        out += [f"# {why['run']}", f"run: [{flow(guess.run)}]"]
    else:
        out += [
            "# TODO: the command that starts the app, on port {{ port }}",
            f"run: [{flow(_NO_RUN)}]",
        ]
    if guess.port is not None:
        out += [f"# {why['port']}: {{{{ port }}}} is then {guess.port}", f"port: {guess.port}"]
    return out


def _judge(guess: Guess) -> list[str]:
    """ready, fail_on, probes and stop."""
    return [
        f"# {guess.why['ready']}",
        f"ready: {{http: {flow(guess.ready)}, timeout: 30}}",
        "fail_on: ['Traceback \\(most recent call last\\)']",
        "probes:",
        f"  - get: {flow(guess.ready)}",
        "    expect: {status: 200}",
        "# Ctrl-C, as a user stops it; every process must be gone within 10 s",
        "stop: {signal: SIGINT, grace: 10, exit: 0}",
    ]


def summary(guess: Guess) -> list[str]:
    """What init guessed, one line per key that is not a fixed choice."""
    lines = [f"framework: {guess.framework or 'none found'}"]
    for key, value in (
        ("workdir", guess.workdir),
        ("python", guess.python),
        ("install", guess.install),
        ("setup", guess.setup),
        ("run", guess.run),
        ("port", guess.port),
        ("ready", guess.ready),
        ("services", list(guess.services) or None),
    ):
        if value:
            lines.append(f"{key}: {value if isinstance(value, str | int) else flow(value)}")
    for name, value in guess.env.items():
        if value == PLACEHOLDER:
            lines.append(f"env: {name}={PLACEHOLDER} (the app reads it with no fallback; "
                         "set a real value if it checks it)")  # fmt: skip
    return lines


def advice(result: Result, guess: Guess) -> list[str]:
    """The edit to try after a run that did not pass, from its phase and reason."""
    reason = result.reason
    if result.status is Status.PASS:
        return [
            "smoke.yaml works as written; add probes for what a user checks first, then "
            "run every variant with `freshboot smoke`"
        ]
    if result.status is Status.SKIP:
        return [f"not run here ({reason}); run `freshboot smoke` where it can run"]
    if result.status is Status.ERROR:
        return ["freshboot or this machine failed, not the project: see the log, then run "
                "`freshboot smoke` again"]  # fmt: skip
    key = re.search(r"KeyError: '([A-Z][A-Z0-9_]*)'", reason + " ".join(result.excerpt))
    if key:
        return [f"edit env: give {key.group(1)} a value the app accepts"]
    if result.phase is Phase.BOOT and re.search(r"HTTP 30\d", reason):
        return [
            f"edit ready.http and the probes: {guess.ready} redirects; use the path it "
            "redirects to (often with a trailing /)"
        ]
    tips = {
        Phase.GENERATE: "copier could not render the defaults: add answers under pin:",
        Phase.SERVICES: "edit services: (or remove a service the project does not use)",
        Phase.INSTALL: "edit install: to the command the project's README gives",
        Phase.SETUP: "edit setup: (the step named above) or remove it",
        Phase.BOOT: f"edit run: (now {flow(guess.run)}) so it starts the app on {{{{ port }}}}, "
        f"or ready.http (now {guess.ready}) to a path that answers 2xx",
        Phase.PROBE: "edit probes: to what the app answers",
        Phase.QUIET: "the app logged an error while probed: see the log, or narrow fail_on:",
        Phase.STOP: "edit stop: (signal, grace, exit) to how the app stops",
    }
    return [tips.get(result.phase, "see the log")]
