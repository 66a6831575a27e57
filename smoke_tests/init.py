"""`freshboot init`: a first smoke.yaml for a Copier template that has none, tried at once.

A maintainer's first hour with freshboot is writing smoke.yaml. `init` renders the template's
default variant (pins for questions without defaults), reads the project it makes
(smoke_tests.detect), writes a commented smoke.yaml next to copier.yml, runs that one variant,
and says what passed or exactly which key to edit.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scaffolder.errors import RenderError, UsageError, VariantError
from scaffolder.matrix import Matrix
from scaffolder.model import TemplateModel, read_template, template_kind
from scaffolder.render import render_project
from scaffolder.template import check_trust, resolve_template
from scaffolder.variants import Variant, load_variants
from smoke_tests import report
from smoke_tests.detect import inspect, services_in
from smoke_tests.first_spec import advice, flow, smoke_yaml, summary
from smoke_tests.guess import Guess
from smoke_tests.result import Result
from smoke_tests.spec import SMOKE_FILE

_NO_DEFAULT = re.compile(r"question '(\w+)' in copier\.yml has no default")
_MAX_PINS = 20
_MAX_RENDERS = 16  # variants rendered to find the services each needs


class InitRefused(Exception):
    """The template cannot get a first smoke.yaml from init; the message says why."""


def check_template(template: Path) -> None:
    """Refuse before any work: init never overwrites a smoke.yaml."""
    if (template / SMOKE_FILE).exists():
        raise InitRefused(f"{template / SMOKE_FILE}: smoke.yaml exists; init never overwrites it")


def _candidates(name: str, kind: str) -> list[Any]:
    """Answers to try for a free-text question without a default, likeliest first."""
    if kind in ("int", "float"):
        return [1, 8000, 0, 10]
    words = ["smoke@example.com"] if "mail" in name else []
    words += ["https://example.com"] if "url" in name or "host" in name else []
    words += ["0.1.0"] if "version" in name else []
    return [
        *words,
        "smoke_app",
        "smoke-app",
        "Smoke App",
        "smoke",
        "smoke@example.com",
        "https://example.com",
        "0.1.0",
        "1",
    ]


def find_pins(model: TemplateModel) -> tuple[dict[str, Any], list[Variant]]:
    """Answers for the questions without defaults that pass their validators (copier's own
    checks, through scaffolder.variants), and the variants they give."""
    pins: dict[str, Any] = {}
    types = {q.name: str(q.spec.get("type", "str")) for q in model.questions}
    for _ in range(_MAX_PINS):
        try:
            return pins, _variants(model, Matrix(pin=dict(pins)))
        except VariantError as exc:
            missing = _NO_DEFAULT.search(str(exc))
            if missing is None:
                raise
            name = missing.group(1)
        for value in _candidates(name, types.get(name, "str")):
            pins[name] = value
            try:
                _variants(model, Matrix(pin=dict(pins)))
                break
            except VariantError as exc:
                if _NO_DEFAULT.search(str(exc)):
                    break  # this one passes; the next question without a default is next
        else:
            raise InitRefused(
                f"copier.yml question {name!r} has no default and init found no "
                "answer its validator accepts; give it a default"
            )
    raise InitRefused("too many questions without defaults; give them defaults in copier.yml")


def _variants(model: TemplateModel, matrix: Matrix) -> list[Variant]:
    try:
        return load_variants(model, matrix)
    except VariantError as exc:
        if "the full matrix has" not in str(exc):
            raise
        return load_variants(model, matrix, "pairwise")


def default_variant(variants: list[Variant]) -> Variant:
    """The variant a user gets by accepting every default."""
    return next((v for v in variants if v.id == "default"), variants[0])


def guess_spec(template: Path, variants: list[Variant], trust: bool) -> Guess:
    """Render the default variant (tasks skipped: the files are what matters) and read it; the
    services come from every variant (up to a limit), each with a `when` for those needing it."""
    default = default_variant(variants)
    others = [v for v in variants if v is not default][:_MAX_RENDERS]
    with tempfile.TemporaryDirectory(prefix="freshboot-init-") as folder:

        def render(variant: Variant) -> Path:
            project = Path(folder) / variant.id
            return render_project(template, variant.answers, project, trust=trust, skip_tasks=True)

        values = {**default.computed, **default.answers}
        guess = inspect(render(default), _used(template, values))
        needs = {default.id: dict(guess.services)}
        for variant in others:
            try:
                needs[variant.id] = services_in(render(variant))
            except RenderError:  # `freshboot smoke` reports it in that variant's generate phase
                needs[variant.id] = {}
    for name in sorted({n for found in needs.values() for n in found}):
        env: dict[str, str] = {}
        for found in needs.values():
            env.update(found.get(name, {}))
        guess.services[name] = env
        users = [v for v in [default, *others] if name in needs[v.id]]
        when = _when(users, [v for v in [default, *others] if name not in needs[v.id]])
        if when:
            guess.service_when[name] = when
    if guess.services:
        guess.why["services"] = "from the dependencies (" + ", ".join(guess.services) + ")"
    return guess


def _used(template: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the template writes somewhere (`{{ name }}` in a file or its path): only
    those may be written back as `{{ name }}` in a command."""
    text = []
    for path in template.rglob("*"):
        if ".git" not in path.parts and path.is_file() and path.stat().st_size < 1_000_000:
            text += [str(path.relative_to(template)), path.read_text(errors="replace")]
    whole = "\n".join(text)
    return {
        k: v for k, v in values.items() if re.search(r"\{\{[^}]*\b" + re.escape(k) + r"\b", whole)
    }


