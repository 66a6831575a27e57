"""`freshboot init FOLDER --generate COMMAND`: a first smoke.yaml for a generator command
(`django-admin startproject mysite .`, `uv init --app`), tried at once.

As for a template (smoke_tests.init): the command is run once in an empty folder (it is
code: --trust), the project it makes read (smoke_tests.detect), a commented smoke.yaml with
`generate.command` written into FOLDER, and the one variant run with it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import tempfile
from pathlib import Path

from scaffolder.errors import UsageError
from scaffolder.model import read_template, template_kind
from smoke_tests import report, signals
from smoke_tests.detect import inspect
from smoke_tests.first_spec import smoke_yaml, summary
from smoke_tests.guess import Guess
from smoke_tests.init import check_template, out_folder, run_init, try_spec
from smoke_tests.spec import SMOKE_FILE

GENERATE_TIMEOUT = 600.0


def run_init_command(args: argparse.Namespace) -> int:
    """`freshboot init`: for a template (copier.yml, cookiecutter.json) or, with --generate,
    for a generator command."""
    if args.generate is None:
        return run_init(args)
    folder: Path = args.template_dir
    kind = template_kind(folder)
    if kind in ("copier", "cookiecutter"):
        raise UsageError(f"--generate: {folder} is a {kind} template, which makes its own "
                         "projects; drop --generate")  # fmt: skip
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; make it, then run init again")
    check_template(folder)
    command = shlex.split(args.generate)
    if not command:
        raise UsageError("--generate: give the command that makes a project")
    if not args.trust:
        raise UsageError(f"--generate runs {shlex.join(command)}; read it, then pass --trust "
                         "if you trust it")  # fmt: skip
    out = out_folder(args.out, folder.resolve())
    guess = _guess(command)
    head = [
        "# The generator that makes each project, run in an empty folder (it is code:",
        "# `freshboot smoke --trust`). List its packages in generate.install to have",
        "# freshboot install it into a virtualenv of its own.",
        f"generate: {{command: {json.dumps(command)}}}",
    ]
    (folder / SMOKE_FILE).write_text("\n".join(head) + "\n" + smoke_yaml(guess, {}), "utf-8")
    print(f"wrote {folder / SMOKE_FILE} (from what {shlex.join(command)} made)")
    for line in summary(guess):
        print(f"  {line}")
    for todo in guess.todo:
        print(f"edit: {todo}")
    if not guess.run:
        return 1
    model = read_template(folder.resolve())
    result = try_spec(model, guess, out, trust=True, skip_tasks=False, say=print)
    return report.exit_status([result])


def _guess(command: list[str]) -> Guess:
    """What the command makes in an empty folder, read as init reads a rendered template."""
    with tempfile.TemporaryDirectory(prefix="freshboot-init-") as folder:
        try:
            done = subprocess.run(
                command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=GENERATE_TIMEOUT, check=False, preexec_fn=signals.preexec,
            )  # fmt: skip
        except FileNotFoundError:
            raise UsageError(f"--generate: {command[0]} not found; install it first") from None
        except subprocess.TimeoutExpired:
            raise UsageError(f"--generate: {shlex.join(command)} did not end within "
                             f"{GENERATE_TIMEOUT:.0f} s; fix the command") from None  # fmt: skip
        if done.returncode != 0:
            said = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
            raise UsageError(f"--generate: {shlex.join(command)} exited with status "
                             f"{done.returncode}: {said[-1] if said else 'no output'}; fix the "
                             "command")  # fmt: skip
        return inspect(Path(folder), {})
