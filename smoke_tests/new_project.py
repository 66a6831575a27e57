"""`freshboot new NAME`: a project named after its folder, as `rails new NAME` or `uv init NAME`
make one, and the commands to run next.

Which question is "the name": the first of NAME_QUESTIONS the template asks (a computed one,
`when: false`, is derived by the template itself and never set). A template that asks none of
them gets NAME as its folder only.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from scaffolder.copier_jinja import Renderer
from scaffolder.errors import UsageError, VariantError
from scaffolder.model import read_template
from scaffolder.questions import Question
from scaffolder.render import render_project
from scaffolder.template import check_trust, resolve_template
from scaffolder.variants import load_variants
from smoke_tests.spec import load_spec

NAME_QUESTIONS = ("project_name", "project_slug", "name", "app_name")


def name_question(questions: Sequence[Question]) -> str | None:
    """The question that names the project (see NAME_QUESTIONS), or None."""
    asked = {q.name for q in questions if not q.computed}
    return next((name for name in NAME_QUESTIONS if name in asked), None)


def project_name(dest: Path) -> str:
    """The name a folder gives its project: its last path component (`.` is the current one)."""
    return dest.name if dest.name not in ("", ".", "..") else dest.resolve().name


def name_problem(question: Question, renderer: Renderer, value: str) -> str:
    """The template's own validator message for `value` as the name ('' when it accepts it, or
    when the validator needs other answers: copier checks it again with them)."""
    validator = question.spec.get("validator")
    if not validator:
        return ""
    try:
        message = renderer.render(validator, {question.name: value}, f"{question.name} validator")
    except VariantError:
        return ""
    return " ".join(str(message).split())


# Sections of a README that say how to get a fresh project running, in the order a user reads.
_SECTIONS = re.compile(
    r"(install(ation)?|set ?up|getting started|quick ?start|usage|start(ing)?|run(ning)?)\b",
    re.IGNORECASE,
)
_SHELL = {"", "sh", "shell", "bash", "console", "zsh"}
_MAX_STEPS = 8


def next_steps(project: Path, shown: str) -> list[str]:
    """The commands to run after generating: `cd` into the project (`shown` as the user named
    it; none when it is the current folder), then the shell lines of the code blocks in its
    README's install and start sections (headings matching `_SECTIONS`), else a pointer to its
    README."""
    readme = next((p for p in (project / n for n in ("README.md", "README")) if p.is_file()), None)
    steps = _readme_commands(readme.read_text(encoding="utf-8", errors="replace")) if readme else []
    cd = [] if project.resolve() == Path.cwd().resolve() else [f"cd {shown}"]
    if steps:
        return [*cd, *steps[:_MAX_STEPS]]
    return [*cd, f"follow its {readme.name}" if readme else "set it up as its template says"]


def _readme_commands(text: str) -> list[str]:
    commands: list[str] = []
    wanted = in_block = False
    block: list[str] = []
    for line in text.splitlines():
        fence = re.match(r"^\s*(```|~~~)\s*([\w-]*)", line)
        if fence and not in_block:
            in_block, block = True, []
            language = fence.group(2).lower()
            keep = wanted and language in _SHELL
            continue
        if fence and in_block:
            in_block = False
            if keep:
                commands.extend(_shell_lines(block))
            continue
        if in_block:
            block.append(line)
        elif heading := re.match(r"^#{1,6}\s+(.*)", line):
            wanted = bool(_SECTIONS.match(heading.group(1).strip()))
    return commands


def _shell_lines(block: list[str]) -> list[str]:
    """The commands of a code block: its `$ ` lines if it has any (a console session),
    else every line; comments dropped."""
    prompted = [line.strip()[2:] for line in block if line.strip().startswith("$ ")]
    lines = prompted or [line.strip() for line in block]
    bare = (re.sub(r"\s+#\s.*$", "", line).strip() for line in lines)
    return [line for line in bare if line and not line.startswith("#")]


def run_new(args: argparse.Namespace) -> int:
    """`freshboot new NAME`: generate one project, named after its folder, then say what next."""
    template = resolve_template(args.template)
    model = read_template(template)  # copier.yml, read once for the whole command
    if model.kind == "command":
        raise UsageError(f"{template} is a generator command (smoke.yaml generate.command); "
                         "run that command itself to make a project")  # fmt: skip
    check_trust(model, args.trust, args.skip_tasks)
    dest: Path = args.dest
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"{dest} already exists and is not empty; choose a new directory")
    answers: dict[str, object] = {}
    if args.variant:
        spec = load_spec(template)
        by_id = {v.id: v for v in load_variants(model, spec.matrix, "full")}
        if args.variant not in by_id:
            raise UsageError(f"no variant '{args.variant}'; 'freshboot variants' lists the ids")
        answers.update(by_id[args.variant].answers)
    questions, renderer = model.questions, model.renderer
    asked = [q.name for q in questions if not q.computed]
    named = name_question(questions)
    if named is not None:  # the project is named after its folder (-a still wins)
        answers[named] = project_name(dest)
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
    if named is not None and not any(a.startswith(f"{named}=") for a in args.answer):
        question = next(q for q in questions if q.name == named)
        problem = name_problem(question, renderer, str(answers[named]))
        if problem:
            raise UsageError(
                f"NAME {dest}: {problem.rstrip('.')}; choose another NAME, or name the project "
                f"apart from its folder with -a {named}=VALUE"
            )
    interactive = not args.defaults and sys.stdin.isatty() and sys.stdout.isatty()
    render_project(
        template, answers, dest, trust=args.trust, skip_tasks=args.skip_tasks,
        interactive=interactive,
    )  # fmt: skip
    print(f"Created {dest}" + (f" (project {answers[named]})" if named else "") + ". Next:")
    for step in next_steps(dest, str(dest)):
        print(f"  {step}")
    return 0
