"""The bundled template's generated projects, as a team would receive them: every valid
combination of answers generates with real copier (no unrendered markers, no --trust), installs
with real uv, is ruff-clean and passes its own test suite against real Redis and PostgreSQL
servers (nothing skipped); the questions validate and skip as documented; `copier update`
moves a project from one tagged template version to the next."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffolder.cache import cache_root
from scaffolder.render import leftover_markers, render_cached
from smoke_tests.environment import create_environment
from smoke_tests.services import Service, postgres_server, redis_server
from smoke_tests.spec import load_spec
from tests.helpers import TEMPLATE, require_binary, variants_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # 15 installs and suites

PACKAGE = "freshapp"
SUITE_TIMEOUT = 180


def combinations() -> list[dict[str, Any]]:
    """Every valid combination of copier answers, read from copier.yml (not hard-coded)."""
    seen: dict[str, dict[str, Any]] = {}
    for variant in variants_of(TEMPLATE, load_spec(TEMPLATE).matrix):
        answers = dict(variant.answers)
        seen.setdefault(_name(answers), answers)
    return list(seen.values())


def _name(answers: Mapping[str, Any]) -> str:
    queue = f"-{answers['queue_provider']}" if "queue_provider" in answers else ""
    return f"{answers['worker_mode']}{queue}-db-{answers['database']}"


@dataclass(frozen=True)
class Outcome:
    """What happened to one combination: its project and the checks' outputs."""

    project: Path
    markers: list[str]
    ruff: subprocess.CompletedProcess[str]
    pytest: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, Service]]:
    """One throwaway Redis and one PostgreSQL for every project's suite."""
    require_binary("redis-server", "apt-get install -y redis-server")
    with redis_server() as redis, postgres_server(cache_root()) as postgres:
        yield {"redis": redis, "postgres": postgres}


