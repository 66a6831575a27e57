"""A generator command (smoke.yaml `generate.command`, no copier.yml) is a template like any
other: its option space is smoke.yaml's axes, the command is run (with --trust only) in an
empty folder that becomes the project, and each variant is booted and judged."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import ROOT, freshboot, leftovers, smoke_json

GEN_SCRIPT = ROOT / "tests" / "templates" / "gen-script"
DJANGO = ROOT / "tests" / "templates" / "django"


def _copy(tmp_path: Path, source: Path = GEN_SCRIPT, **changes: object) -> Path:
    """The template copied to `tmp_path`, with these smoke.yaml keys replaced."""
    template = Path(shutil.copytree(source, tmp_path / source.name))
    smoke = template / "smoke.yaml"
    spec = yaml.safe_load(smoke.read_text())
    smoke.write_text(yaml.safe_dump({**spec, **changes}))
    return template


def test_a_generator_command_is_refused_without_trust(tmp_path: Path) -> None:
    done = freshboot("smoke", "--template", GEN_SCRIPT, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr == (
        f"freshboot: error: {GEN_SCRIPT} runs its own code on generation (smoke.yaml "
        "generate.command); read it, then pass --trust if you trust it\n"
    )
    assert not (tmp_path / "out").exists()


def test_the_known_bad_combination_fails_and_only_there(tmp_path: Path) -> None:
    """The axes are the generator's options; `--store memory --jobs thread` makes an app that
    dies at start (as Loco's BackgroundAsync project did): that variant FAILs at boot with
    the app's own words, every other one passes, nothing is left running."""
    done, results = smoke_json(GEN_SCRIPT, tmp_path, "--trust")
    assert done.returncode == 1
    statuses = {v: (r["status"], r["phase"]) for v, r in results.items()}
    assert statuses == {
        "default": ("PASS", "done"), "thread": ("PASS", "done"), "memory": ("PASS", "done"),
        "memory-thread": ("FAIL", "boot"),
    }  # fmt: skip
    assert (
        "QueueProviderMissing: the memory store has no queue"
        in (results["memory-thread"]["reason"])
    )
    assert results["memory-thread"]["repro"].endswith("--variant memory-thread --trust")
    log = (tmp_path / "out" / "memory-thread.log").read_text()
    assert f"$ python3 {GEN_SCRIPT}/gen.py --name demo --store memory --jobs thread" in log
    assert leftovers(tmp_path / "tmp") == []


def test_a_generator_that_refuses_its_options_fails_generate(tmp_path: Path) -> None:
    template = _copy(tmp_path, axes={"store": ["file"], "jobs": ["none", "celery"]})
    done, results = smoke_json(template, tmp_path, "--trust")
    assert done.returncode == 1
    assert results["default"]["status"] == "PASS"
    celery = results["celery"]
    assert (celery["status"], celery["phase"]) == ("FAIL", "generate")
    assert celery["reason"].startswith(f"python3 {template}/gen.py --name demo --store file")
    assert (
        "exited with status 2: gen.py: error: argument --jobs: invalid choice: 'celery'"
        in (celery["reason"])
    )


@pytest.mark.parametrize(
    ("generate", "status", "reason"),
    [
        (
            {"command": ["no-such-generator", "new"]},
            "ERROR",
            "generator not found: no-such-generator; install it, or list its package in "
            "smoke.yaml generate.install",
        ),
        (
            {"command": ["python3", "-c", "pass"]},
            "FAIL",
            "python3 -c pass made no files in its folder",
        ),
        (
            {"command": ["no-such-generator"], "install": ["freshboot-no-such-package-xyz"]},
            "ERROR",
            "freshboot could not install the generator (freshboot-no-such-package-xyz): ",
        ),
    ],
)
def test_whose_fault_a_generator_that_cannot_run_is(
    tmp_path: Path, generate: dict[str, object], status: str, reason: str
) -> None:
    """A generator that is not there (or cannot be installed) is not the project's fault: an
    ERROR; one that runs and makes nothing is the generator's FAIL."""
    template = _copy(tmp_path, generate=generate, axes={"store": ["file"]})
    _done, results = smoke_json(template, tmp_path, "--trust")
    result = results["default"]
    assert (result["status"], result["phase"]) == (status, "generate")
    assert result["reason"].startswith(reason)


@pytest.mark.parametrize(
    ("folder", "smoke", "message"),
    [
        (
            "gen",
            "run: [[x]]\nready: {http: /}\n",
            "smoke.yaml: generate.command is missing: without copier.yml or cookiecutter.json, "
            "give the command that makes a project, e.g. generate: {command: [uv, init, --app]}",
        ),
        (
            "copier",
            "generate: {command: [uv, init]}\nrun: [[x]]\nready: {http: /}\n",
            "smoke.yaml:1: generate.command: copier makes this template's projects; remove "
            "generate.command",
        ),
    ],
)
def test_generate_command_belongs_to_templates_without_a_generator(
    tmp_path: Path, folder: str, smoke: str, message: str
) -> None:
    template = tmp_path / folder
    template.mkdir()
    (template / "smoke.yaml").write_text(smoke)
    if folder == "copier":
        (template / "copier.yml").write_text("name: {type: str, default: x}\n")
    done = freshboot("variants", "--template", template)
    assert done.returncode == 2
    assert done.stderr == f"freshboot: error: {template}/{message}\n"


def test_upgrade_from_is_refused_for_a_generator_without_an_upgrade_path(tmp_path: Path) -> None:
    done = freshboot("smoke", "--template", GEN_SCRIPT, "--trust", "--upgrade-from", "HEAD",
                     "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "freshboot: error: --upgrade-from: a generator command has no upgrade path (copier "
        "update is Copier's); drop --upgrade-from\n"
    )


def test_changed_since_runs_the_generator_at_both_refs(tmp_path: Path) -> None:
    """A change to the generator that changes no project skips every variant; one that
    changes the projects skips none."""
    template = _copy(tmp_path)
    git = ["git", "-C", str(template), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    script = template / "gen.py"
    script.write_text(script.read_text().replace('"""A project generator', '"""A generator'))
    _done, results = smoke_json(template, tmp_path / "a", "--trust", "--changed-since", "HEAD")
    assert {r["status"] for r in results.values()} == {"SKIP"}
    script.write_text(script.read_text().replace("the memory store", "the in-memory store"))
    _done, results = smoke_json(template, tmp_path / "b", "--trust", "--changed-since", "HEAD")
    assert "SKIP" not in {r["status"] for r in results.values()}


def test_init_writes_generate_command_and_refuses_without_trust(tmp_path: Path) -> None:
    folder = tmp_path / "gen"
    folder.mkdir()
    command = f"python3 {GEN_SCRIPT}/gen.py --name demo"
    refused = freshboot("init", folder, "--generate", command, "--out", tmp_path / "out")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"freshboot: error: --generate runs {command}; read it, then pass --trust if you trust it\n"
    )
    assert not (folder / "smoke.yaml").exists()
    done = freshboot("init", folder, "--generate", command, "--trust", "--out", tmp_path / "out")
    assert f"wrote {folder}/smoke.yaml (from what {command} made)" in done.stdout
    spec = yaml.safe_load((folder / "smoke.yaml").read_text())
    assert spec["generate"] == {"command": command.split()}
    assert spec["ready"]["http"] == "/health"
    listed = freshboot("variants", "--template", folder)
    assert listed.returncode == 0, listed.stderr


@pytest.mark.slow
def test_django_startproject_over_two_settings_boots_in_the_background(tmp_path: Path) -> None:
    """`django-admin startproject`, installed by freshboot from PyPI, over an axis of two
    settings variants, each booted with `runserver` and stopped with Ctrl-C's signal, from a
    freshboot started as a shell starts a background job: SIGINT ignored."""
    command = [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(DJANGO),
               "--trust", "--out", str(tmp_path / "out")]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  default" in done.stdout
    assert "PASS  deployed" in done.stdout
    log = (tmp_path / "out" / "deployed.log").read_text()
    assert "$ django-admin startproject mysite ." in log
    assert leftovers(tmp_path / "tmp") == []


def test_a_local_generator_is_reinstalled_when_its_source_changes(tmp_path: Path) -> None:
    """A framework testing its own, unreleased generator: `generate.install` names its
    checkout (relative to the template). A change to its source is what runs next time,
    never an older build from the cache."""
    template = _copy(
        tmp_path, generate={"install": ["./mkdemo"], "command": ["mkdemo"]},
        axes={"store": ["file"], "jobs": ["none"]},
    )  # fmt: skip
    package = template / "mkdemo"
    package.mkdir()
    (package / "pyproject.toml").write_text(
        '[project]\nname = "mkdemo"\nversion = "0"\n[project.scripts]\nmkdemo = "mkdemo:main"\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )
    script = (GEN_SCRIPT / "gen.py").read_text()
    main = "def main() -> None:\n    import sys\n    sys.argv[1:] = ['--name', 'demo']\n"
    body = script.split("parser = argparse.ArgumentParser()\n")[1]
    source = package / "mkdemo.py"
    source.write_text(script.split("parser =")[0] + main + "".join(
        f"    {line}\n" for line in ("parser = argparse.ArgumentParser()\n" + body).splitlines()
    ))  # fmt: skip
    cache = tmp_path / "cache"
    _done, first = _smoke_in(template, tmp_path / "one", cache)
    assert first["default"]["status"] == "PASS", first["default"]["reason"]
    source.write_text(source.read_text().replace('"ok": True', '"ok": False'))
    _done, second = _smoke_in(template, tmp_path / "two", cache)
    assert (second["default"]["status"], second["default"]["phase"]) == ("FAIL", "probe")


def _smoke_in(template: Path, folder: Path, cache: Path) -> tuple[object, dict[str, Any]]:
    """`freshboot smoke --trust --json` with its own output folder and the given cache."""
    report = folder / "results.json"
    done = freshboot("smoke", "--template", template, "--trust", "--out", folder / "out",
                     "--json", report, tmp=folder / "tmp", cache=cache)  # fmt: skip
    assert report.exists(), done.stdout + done.stderr
    return done, {r["variant"]: r for r in json.loads(report.read_text())["results"]}
