"""Sessions: `fresh_project` is the release gate, `tests` the test suite, `lint` ruff and mypy."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
    """The test suite: real copier, real processes, real HTTP, real Redis. Two workers: the
    suite mostly waits on what it starts (tests/conftest.py keeps a module's shared fixture on
    one worker). `nox -s tests -- -n 0` runs it in one process."""
    session.install("-e", ".[test]")
    parallel = ["-n", "2", "--dist", "loadscope"]
    session.run("pytest", *parallel, "--durations=20", *session.posargs)  # slowest: CI's log


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict, over this repository and over every valid
    answer combination of template/ as generated (rendered once per template state)."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    projects = _rendered_combinations(session)
    session.install(*_requirements(projects))
    failures = _lint_projects(session, projects)
    if failures:
        session.error("generated projects not clean:\n" + "\n".join(failures))
    session.log(f"{len(projects)} generated projects: ruff and mypy --strict clean")


# Renders every valid combination of the template's answers into OUT/<values joined by '-'>.
_RENDER = """
import sys
from pathlib import Path
from scaffolder.model import read_template
from scaffolder.render import render_project
from scaffolder.variants import load_variants
from smoke_tests.spec import load_spec

template, out = Path(sys.argv[1]), Path(sys.argv[2])
for variant in load_variants(read_template(template), load_spec(template).matrix):
    answers = dict(variant.answers)
    dest = out / "-".join(str(answers[key]) for key in sorted(answers))
    if not dest.exists():
        render_project(template, answers, dest)
"""


def _rendered_combinations(session: nox.Session) -> list[Path]:
    """Every combination generated from template/, in a folder named by a hash of the
    template's files: a second run with the template unchanged renders nothing."""
    template = Path("template")
    digest = hashlib.sha256()
    for path in sorted(p for p in template.rglob("*") if p.is_file()):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    renders = Path(".nox", "lint-renders")
    out = renders / digest.hexdigest()[:16]
    if not (out / ".complete").exists():
        for old in renders.glob("*"):  # earlier template states; mypy's caches stay
            if old.name != "mypy-cache":
                shutil.rmtree(old)
        session.run("python", "-c", _RENDER, str(template), str(out), silent=True)
        (out / ".complete").touch()
    return sorted(p for p in out.iterdir() if p.is_dir())


def _requirements(projects: list[Path]) -> list[str]:
    """The union of the generated projects' dependencies and extras (mypy needs them)."""
    wanted: set[str] = set()
    for project in projects:
        meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        wanted.update(meta["dependencies"])
        for extra in meta["optional-dependencies"].values():  # not the project's own extras
            wanted.update(r for r in extra if not r.startswith(f"{meta['name']}["))
    return sorted(wanted)


def _lint_projects(session: nox.Session, projects: list[Path]) -> list[str]:
    """ruff, mypy --strict (each project's own settings) and actionlint on its CI workflow,
    in each project, two at a time; mypy keeps a cache per combination, so a small template
    change re-checks little."""
    bin_dir = Path(session.bin)
    caches = Path(".nox", "lint-renders", "mypy-cache").resolve()

    def check(project: Path) -> str | None:
        ruff, mypy = str(bin_dir / "ruff"), str(bin_dir / "mypy")
        commands = [
            [ruff, "check", "--no-cache", "."],
            [ruff, "format", "--no-cache", "--check", "."],
            [mypy, "--strict", "--cache-dir", str(caches / project.name)],  # files: pyproject
            [str(bin_dir / "actionlint"), "-no-color", ".github/workflows/ci.yml"],
        ]
        for command in commands:
            done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                return f"{project.name}: {' '.join(command[1:3])}:\n{done.stdout}"
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [failure for failure in pool.map(check, projects) if failure]


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (benchmarks/): freshboot against a bare script, the matrix in parallel,
    readiness latency, peak memory under a flood of output; each a ratio measured side by
    side in the same run. Options after `--`, e.g. `nox -s bench -- --only B3,B4`."""
    # Bytecode compiled, as `pip install` does (PYTHONDONTWRITEBYTECODE may be set here).
    session.install("-e", ".", env={"UV_COMPILE_BYTECODE": "1"})
    session.run("python", "-m", "benchmarks", *session.posargs)
