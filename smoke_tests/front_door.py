"""The one way into a run of variants, for `freshboot smoke` and the pytest plugin alike:
signals, the sweep of killed runs and the reaping of this one's processes (`harness`); the
template with its smoke.yaml and the trust check (`open_template`); and the options every
variant shares, cache and timeout included (`run_options`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffolder.cache import cache_root
from scaffolder.model import TemplateModel, read_template
from scaffolder.template import check_trust, resolve_template
from smoke_tests import reaper, signals, sweep
from smoke_tests.option_table import RunConfig
from smoke_tests.run_options import RunOptions
from smoke_tests.spec import SmokeSpec, load_template_spec


@contextmanager
def harness(on_sigterm: Callable[[int, Any], None], *, record: bool = True) -> Iterator[None]:
    """Around a whole run: signals hardened before any thread starts, SIGTERM handed to
    `on_sigterm` (the command line ends with status 143, pytest takes it as Ctrl-C), what
    killed runs left swept and this run recorded (with `record`); afterwards every process
    the run started is ended and its record dropped."""
    main = threading.current_thread() is threading.main_thread()
    previous: Any = None
    if main:  # signal handlers can only be set there (pytest-xdist may configure elsewhere)
        signals.harden()
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        if record:
            sweep.sweep(cache_root(), cache_root())
            sweep.begin(cache_root())
        yield
    finally:
        reaper.kill_all(reaper.RUN_ID)
        if record:
            sweep.end()
        if previous is not None:  # None: the handler was not set from Python
            signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class Opened:
    """A template checked to be runnable here: its folder, its smoke.yaml, and whether its
    tasks are skipped (by the option or by smoke.yaml's `tasks: skip`)."""

    template: Path
    spec: SmokeSpec
    skip_tasks: bool
    model: TemplateModel  # copier.yml, read once for the whole command


def open_template(config: RunConfig, overrides: Mapping[str, Any] | None = None) -> Opened:
    """The template and its smoke.yaml; one that would run its own code without --trust is
    refused here (UntrustedTemplate), before any work."""
    template = resolve_template(config.template)
    spec = load_template_spec(template, overrides)
    skip_tasks = config.skip_tasks or spec.skip_tasks
    model = read_template(template)
    check_trust(model, config.trust, skip_tasks)
    return Opened(template, spec, skip_tasks, model)


def run_options(
    config: RunConfig, opened: Opened, out: Path, workdir: Path, **more: Any
) -> RunOptions:
    """What every variant of the run shares: the renders and environments cache (unless
    --no-cache), the timeout, services and trust; `more` as RunOptions takes it."""
    return RunOptions(
        opened.template, out, workdir, trust=config.trust, skip_tasks=config.skip_tasks,
        model=opened.model,
        cache=None if config.no_cache else cache_root(), services=config.services,
        timeout=config.timeout, **more,
    )  # fmt: skip
