"""`freshboot bisect`: which template commit, or which release of a dependency, broke a variant.

Over git, each step is the template as it was at a commit (extracted with `git archive`, so
the repository and its working tree are never touched). Over versions, each step is the
template as it is now with one candidate version of a package installed over the project's
own dependencies (as `--with NAME==VERSION` does), from the package index the project uses
or a `--find-links` folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from scaffolder.cache import cache_root
from scaffolder.errors import HistoryError, SpecError, VariantError
from scaffolder.history import template_at
from scaffolder.model import read_template
from scaffolder.template import check_trust, resolve_template
from scaffolder.variants import load_variants
from smoke_tests.bisect import Finding, Kind, Observation, Point, classify, search
from smoke_tests.result import Phase
from smoke_tests.runner import RunOptions, run_variant
from smoke_tests.session import working_folder
from smoke_tests.spec import load_template_spec

Step = Callable[[int, Phase | None], Observation]


class BisectInputError(Exception):
    """A ref, version or folder the bisect cannot use; the message says which and the fix."""


def bisect(args: argparse.Namespace) -> int:
    """Run the bisect the options describe; 0 when a first bad step is named, 1 when the
    run cannot decide (it says why), 2 (raised as bad input) for unusable options."""
    template = resolve_template(args.template)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    options = RunOptions(
        template, out, out, trust=args.trust, cache=None if args.no_cache else cache_root(),
        services=args.services, timeout=args.timeout, skip_tasks=args.skip_tasks,
    )  # fmt: skip
    began = time.monotonic()
    if args.package:
        if not args.bad:
            raise BisectInputError("--package needs --bad VERSION: the first version known bad")
        points, step, noun = _over_versions(args, template, options)
    else:
        points, step, noun = _over_git(args, template, options)
    print(f"bisect: {len(points)} {noun}s from {points[0]} (good) to {points[-1]} (bad)")
    found = search(points, step, lambda line: print(line, flush=True))
    downward = bool(args.package) and Version(args.good) > Version(args.bad)
    return _report(found, noun, time.monotonic() - began, downward)


def _report(found: Finding, noun: str, wall: float, downward: bool = False) -> int:
    counted = f"{found.runs} smoke runs in {wall:.1f} s"
    if found.first_bad is None:
        print(f"cannot decide: {found.undecided}")
        print(f"bisect: {counted}")
        return 1
    culprit = found.culprit
    if downward:  # newest first: the step before the first bad one is the oldest that works
        oldest = found.points[found.first_bad - 1]
        print(f"oldest good {noun}: {oldest} ({found.points[found.first_bad]} and older fail)")
    else:
        print(f"first bad {noun}: {found.points[found.first_bad]}")
    if culprit is not None:
        print(f"  phase: {culprit.phase.value}")
        print(f"  reason: {culprit.reason}")
        if culprit.log is not None:
            print(f"  log: {culprit.log}")
    # One run per step, from the good end up to the first bad step, or from the bad end back
    # to the last good one (the ends themselves taken as known).
    ends = (
        f"{found.first_bad} from the good end, {len(found.points) - found.first_bad} from the bad"
    )
    print(f"bisect: {counted}; a linear search would need {ends} end")
    return 0


def _run_at(
    template: Path, variant_id: str, options: RunOptions, folder: str, hunted: Phase | None
) -> Observation:
    """One smoke run of the variant as `template` defines it; a template that does not load
    or has no such variant is a skip."""
    try:
        spec, model = load_template_spec(template), read_template(template)
        variants = {v.id: v for v in load_variants(model, spec.matrix, "full")}
    except (SpecError, VariantError) as exc:  # named by its file, not the temporary folder
        said = str(exc).replace(f"{template}/", "")
        return Observation(Kind.SKIP, why=f"the template does not load: {said}")
    if variant_id not in variants:
        return Observation(Kind.SKIP, why=f"no variant {variant_id} here")
    check_trust(model, options.trust, options.skip_tasks or spec.skip_tasks)
    with working_folder(keep=False) as workdir:
        out = options.out / folder
        result = run_variant(
            variants[variant_id],
            spec,
            replace(options, template=template, out=out, workdir=workdir, model=model),
        )
    return classify(result, hunted)


def _over_git(
    args: argparse.Namespace, template: Path, options: RunOptions
) -> tuple[list[Point], Step, str]:
    root = Path(_git(template, "rev-parse", "--show-toplevel", what="(a git repository)"))
    bad = args.bad or "HEAD"
    good_sha, bad_sha = (_git(root, "rev-parse", "--verify", "--quiet", f"{r}^{{commit}}", what=r)
                         for r in (args.good, bad))  # fmt: skip
    if subprocess.run(["git", "merge-base", "--is-ancestor", good_sha, bad_sha], cwd=root,
                      capture_output=True, check=False).returncode != 0:  # fmt: skip
        raise BisectInputError(f"--good {args.good} is not an ancestor of {bad}; swap them?")
    listed = _git(root, "log", "--reverse", "--first-parent", "--ancestry-path", "--format=%H %s",
                  f"{good_sha}..{bad_sha}")  # fmt: skip
    subject = _git(root, "log", "-1", "--format=%s", good_sha)
    rows = [f"{good_sha} {subject}", *listed.splitlines()]
    shas = [row.split(" ", 1)[0] for row in rows]
    points = [Point(row[:10], row.partition(" ")[2]) for row in rows]

    def step(i: int, hunted: Phase | None) -> Observation:
        try:
            with template_at(template, shas[i]) as then:
                return _run_at(then, args.variant, options, points[i].label, hunted)
        except HistoryError as exc:
            return Observation(Kind.SKIP, why=str(exc))

    return points, step, "commit"


def _git(folder: Path, *words: str, what: str = "") -> str:
    done = subprocess.run(["git", *words], cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if what.startswith("("):
            raise BisectInputError(f"{folder} is not in a git repository; bisect needs one")
        if what:
            raise BisectInputError(f"no commit or tag {what!r} in {folder}; 'git log' lists them")
        raise BisectInputError(f"{folder}: git {words[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def _over_versions(
    args: argparse.Namespace, template: Path, options: RunOptions
) -> tuple[list[Point], Step, str]:
    name = canonicalize_name(args.package)
    good, bad = _version(args.good, "--good"), _version(args.bad, "--bad")
    if good == bad:
        raise BisectInputError(f"--good and --bad are both {good}; name two versions")
    if args.find_links:
        links = args.find_links.resolve()
        if not links.is_dir():
            raise BisectInputError(f"--find-links {args.find_links}: no such folder")
        os.environ["UV_FIND_LINKS"] = str(links)  # for every install of this process's runs
        known = _folder_versions(links, name)
    else:
        known = _index_versions(name)
    pre = good.is_prerelease or bad.is_prerelease
    low, high = sorted((good, bad))
    chosen = sorted(v for v in known if low <= v <= high and (pre or not v.is_prerelease))
    if good > bad:  # a lower bound too low: walk down from the good version to the bad one
        chosen.reverse()
    for end, option in ((good, "--good"), (bad, "--bad")):
        if end not in chosen:
            where = args.find_links or "the package index"
            raise BisectInputError(f"{option} {end}: {name} {end} is not in {where}")
    points = [Point(str(v)) for v in chosen]

    def step(i: int, hunted: Phase | None) -> Observation:
        pinned = replace(options, with_specs=(f"{name}=={chosen[i]}",))
        seen = _run_at(template, args.variant, pinned, f"{name}-{chosen[i]}", hunted)
        got = _installed_version(seen, name)
        if got is not None and got != chosen[i]:
            return Observation(
                Kind.SKIP, seen.result, f"{name} {got} was installed, not {chosen[i]}"
            )
        return seen

    return points, step, "version"


def _version(text: str, option: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise BisectInputError(f"{option} {text!r} is not a version; e.g. {option} 1.4") from None


def _installed_version(seen: Observation, name: str) -> Version | None:
    for line in seen.result.installed if seen.result else ():
        package, sep, version = line.partition("==")
        if sep and canonicalize_name(package) == name:
            try:
                return Version(version)
            except InvalidVersion:
                return None
    return None


def _folder_versions(folder: Path, name: str) -> set[Version]:
    """The versions of `name` among the wheels and sdists in a --find-links folder."""
    found: set[Version] = set()
    for path in folder.iterdir():
        try:
            if path.name.endswith(".whl"):
                package, version, *_ = parse_wheel_filename(path.name)
            elif path.name.endswith((".tar.gz", ".zip")):
                package, version = parse_sdist_filename(path.name)
            else:
                continue
        except ValueError:
            continue
        if package == name:
            found.add(version)
    return found


def _index_versions(name: str) -> set[Version]:
    """The versions of `name` on the package index uv would use (PEP 691 JSON simple API)."""
    index = (os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL")
             or os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple")  # fmt: skip
    url = f"{index.rstrip('/')}/{name}/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            data = json.load(answer)
    except (OSError, ValueError) as exc:
        raise BisectInputError(
            f"cannot list the versions of {name} from {url} ({exc}); pass --find-links DIR"
        ) from None
    found: set[Version] = set()
    for text in data.get("versions", []):
        try:
            found.add(Version(text))
        except InvalidVersion:
            continue
    if not found:  # an index without PEP 700's "versions": read them from the file names
        for file in data.get("files", []):
            match = re.match(r"[^-]+-([^-]+?)(?:-|\.tar\.gz$|\.zip$)", file.get("filename", ""))
            if match:
                try:
                    found.add(Version(match.group(1)))
                except InvalidVersion:
                    continue
    return found
