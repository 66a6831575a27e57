"""A fresh virtualenv per project, made the way a user would (uv), but fast: bytecode compiled
and packages hard-linked from one shared uv cache."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from uv import find_uv_bin

from scaffolder.cache import changed, link_tree, remove, reuse, store, write_manifest
from smoke_tests import home as homes
from smoke_tests import signals
from smoke_tests.interpreters import Interpreter, own
from smoke_tests.result import Phase, Status, Verdict, error
from smoke_tests.spec import Command, Step
from smoke_tests.steps import as_step, run_steps

# Settings of the harness's own environment (nox and uv set some) that would point an install
# at another interpreter or prefix than the project's venv.
_SCRUBBED = (
    "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT",
    "UV_PYTHON", "UV_SYSTEM_PYTHON", "PIP_PREFIX", "PIP_TARGET", "PIP_USER", "PYTHONUSERBASE",
)  # fmt: skip
# Resolved once, at import in the main thread: find_uv_bin reads sysconfig, whose lazy set-up is
# not thread-safe on Python 3.11 (two variants starting at once saw EXE as None).
UV = find_uv_bin()
# The files whose content decides a project's dependency set (and so whether a venv is reusable).
DEPENDENCY_FILES = (
    "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "uv.lock", "poetry.lock",
    "pdm.lock", "Pipfile.lock",
)  # fmt: skip


@dataclass(frozen=True)
class Environment:
    """A project and the virtualenv it runs in."""

    project: Path
    venv: Path
    variables: Mapping[str, str]


def base_variables(venv: Path, fresh: homes.Fresh | None = None) -> dict[str, str]:
    """The variables every command of a project sees: its venv first on PATH, the harness's
    own virtualenv and Python settings removed, bytecode compiled, no Python downloads; with
    `fresh`, the variant's own HOME, XDG folders and TMPDIR (see smoke_tests.home)."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    if fresh is not None:
        env.update(homes.variables(fresh))
    uv_dir = str(Path(UV).parent)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), uv_dir, env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(venv)
    env["UV_COMPILE_BYTECODE"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_LINK_MODE"] = "hardlink"
    return env


ENTRY_LAYOUT = b"venv+manifest\0"  # in the key: freshboots with the old layout never share one


def environment_key(
    project: Path,
    install: Sequence[Step | Command],
    python: Interpreter | None = None,
    settings: Mapping[str, str] | None = None,
) -> str:
    """A hash of what decides which packages an install puts in the venv: the interpreter
    (freshboot's own unless given), the install commands, uv's and pip's settings, and the
    dependency files of the project and of each folder an install command runs in."""
    python = python or own()
    digest = hashlib.sha256(ENTRY_LAYOUT)
    chosen = {**os.environ, **(settings or {})}  # `settings`: the variant's horizon's
    uv_pip = sorted(
        (k, v) for k, v in chosen.items() if k.startswith(("UV_", "PIP_")) and k not in _SCRUBBED
    )
    steps = [as_step(command) for command in install]
    digest.update(repr((str(python.path), python.build, steps, uv_pip)).encode())
    folders = sorted({".", *(step.cwd for step in steps if step.cwd is not None)})
    for folder in folders:
        for name in DEPENDENCY_FILES:
            path = project / folder / name
            if path.is_file():
                digest.update(f"{folder}/{name}".encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def create_environment(
    project: Path,
    install: Sequence[Step | Command],
    log: Path,
    cache: Path | None = None,
    python: Interpreter | None = None,
    home: homes.Fresh | None = None,
    settings: Mapping[str, str] | None = None,
) -> Environment:
    """Make `project/.venv` with `python` (freshboot's own unless given) and run the template's
    install commands inside it.

    A `.venv` the project already holds (a template's task made one) is replaced: the project
    must run in freshboot's fresh venv. With a `cache`, a venv made earlier for the same
    dependency set seeds the new one (hard links, relocatable), so the install commands, still
    run, only add the project itself. Failures of freshboot's own steps are ERRORs. With
    `home`, the install commands, and later the project's, run with that HOME and TMPDIR.
    `settings` are uv's resolver settings of the variant's dependency horizon.
    """
    venv = project / ".venv"
    python = python or own()
    variables = {**base_variables(venv, home), **(settings or {})}
    _clear(venv, log)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"[interpreter: Python {python.version} at {python.path}]\n")
    steps = [as_step(command) for command in install]
    key = environment_key(project, steps, python, settings)
    seed = cache / key if cache is not None else None
    if seed is not None and reuse(seed) and _intact(seed, log):
        try:
            link_tree(seed / "venv", venv)
        except OSError as exc:
            raise error(
                Phase.INSTALL, f"freshboot could not copy its cached virtualenv {seed}: {exc}"
            ) from None
        _run_seeded(steps, project, variables, log)
    else:
        _make_venv(venv, python, project, variables, log)
        run_steps(steps, project, variables, log)
        if seed is not None:
            store(seed, lambda folder: _keep(venv, folder))
    return Environment(project=project, venv=venv, variables=variables)


def _keep(venv: Path, entry: Path) -> None:
    """A cache entry: the venv as hard links (a copy across filesystems) and its manifest."""
    entry.mkdir()
    link_tree(venv, entry / "venv")
    write_manifest(entry / "venv", entry / "manifest.json")


def _intact(seed: Path, log: Path) -> bool:
    """Whether the cached venv is as stored; one a project changed in place through a hard
    link is dropped (and rebuilt by this variant), so no later variant inherits the change."""
    problem = changed(seed / "venv", seed / "manifest.json")
    if problem is None:
        return True
    with log.open("a", encoding="utf-8") as out:
        out.write(f"[cached virtualenv {seed.name} does not match its manifest ({problem}); "
                  "dropped, building a fresh one]\n")  # fmt: skip
    remove([seed])
    return False


def _clear(venv: Path, log: Path) -> None:
    """Remove a `.venv` the project came with, saying so in the log."""
    if not (venv.exists() or venv.is_symlink()):
        return
    with log.open("a", encoding="utf-8") as out:
        out.write(f"[the project already holds {venv.name} (made by the template?); "
                  "freshboot replaces it with its own]\n")  # fmt: skip
    try:
        if venv.is_dir() and not venv.is_symlink():
            shutil.rmtree(venv)
        else:
            venv.unlink()
    except OSError as exc:
        raise error(
            Phase.INSTALL, f"freshboot could not remove the project's own {venv.name}: {exc}"
        ) from None


def _make_venv(
    venv: Path, python: Interpreter, project: Path, variables: Mapping[str, str], log: Path
) -> None:
    """`uv venv`: freshboot's own step, so its failure is the machine's fault (ERROR)."""
    step = (UV, "venv", "--quiet", "--relocatable", "--python", str(python.path), str(venv))
    try:
        run_steps([step], project, variables, log)
    except Verdict as verdict:
        if verdict.status is not Status.FAIL:
            raise
        said = [line.strip() for line in verdict.excerpt if line.strip()]
        first = next((i for i, line in enumerate(said) if line.startswith("error:")), 0)
        cause = "; ".join(said[first : first + 3]).removeprefix("error: ") or verdict.reason
        reason = f"freshboot could not create the virtualenv: {cause}"
        raise error(Phase.INSTALL, reason, verdict.excerpt) from None


def install_into(env: Environment, install: Sequence[Step | Command], log: Path) -> None:
    """Run the install commands again in an existing environment (after an update)."""
    run_steps(install, env.project, env.variables, log)


def installed_packages(env: Environment) -> tuple[str, ...]:
    """`uv pip freeze` of the environment: exactly what is installed, for the report."""
    done = subprocess.run(
        [UV, "pip", "freeze", "--python", str(env.venv / "bin" / "python")],
        capture_output=True, text=True, check=False, env=dict(env.variables), cwd=env.project,
        preexec_fn=signals.preexec,
    )  # fmt: skip
    return tuple(line for line in done.stdout.splitlines() if line.strip())


def _run_seeded(
    steps: Sequence[Step], project: Path, variables: Mapping[str, str], log: Path
) -> None:
    """In a venv seeded with this exact dependency set, uv needs no index: try offline first
    (about 0.3 s less per variant) and go online only if that fails."""
    try:
        run_steps(steps, project, {**variables, "UV_OFFLINE": "1"}, log)
    except Verdict as verdict:
        if verdict.status is not Status.FAIL:
            raise
        with log.open("a", encoding="utf-8") as out:
            out.write("[offline install failed; trying again with the package index]\n")
        run_steps(steps, project, variables, log)
