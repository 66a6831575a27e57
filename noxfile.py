"""Sessions: `fresh_project` is the release gate, `tests` the test suite, `lint` ruff and mypy."""

from __future__ import annotations

import os

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True


@nox.session
def fresh_project(session: nox.Session) -> None:
    """The release gate: the pairwise matrix of the working-tree template, each variant
    generated, installed, booted and judged. In CI every service it needs is required."""
    session.install("-e", ".", env={"UV_COMPILE_BYTECODE": "1"})  # 0.3 s less per start
    services = "require" if os.environ.get("CI") else "auto"
    args = ["--strategy", "pairwise", "--services", services, "--junit", "freshboot-out/junit.xml"]
    session.run("freshboot", "smoke", "--template", "template", *args, *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite: real copier, real processes, real HTTP, real Redis."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (benchmarks/): freshboot against a bare script, the matrix in parallel,
    readiness latency, peak memory under a flood of output; each a ratio measured side by
    side in the same run. Options after `--`, e.g. `nox -s bench -- --only B3,B4`."""
    # Bytecode compiled, as `pip install` does (PYTHONDONTWRITEBYTECODE may be set here).
    session.install("-e", ".", env={"UV_COMPILE_BYTECODE": "1"})
    session.run("python", "-m", "benchmarks", *session.posargs)
