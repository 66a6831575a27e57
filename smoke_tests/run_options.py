"""What every variant of one run shares: where the template, logs and projects are, and the
options that change what runs (trust, cache, services, timeout, upgrade, --with)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from scaffolder.model import TemplateModel, read_template
from scaffolder.variants import Variant
from smoke_tests.services import ServiceMode
from smoke_tests.spec import SmokeSpec


@dataclass(frozen=True)
class RunOptions:
    """Where a run reads its template, writes its logs, and builds its projects."""

    template: Path
    out: Path
    workdir: Path
    trust: bool = False
    cache: Path | None = None  # renders and environments kept between runs; None: no reuse
    services: ServiceMode = "auto"
    timeout: float | None = None  # seconds one variant may take in all
    upgrade: Upgrade | None = None  # generate from an older template, then `copier update`
    with_specs: tuple[str, ...] = ()  # requirements installed over each project's own
    skip_tasks: bool = False  # --skip-tasks: copier's skip_tasks (smoke.yaml `tasks: skip` too)
    horizons: tuple[str, ...] = ()  # --python/--resolution as given, for the repro line
    model: TemplateModel | None = None  # `template` as the command read it
    warned: set[str] = field(default_factory=set, compare=False, repr=False)  # once per run

    @cached_property
    def template_model(self) -> TemplateModel:
        """`model`, or the template read now when the command gave none."""
        return self.model or read_template(self.template)


@dataclass(frozen=True)
class Upgrade:
    """Where the older template is: a repository holding it at BASE_TAG and the template under
    test at HEAD_TAG (see scaffolder.history), and the ref the user named."""

    repo: Path
    ref: str
    baseline: SmokeSpec | None = None  # the older template's smoke.yaml, if it had one


def repro_command(options: RunOptions, variant: Variant) -> str:
    """One line that reproduces this variant alone, with the options that change what runs."""
    words = ["freshboot", "smoke", "--template", str(options.template), "--variant", variant.id]
    if options.upgrade is not None:
        words += ["--upgrade-from", options.upgrade.ref]
    for spec in options.with_specs:
        words += ["--with", spec]
    words += options.horizons
    if options.trust:
        words.append("--trust")
    if options.skip_tasks:
        words.append("--skip-tasks")
    return shlex.join(words)
