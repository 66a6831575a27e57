"""A generator command's project (``django-admin startproject``, ``uv init --app``, ``cargo
loco new``, a script of the template's own): smoke.yaml's ``generate.command``, rendered with
the variant's values, run in an empty folder that becomes the project.

The generator is installed first when smoke.yaml lists its packages (``generate.install``):
into a virtualenv of its own, made once per package set and kept in the cache (or in the run's
working folder with --no-cache), first on PATH while it runs. A command that exits non-zero, or
makes nothing, is the generator's FAIL in ``generate``; a generator that is not there, or that
cannot be installed, is not the project's fault: an ERROR naming the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from scaffolder.cache import stamps
from scaffolder.errors import RenderError
from scaffolder.model import TemplateModel
from scaffolder.variants import Variant
from smoke_tests import home as homes
from smoke_tests import reaper
from smoke_tests.environment import UV, base_variables
from smoke_tests.interpreters import own
from smoke_tests.result import Phase, Status, Verdict, error, fail
from smoke_tests.run_context import RunContext
from smoke_tests.spec import SmokeSpec, Step
from smoke_tests.steps import run_steps
from smoke_tests.templating import render

# Folders of a local generator's checkout that are not its source (builds, environments).
_NOT_SOURCE = frozenset({".git", ".venv", ".nox", ".tox", "node_modules", "target", "__pycache__"})
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def run_generator(
    spec: SmokeSpec, context: RunContext, template: Path, store: Path, dest: Path, log: Path,
    fresh: homes.Fresh,
) -> None:  # fmt: skip
    """Run the variant's generator command in `dest` (made empty), after installing it into
    a virtualenv kept in `store` (the cache, or the run's working folder)."""
    values = context.with_values(template_dir=str(template))
    command = tuple(render(arg, values) for arg in spec.generate.command)
    requirements = [_local(render(r, values), template) for r in spec.generate.install]
    tools = _tools(requirements, store / "generators", log, fresh)
    variables = base_variables(tools or dest / ".venv", fresh)
    if tools is None:  # no venv of its own: the generator is whatever PATH has
        variables["PATH"] = variables["PATH"].split(os.pathsep, 1)[1]
        variables.pop("VIRTUAL_ENV", None)
    variables = reaper.marked(variables, reaper.new_tag("generate"))
    if shutil.which(command[0], path=variables["PATH"]) is None and "/" not in command[0]:
        fix = "install it, or list its package in smoke.yaml generate.install"
        raise error(Phase.GENERATE, f"generator not found: {command[0]}; {fix}")
    dest.mkdir(parents=True, exist_ok=True)
    run_steps([Step(command)], dest, variables, log, Phase.GENERATE)
    if not any(dest.iterdir()):
        raise fail(Phase.GENERATE, f"{' '.join(command)} made no files in its folder")


def remake(
    spec: SmokeSpec, model: TemplateModel, store: Path
) -> Callable[[Path, Variant, Path], Path]:
    """For --changed-since: a variant's project made from a template folder (the current
    one, or the one at the older ref), outside any run; RenderError when it cannot be."""

    def make(template: Path, variant: Variant, dest: Path) -> Path:
        with homes.fresh_folders(dest.parent / f"{dest.name}-home") as fresh:
            try:
                run_generator(
                    spec, RunContext.of(variant, model), template, store, dest,
                    dest.parent / f"{dest.name}.log", fresh,
                )  # fmt: skip
            except Verdict as verdict:
                raise RenderError(verdict.reason) from None
        return dest

    return make


def _tools(requirements: Sequence[str], root: Path, log: Path, fresh: homes.Fresh) -> Path | None:
    """The virtualenv holding `requirements` (None when there are none), made once per set:
    built beside its place and renamed into it, so a killed build is never taken for one."""
    if not requirements:
        return None
    python = own()
    local = [r for r in requirements if Path(r).is_dir()]
    trees = [stamps(Path(r), _NOT_SOURCE) for r in local]
    key = json.dumps([sorted(requirements), python.version, trees]).encode()
    venv = root / hashlib.sha256(key).hexdigest()[:16]
    with _lock(venv):
        if venv.is_dir():
            os.utime(venv)  # used: `freshboot cache --unused-for` keeps it
            return venv
        for left in root.glob(f".{venv.name}.*"):  # a killed freshboot's half-made one
            pid = left.suffix.lstrip(".")
            if not pid.isdigit() or not psutil.pid_exists(int(pid)):
                shutil.rmtree(left, ignore_errors=True)
        staging = root / f".{venv.name}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        make = (UV, "venv", "--quiet", "--relocatable", "--python", str(python.path))
        again = ("--reinstall",) if local else ()  # uv would reuse an older build of a folder
        add = (UV, "pip", "install", *again, "--python", str(staging / "bin" / "python"))
        steps = [Step((*make, str(staging))), Step((*add, *requirements))]
        root.mkdir(parents=True, exist_ok=True)
        try:
            run_steps(steps, root, base_variables(staging, fresh), log, Phase.GENERATE)
            try:
                staging.rename(venv)
            except OSError:  # another freshboot made it meanwhile
                shutil.rmtree(staging, ignore_errors=True)
        except Verdict as verdict:
            shutil.rmtree(staging, ignore_errors=True)
            if verdict.status is not Status.FAIL:
                raise
            reason = f"freshboot could not install the generator ({', '.join(requirements)})"
            raise error(Phase.GENERATE, f"{reason}: {verdict.reason}", verdict.excerpt) from None
    return venv


def _local(requirement: str, template: Path) -> str:
    """A requirement as uv takes it: a path (`./`, `../`, `/`) made absolute, relative to the
    template; anything else (a name, a version, a URL) as it is."""
    if requirement.startswith(("./", "../", "/")) or requirement in (".", ".."):
        return str((template / requirement).resolve())
    return requirement


def _lock(path: Path) -> threading.Lock:
    """One lock per generator venv: variants running at once build it once."""
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(path, threading.Lock())
