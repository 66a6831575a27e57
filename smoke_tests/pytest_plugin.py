"""pytest plugin: one test per variant of a Copier template, generated, booted and judged.

``pytest --freshboot-template PATH`` adds one item per variant (named by its id, so ``-k``,
``-x``, ``--lf``, ``--junitxml`` and ``-n`` work as usual). A FAIL fails the test; an ERROR (the
harness or the machine is at fault) is a pytest *error* at setup, as a broken fixture would be;
a SKIP skips. Without the option the plugin does nothing and imports none of the harness.
See docs/pytest-plugin.md.
"""
# The harness is imported inside functions, so that pytest runs without the option pay nothing.

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Generator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from scaffolder.variants import Variant
    from smoke_tests.result import Result
    from smoke_tests.run_options import RunOptions

MARKER = "freshboot"


def pytest_addoption(parser: pytest.Parser) -> None:
    from smoke_tests.option_table import RUN_OPTIONS, add_pytest_options  # a small table

    # fmt: off
    add = parser.getgroup("freshboot", "freshboot: variants of a Copier template").addoption
    add("--freshboot-template", metavar="PATH",
        help="collect one test per variant of this Copier template (it needs a smoke.yaml)")
    add("--freshboot-out", metavar="DIR",
        help="where per-variant logs go (default: <basetemp>/freshboot)")
    # fmt: on
    add_pytest_options(add, RUN_OPTIONS)  # as `freshboot smoke` has them, with the prefix


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("freshboot_template") is None:
        return
    config.addinivalue_line("markers", f"{MARKER}: a variant of a Copier template (freshboot)")
    config.pluginmanager.register(Freshboot(config), "freshboot-session")


class Freshboot:
    """One session's template, its smoke.yaml and variants, and where runs write."""

    def __init__(self, config: pytest.Config) -> None:
        from scaffolder.errors import SpecError, TemplateNotFound, UntrustedTemplate, VariantError
        from scaffolder.variants import load_variants
        from smoke_tests import redact
        from smoke_tests.front_door import harness, open_template
        from smoke_tests.option_table import RunConfig

        here, out = config.invocation_params.dir, config.getoption("freshboot_out")
        given = here / config.getoption("freshboot_template")
        self.run_config = RunConfig.read(given, lambda dest: config.getoption(f"freshboot_{dest}"))
        try:  # the same checks as `freshboot smoke`, the trust check among them
            self.opened = open_template(self.run_config)
            self.template, self.spec = self.opened.template, self.opened.spec
            self.variants = load_variants(
                self.opened.model, self.spec.matrix, self.run_config.strategy
            )
            redact.remember_answers(self.variants)
        except (TemplateNotFound, SpecError, VariantError, UntrustedTemplate) as exc:
            raise pytest.UsageError(f"freshboot: {_in_plugin_words(str(exc))}") from None
        self.out = None if out is None else (here / out).resolve()
        if self.out is not None:
            _check_out(self.out, out, self.template)
        self.config = config
        self.options: RunOptions | None = None  # made on the first run
        # Signals, the sweep of killed runs, the reaping at the end: as `freshboot smoke`.
        self.harness = ExitStack()
        self.harness.enter_context(harness(_interrupt))

    def run(self, variant: Variant) -> Result:
        from smoke_tests.front_door import run_options
        from smoke_tests.runner import run_variant

        if self.options is None:
            factory = getattr(self.config, "_tmp_path_factory", None)  # None under -p no:tmpdir
            base = Path(tempfile.mkdtemp()) if factory is None else factory.getbasetemp()
            workdir = Path(tempfile.mkdtemp(prefix="freshboot-"))
            out = self.out or base / "freshboot"
            self.options = run_options(self.run_config, self.opened, out, workdir)
        return run_variant(variant, self.spec, self.options)

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            root, template = self.config.rootpath, self.template
            inside = template.is_relative_to(root) and template != root
            nodeid = template.relative_to(root).as_posix() if inside else template.name
            report.result.append(TemplateCollector.from_parent(
                collector, name=template.name, nodeid=nodeid, path=template, plugin=self
            ))  # fmt: skip
        return report

    def pytest_unconfigure(self) -> None:
        self.harness.close()  # every process the session started ends; SIGTERM as it was
        if self.options is not None:  # the harness ran: drop its projects
            shutil.rmtree(self.options.workdir, ignore_errors=True)


def _in_plugin_words(message: str) -> str:
    """A message naming `freshboot smoke`'s options, with their names in pytest."""
    return re.sub(r"--(template|trust|skip-tasks)\b", r"--freshboot-\1", message)


def _check_out(path: Path, given: str, template: Path) -> None:
    if path.is_relative_to(template):
        raise pytest.UsageError(f"freshboot: --freshboot-out {given} is inside the template")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"freshboot: --freshboot-out {given}: {exc.strerror}") from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # pytest then ends the session, and pytest_unconfigure cleans up


class TemplateCollector(pytest.Collector):
    """The template: its variants, in their stable order."""

    def __init__(self, *, plugin: Freshboot, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin
        self.add_marker(MARKER)

    def collect(self) -> list[VariantItem]:
        return [VariantItem.from_parent(self, name=v.id, variant=v, plugin=self.plugin)
                for v in self.plugin.variants]  # fmt: skip


class VariantFailed(Exception):
    """The generated project failed its first day (freshboot status FAIL)."""


class VariantItem(pytest.Item):
    """One variant. Its run happens at setup, so that a harness ERROR is a pytest error."""

    def __init__(self, *, variant: Variant, plugin: Freshboot, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.variant, self.plugin = variant, plugin
        self.result: Result | None = None

    def setup(self) -> None:
        from smoke_tests.result import Status

        if self.config.getoption("setuponly", False):  # --setup-only / --setup-plan: no run
            return
        self.result = result = self.plugin.run(self.variant)
        if result.status is Status.SKIP:
            pytest.skip(f"{result.phase}: {result.reason}")
        if result.status is Status.ERROR:
            pytest.fail(_message(result, "ERROR in "), pytrace=False)

    def runtest(self) -> None:
        from smoke_tests.result import Status

        if self.result is not None and self.result.status is Status.FAIL:
            raise VariantFailed(_message(self.result))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, VariantFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.plugin.template / "smoke.yaml", None, f"variant {self.variant.id}"


def _message(result: Result, prefix: str = "") -> str:
    """`<phase>: <reason>`, then the log excerpt, the log's path and the one-line repro."""
    from smoke_tests.report import details

    return "\n".join([f"{prefix}{result.phase}: {result.reason}", *details(result)[1:]])
