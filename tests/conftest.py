"""Running the suite on several workers (`nox -s tests` runs `pytest -n 2 --dist loadscope`).

pytest-xdist's loadscope keeps a module's tests on one worker, which its module-scoped fixtures
need (a generated project, a server, a template built once: built twice, the 200 s one costs
more than a second worker saves). Here that holds only for a module that defines such a
fixture; every other test goes on its own to whichever worker is free, so the few long tests
do not queue behind each other in one module. (`--dist loadgroup` cannot do this here: with
pytest 9.2 its `xdist_group` marks are silently ignored, pytest-xdist issue 1386.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

ROOT = Path(__file__).resolve().parent.parent
# A fixture that outlives one test, as this suite writes it.
_SHARED = re.compile(r"""@pytest\.fixture\(\s*scope=["'](module|package|session)["']""")


@pytest.hookimpl(optionalhook=True)  # `-p no:xdist` runs the suite without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadscope":
        return None
    return _SharedFixtureScheduling(config, log)


class _SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]  # untyped
    """loadscope, whose scope is the module only where the module shares a fixture."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if _shares_a_fixture(module) else nodeid


@cache
def _shares_a_fixture(module: str) -> bool:
    path = ROOT / module
    return path.is_file() and _SHARED.search(path.read_text(encoding="utf-8")) is not None