def _when(users: list[Variant], others: list[Variant]) -> str:
    """A condition on one asked question that holds for `users` and for none of `others`."""
    if not others:
        return ""
    for name in users[0].answers:
        if name in users[0].secrets:
            continue
        wanted = {flow(v.answers.get(name)) for v in users}
        if wanted.isdisjoint(flow(v.answers.get(name)) for v in others):
            values = sorted(json.loads(w) for w in wanted if w != "null")
            if len(values) == len(wanted):
                return f"{name} == {values[0]!r}" if len(values) == 1 else f"{name} in {values!r}"
    return ""


def tasks_said(model: TemplateModel) -> str:
    """How init names the template's own code that runs after generation ('' if none)."""
    if model.kind == "copier":
        return "copier.yml has _tasks" if model.tasks else ""
    return f"the template has hooks ({', '.join(model.tasks)})" if model.tasks else ""


def write_first_spec(model: TemplateModel, trust: bool, say: Callable[[str], None]) -> Guess:
    """Write the first smoke.yaml for the template and return the guesses it holds."""
    template = model.root
    check_template(template)
    pins, variants = find_pins(model)
    guess = guess_spec(template, variants, trust)
    text = smoke_yaml(guess, pins, tasks_said(model))
    (template / SMOKE_FILE).write_text(text, encoding="utf-8")
    say(f"wrote {template / SMOKE_FILE} (from variant '{default_variant(variants).id}')")
    for line in summary(guess):
        say(f"  {line}")
    for name, value in pins.items():
        say(f"  pin: {name}={value!r} (no default in copier.yml; edit pin: to a real answer)")
    return guess


def try_spec(
    model: TemplateModel,
    guess: Guess,
    out: Path,
    *,
    trust: bool,
    skip_tasks: bool,
    say: Callable[[str], None],
) -> Result:
    """Run the default variant with the new smoke.yaml, as `freshboot smoke --variant` would,
    and say the verdict and, when it did not pass, the edit to try."""
    from scaffolder.cache import cache_root
    from smoke_tests import report
    from smoke_tests.runner import RunOptions, run_variant
    from smoke_tests.session import working_folder
    from smoke_tests.spec import load_spec

    template, spec = model.root, load_spec(model.root)
    variant = default_variant(_variants(model, spec.matrix))
    flags = " --trust" if trust else " --skip-tasks" if skip_tasks else ""
    say(
        f"running variant '{variant.id}' (freshboot smoke --template {template} "
        f"--variant {variant.id}{flags}) ..."
    )
    with working_folder(keep=False) as workdir:
        options = RunOptions(
            template,
            out,
            workdir,
            trust=trust,
            cache=cache_root(),
            skip_tasks=skip_tasks,
            model=model,
        )
        result = run_variant(variant, spec, options)
    say(report.line(result))
    for text in report.details(result):
        say(text)
    for text in advice(result, guess):
        say(f"next: {text}")
    return result


def out_folder(given: Path | None, template: Path) -> Path:
    """Where init's run writes its log: --out, else ./freshboot-out unless that is inside the
    template (then a temporary folder); an --out inside the template is refused."""
    out = (given or Path("freshboot-out")).resolve()
    if out.is_relative_to(template) and given is None:  # run from inside the template
        out = Path(tempfile.gettempdir()).resolve() / f"freshboot-init-{template.name}"
    if out.is_relative_to(template):
        raise UsageError(f"--out {out} is inside the template; pass --out DIR outside it")
    return out


def run_init(args: argparse.Namespace) -> int:
    """`freshboot init [TEMPLATE]`: write a first smoke.yaml, run the default variant with it."""
    folder: Path = args.template_dir
    if template_kind(folder) not in ("copier", "cookiecutter"):
        raise UsageError(f"{folder} is not a template (no copier.yml or cookiecutter.json); "
                         "name its folder, or pass --generate 'COMMAND' for a generator "
                         "command")  # fmt: skip
    template = resolve_template(folder)
    model = read_template(template)  # copier.yml, read once for the whole command
    tasks = model.has_tasks
    skip_tasks = args.skip_tasks or (tasks and not args.trust)
    check_trust(model, args.trust, skip_tasks)  # before writing anything
    out = out_folder(args.out, template)
    guess = write_first_spec(model, args.trust, print)
    if tasks and args.trust:
        print(f"note: {tasks_said(model)}; they ran (--trust)")
    elif tasks:
        print(
            f"note: {tasks_said(model)}; this run skipped them (--skip-tasks). Read them, then "
            "run `freshboot smoke --trust`, or keep `--skip-tasks` (or `tasks: skip` in smoke.yaml)"
        )
    for todo in guess.todo:
        print(f"edit: {todo}")
    if not guess.run:
        return 1
    result = try_spec(model, guess, out, trust=args.trust, skip_tasks=skip_tasks, say=print)
    return report.exit_status([result])
