"""`freshboot init`: a first smoke.yaml for a Copier template that has none, tried at once.

A maintainer's first hour with freshboot is writing smoke.yaml. `init` renders the template's
default variant (pins for questions without defaults), reads the project it makes
(smoke_tests.detect), writes a commented smoke.yaml next to copier.yml, runs that one variant,
and says what passed or exactly which key to edit.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scaffolder.questions import load_config, load_questions
from scaffolder.render import render_project
from scaffolder.variants import Variant, VariantError, load_variants
from smoke_tests.detect import PLACEHOLDER, Guess, inspect, services_in
from smoke_tests.result import Phase, Result, Status
from smoke_tests.spec import SMOKE_FILE

_NO_DEFAULT = re.compile(r"question '(\w+)' in copier\.yml has no default")
_MAX_PINS = 20
_NO_RUN = ["python", "-c", "raise SystemExit('freshboot init: set run: in smoke.yaml')"]
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


def find_pins(template: Path) -> tuple[dict[str, Any], list[Variant]]:
    """Answers for the questions without defaults that pass their validators (copier's own
    checks, through scaffolder.variants), and the variants they give."""
    pins: dict[str, Any] = {}
    types = {q.name: str(q.spec.get("type", "str")) for q in load_questions(template)[0]}
    for _ in range(_MAX_PINS):
        try:
            return pins, _variants(template, {"pin": pins} if pins else {})
        except VariantError as exc:
            missing = _NO_DEFAULT.search(str(exc))
            if missing is None:
                raise
            name = missing.group(1)
        for value in _candidates(name, types.get(name, "str")):
            pins[name] = value
            try:
                _variants(template, {"pin": pins})
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


def _variants(template: Path, smoke: Mapping[str, Any]) -> list[Variant]:
    try:
        return load_variants(template, smoke)
    except VariantError as exc:
        if "the full matrix has" not in str(exc):
            raise
        return load_variants(template, smoke, "pairwise")


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
        needs = {default.id: dict(guess.services)} | {v.id: services_in(render(v)) for v in others}
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
        wanted = {_flow(v.answers.get(name)) for v in users}
        if wanted.isdisjoint(_flow(v.answers.get(name)) for v in others):
            values = sorted(json.loads(w) for w in wanted if w != "null")
            if len(values) == len(wanted):
                return f"{name} == {values[0]!r}" if len(values) == 1 else f"{name} in {values!r}"
    return ""


def _flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def smoke_yaml(guess: Guess, pins: Mapping[str, Any], has_tasks: bool) -> str:
    """The smoke.yaml text: every key with the reason it was chosen, as comments."""
    why = guess.why
    out = [
        "# Written by `freshboot init` from the template's default variant; each guess",
        "# says why. Edit freely (docs/smoke-yaml.md); run it with `freshboot smoke`.",
    ]
    if has_tasks:
        out += [
            "# copier.yml has _tasks: `freshboot smoke --trust` runs them (read them",
            "# first); `--skip-tasks` (or `tasks: skip` here) tests without them.",
        ]
    if pins:
        out += [
            "# Questions without a default: answers their validators accept.",
            f"pin: {_flow(dict(pins))}",
        ]
    if guess.python:
        out += [f"# {why['python']}", f"python: {_flow(guess.python)}"]
    if guess.workdir:
        out += [f"# {why['workdir']}", f"workdir: {_flow(guess.workdir)}"]
    if guess.install:
        out += [f"# {why['install']}", f"install: {_flow(guess.install)}"]
    else:
        out += ["# TODO: the command that installs the project", "install: []"]
    if guess.setup:
        out += [f"# {why['setup']}", "setup:"] + [f"  - {_flow(s)}" for s in guess.setup]
    if guess.env:
        if "env" in why:
            out.append(f"# {why['env']} ({PLACEHOLDER}): set real values if the app checks them")
        out += ["env:"] + [f"  {k}: {_flow(v)}" for k, v in guess.env.items()]
    if guess.services:
        out += [f"# {why['services']}: a throwaway server per variant", "services:"]
        for name, env in guess.services.items():
            when = guess.service_when.get(name)
            out += [f"  {name}:"] + ([f"    when: {_flow(when)}"] if when else []) + ["    env:"]
            out += [f"      {k}: {_flow(v)}" for k, v in env.items()]
    if guess.run:
        out += [f"# {why['run']}", f"run: [{_flow(guess.run)}]"]
    else:
        out += [
            "# TODO: the command that starts the app, on port {{ port }}",
            f"run: [{_flow(_NO_RUN)}]",
        ]
    if guess.port is not None:
        out += [f"# {why['port']}: {{{{ port }}}} is then {guess.port}", f"port: {guess.port}"]
    out += [
        f"# {why['ready']}",
        f"ready: {{http: {_flow(guess.ready)}, timeout: 30}}",
        "fail_on: ['Traceback \\(most recent call last\\)']",
        "probes:",
        f"  - get: {_flow(guess.ready)}",
        "    expect: {status: 200}",
        "# Ctrl-C, as a user stops it; every process must be gone within 10 s",
        "stop: {signal: SIGINT, grace: 10, exit: 0}",
    ]
    return "\n".join(out) + "\n"


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
            lines.append(f"{key}: {value if isinstance(value, str | int) else _flow(value)}")
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
        Phase.BOOT: f"edit run: (now {_flow(guess.run)}) so it starts the app on {{{{ port }}}}, "
        f"or ready.http (now {guess.ready}) to a path that answers 2xx",
        Phase.PROBE: "edit probes: to what the app answers",
        Phase.QUIET: "the app logged an error while probed: see the log, or narrow fail_on:",
        Phase.STOP: "edit stop: (signal, grace, exit) to how the app stops",
    }
    return [tips.get(result.phase, "see the log")]


def has_tasks(template: Path) -> bool:
    """copier.yml has `_tasks`: they run only with --trust, or are skipped."""
    return bool(load_config(template).get("_tasks"))


def write_first_spec(template: Path, trust: bool, say: Callable[[str], None]) -> Guess:
    """Write the first smoke.yaml for `template` and return the guesses it holds."""
    check_template(template)
    pins, variants = find_pins(template)
    guess = guess_spec(template, variants, trust)
    text = smoke_yaml(guess, pins, has_tasks(template))
    (template / SMOKE_FILE).write_text(text, encoding="utf-8")
    say(f"wrote {template / SMOKE_FILE} (from variant '{default_variant(variants).id}')")
    for line in summary(guess):
        say(f"  {line}")
    for name, value in pins.items():
        say(f"  pin: {name}={value!r} (no default in copier.yml; edit pin: to a real answer)")
    return guess


def try_spec(
    template: Path,
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

    spec = load_spec(template)
    variant = default_variant(_variants(template, spec.raw))
    flags = " --trust" if trust else " --skip-tasks" if skip_tasks else ""
    say(
        f"running variant '{variant.id}' (freshboot smoke --template {template} "
        f"--variant {variant.id}{flags}) ..."
    )
    with working_folder(keep=False) as workdir:
        options = RunOptions(
            template, out, workdir, trust=trust, cache=cache_root(), skip_tasks=skip_tasks
        )
        result = run_variant(variant, spec, options)
    say(report.line(result))
    for text in report.details(result):
        say(text)
    for text in advice(result, guess):
        say(f"next: {text}")
    return result