@pytest.fixture(scope="module")
def outcomes(
    servers: dict[str, Service], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Each combination generated, installed, linted and tested, two at a time."""
    root = tmp_path_factory.mktemp("projects")
    todo = list(enumerate(combinations()))

    def run(item: tuple[int, dict[str, Any]]) -> tuple[str, Outcome]:
        number, answers = item
        return _name(answers), _check(answers, root / _name(answers), number, servers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, todo))


def _check(
    answers: Mapping[str, Any], folder: Path, number: int, servers: dict[str, Service]
) -> Outcome:
    project = render_cached(TEMPLATE, answers, folder / "project", cache_root() / "renders")
    markers = leftover_markers(project, TEMPLATE)
    env = create_environment(
        project, [("uv", "pip", "install", ".[dev]")], folder / "install.log", cache_root() / "envs"
    )
    variables = dict(env.variables)
    # Each suite gets a database and a Redis index of its own: suites run two at a time.
    database = f"suite_{number}"
    _psql(servers["postgres"].url, f"DROP DATABASE IF EXISTS {database}")
    _psql(servers["postgres"].url, f"CREATE DATABASE {database}")
    own = servers["postgres"].url.rsplit("/", 1)[0] + f"/{database}"
    redis = servers["redis"].url.rsplit("/", 1)[0] + f"/{number % 16}"
    variables.update(DATABASE_URL=own, QUEUE_URL=own, REDIS_URL=redis)
    bin_dir = env.venv / "bin"
    ruff = subprocess.run(
        f"{bin_dir}/ruff check --no-cache . && {bin_dir}/ruff format --no-cache --check .",
        shell=True, cwd=project, env=variables, capture_output=True, text=True, check=False,
    )  # fmt: skip
    tests = subprocess.run(
        [bin_dir / "python", "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=project, env=variables, capture_output=True, text=True, check=False,
        timeout=SUITE_TIMEOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return Outcome(project=project, markers=markers, ruff=ruff, pytest=tests)


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-qc", sql], check=True, capture_output=True, text=True)


@pytest.mark.parametrize("name", [_name(a) for a in combinations()])
def test_every_combination_is_clean_and_passes_its_own_suite(
    outcomes: dict[str, Outcome], name: str
) -> None:
    outcome = outcomes[name]
    assert outcome.markers == []
    assert outcome.ruff.returncode == 0, outcome.ruff.stdout + outcome.ruff.stderr
    summary = outcome.pytest.stdout.strip().splitlines()[-1:]
    assert outcome.pytest.returncode == 0, outcome.pytest.stdout[-4000:] + outcome.pytest.stderr
    assert summary, outcome.pytest.stdout
    assert re.fullmatch(r"\d+ passed in [\d.]+s", summary[0]), (
        f"something was skipped or warned: {summary}\n{outcome.pytest.stdout[-2000:]}"
    )


def test_a_long_project_name_keeps_every_combination_ruff_clean(
    outcomes: dict[str, Outcome], tmp_path: Path
) -> None:
    """The longest name the validator allows, in every combination: no line gets too long."""
    name = "a" * 28 + "-svc"
    ruff = next(iter(outcomes.values())).project / ".venv" / "bin" / "ruff"
    for number, answers in enumerate(combinations()):
        project = render_cached(TEMPLATE, {**answers, "project_name": name}, tmp_path / str(number))
        for args in (["check", "-q"], ["format", "--check", "-q"]):
            done = subprocess.run(
                [ruff, *args, "--no-cache", "."], cwd=project, capture_output=True, text=True,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"{_name(answers)}: {done.stdout}"


def test_there_are_fifteen_valid_combinations() -> None:
    names = [_name(a) for a in combinations()]
    assert len(names) == 15  # async, blocking: 3 databases each; queue: 3 providers x 3
    assert len(set(names)) == 15


def test_only_the_dependencies_a_combination_needs_are_installed(
    outcomes: dict[str, Outcome],
) -> None:
    drivers = {"sqlalchemy", "alembic", "aiosqlite", "asyncpg", "taskiq-redis", "redis"}
    for name, outcome in outcomes.items():
        text = (outcome.project / "pyproject.toml").read_text()
        deps = tomllib.loads(text)["project"]["dependencies"]
        found = {re.split(r"[\[>=]", d)[0] for d in deps} & drivers
        expected = set()
        if "db-none" not in name:
            expected |= {"sqlalchemy", "alembic"}
        if "db-sqlite" in name or "Queue-sqlite" in name:
            expected.add("aiosqlite")
        if "db-postgres" in name or "Queue-postgres" in name:
            expected.add("asyncpg")
        if "Queue-redis" in name:
            expected |= {"taskiq-redis", "redis"}
        assert found == expected, name
        assert re.findall(r'"[\w\[\].-]+(==|<)', text) == [], "lower bounds only"


def test_plain_copier_copy_needs_no_trust(tmp_path: Path) -> None:
    """The command line a user types, without --trust: tasks, migrations and extensions
    would make copier refuse."""
    dest = tmp_path / "svc"
    done = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref=HEAD",
         "-d", "project_name=my-svc", "-d", "worker_mode=BackgroundQueue",
         "-d", "queue_provider=postgres", "-d", "database=none", str(TEMPLATE), str(dest)],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "my-svc start" in done.stdout + done.stderr  # the message after copy
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["worker_mode"] == "BackgroundQueue"
    assert answers["queue_provider"] == "postgres"
    assert (dest / "my_svc" / "providers" / "postgres_queue.py").is_file()
    assert "sqlalchemy" not in (dest / "my_svc" / "database.py").read_text()  # says: none
    assert not (dest / "my_svc" / "models.py").exists()
    assert not (dest / "alembic.ini").exists()
    assert leftover_markers(dest, TEMPLATE) == []


def test_queue_provider_is_asked_only_in_queue_mode(tmp_path: Path) -> None:
    import copier  # about 0.4 s: imported where needed

    copier.run_copy(
        str(TEMPLATE), tmp_path / "p", vcs_ref="HEAD", defaults=True, quiet=True,
        data={"worker_mode": "BackgroundAsync", "queue_provider": "redis"},
    )  # fmt: skip
    answers = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert "queue_provider" not in answers
    assert "redis" not in (tmp_path / "p" / "pyproject.toml").read_text().split("[project.opt")[0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("My Service", "is not a valid distribution name"),
        ("-svc", "is not a valid distribution name"),
        ("2fast", "must start with a letter"),
        ("class", "is a Python keyword"),
        ("redis", "would clash with a folder of the project or a library it uses"),
        ("tests", "would clash"),
        ("a-very-long-name-for-a-small-service", "is 36 characters long; keep it to 32"),
    ],
)
def test_project_name_is_validated_with_a_clear_message(
    tmp_path: Path, name: str, message: str
) -> None:
    import copier

    with pytest.raises(ValueError, match=message):
        copier.run_copy(
            str(TEMPLATE), tmp_path / "p", vcs_ref="HEAD", defaults=True, quiet=True,
            data={"project_name": name},
        )  # fmt: skip


def test_the_package_name_is_derived_from_the_project_name(tmp_path: Path) -> None:
    import copier

    copier.run_copy(
        str(TEMPLATE), tmp_path / "p", vcs_ref="HEAD", defaults=True, quiet=True,
        data={"project_name": "Billing.API-v2", "database": "none"},
    )  # fmt: skip
    project = tmp_path / "p"
    assert (project / "billing_api_v2" / "cli.py").is_file()
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "Billing.API-v2"' in pyproject
    assert 'Billing.API-v2 = "billing_api_v2.cli:main"' in pyproject


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
}  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
        env={**os.environ, **_GIT_ENV},
    )  # fmt: skip
    return done.stdout


def _copier(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copier", *args], capture_output=True, text=True, check=False,
        env={**os.environ, **_GIT_ENV}, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_copier_update_moves_a_project_to_the_next_tag(tmp_path: Path) -> None:
    """Two tagged versions of the template in a temporary repository; a project made from the
    first, changed by its team, is updated to the second: the template's change arrives, the
    team's change and the answers stay, nothing conflicts."""
    repo = tmp_path / "template"
    shutil.copytree(TEMPLATE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    _git(repo, "tag", "v1.0.0")

    project = tmp_path / "svc"
    made = _copier(
        "copy", "--defaults", "--vcs-ref=v1.0.0", "-d", "worker_mode=BackgroundQueue",
        "-d", "queue_provider=redis", "-d", "database=postgres", str(repo), str(project),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "generated")
    settings = project / "config" / "development.yaml"
    settings.write_text(settings.read_text().replace("every: 60", "every: 30"))
    _git(project, "commit", "-qam", "our heartbeat")

    jobs = repo / "project" / "{{package_name}}" / "jobs.py"
    jobs.write_text(jobs.read_text().replace("MAX_DELAY = 30.0", "MAX_DELAY = 60.0"))
    (repo / "project" / "CHANGES.md").write_text("# Changes\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1.1")
    _git(repo, "tag", "v1.1.0")

    updated = _copier("update", "--defaults", str(project))

    assert updated.returncode == 0, updated.stderr
    assert "MAX_DELAY = 60.0" in (project / PACKAGE / "jobs.py").read_text()
    assert (project / "CHANGES.md").is_file()
    assert "every: 30" in settings.read_text()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.1.0"
    assert (answers["worker_mode"], answers["queue_provider"], answers["database"]) == (
        "BackgroundQueue",
        "redis",
        "postgres",
    )
    assert list(project.rglob("*.rej")) == []
    assert "<<<<<<<" not in _git(project, "diff")
