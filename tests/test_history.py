"""A template's history put to work: upgrading a project generated from an older tag
(works, breaks start-up, conflicts) and skipping the variants a change cannot affect."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.helpers import freshboot, http_app, leftovers, smoke_json

SMOKE = """\
run: [[python, app.py]]
env: {{PORT: "{{{{ port }}}}"}}
ready: {{http: /, timeout: 10}}
fail_on: ['^Error:']
probes:
  - {{get: /, expect: {{status: 200, json: {{version: {version}}}}}}}
stop: {{signal: SIGINT, grace: 5, exit: 0}}
"""


def _app(version: int, before_start: str = "") -> str:
    """Version `version` of the app; its first boot writes to a file the template generated."""
    first_boot = 'with open("state.txt", "a") as state:\n    state.write("booted\\n")'
    return http_app(
        f'{{"ok": True, "version": {version}}}', before_start=f"{before_start}\n{first_boot}"
    )


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _write_version(
    repo: Path, version: int, state: str = "initial\n", before_start: str = ""
) -> None:
    (repo / "project").mkdir(parents=True, exist_ok=True)
    (repo / "copier.yml").write_text(
        "_subdirectory: project\nname:\n  type: str\n  default: demo\n"
    )
    (repo / "smoke.yaml").write_text(SMOKE.format(version=version))
    (repo / "project" / "app.py").write_text(_app(version, before_start))
    (repo / "project" / "state.txt").write_text(state)
    (repo / "project" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}\n"
    )


def _template(tmp_path: Path, **v2: str) -> Path:
    """A git template with tag v1, and version 2 (as `v2` changes it) uncommitted on top."""
    repo = tmp_path / "tpl"
    _write_version(repo, 1)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    _git(repo, "tag", "v1")
    _write_version(repo, 2, **v2)
    return repo


def test_upgrade_that_works(tmp_path: Path) -> None:
    template = _template(tmp_path)
    done, results = smoke_json(template, tmp_path, "--upgrade-from", "v1")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("PASS", "done"), done.stdout
    assert {"render", "environment", "upgrade", "boot", "checks", "stop"} <= set(result["timings"])
    assert result["repro"].endswith("--variant default --upgrade-from v1")
    assert leftovers(tmp_path / "tmp") == []


def test_upgrade_that_breaks_start_up(tmp_path: Path) -> None:
    template = _template(
        tmp_path, before_start='print("Error: config key renamed in v2", flush=True)'
    )
    done, results = smoke_json(template, tmp_path, "--upgrade-from", "v1")
    result = results["default"]
    assert done.returncode == 1
    assert (result["status"], result["phase"], result["reason"]) == (
        "FAIL",
        "boot",
        "Error: config key renamed in v2",
    )


def test_upgrade_that_conflicts(tmp_path: Path) -> None:
    template = _template(tmp_path, state="rewritten by v2\n")
    done, results = smoke_json(template, tmp_path, "--upgrade-from", "v1")
    result = results["default"]
    assert done.returncode == 1
    assert (result["status"], result["phase"]) == ("FAIL", "upgrade"), result
    assert result["reason"] == "copier update from v1 conflicts in state.txt"


def test_broken_baseline_is_named(tmp_path: Path) -> None:
    template = _template(tmp_path)
    app = template / "project" / "app.py"
    _write_version(template, 1, before_start='print("Error: v1 was broken", flush=True)')
    _git(template, "add", "-A")
    _git(template, "commit", "-qm", "v1 broken")
    _git(template, "tag", "v1-broken")
    _write_version(template, 2)
    assert "v1 was broken" not in app.read_text()
    _, results = smoke_json(template, tmp_path, "--upgrade-from", "v1-broken")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot")
    assert result["reason"] == "baseline (template at v1-broken): Error: v1 was broken"


def test_unknown_ref_is_bad_input(tmp_path: Path) -> None:
    template = _template(tmp_path)
    done = freshboot(
        "smoke", "--template", template, "--out", tmp_path / "out", "--upgrade-from", "v9"
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"freshboot: error: no commit or tag 'v9' in {template}; 'git tag' lists the tags"
    )


def test_changed_since_skips_byte_identical_variants(tmp_path: Path) -> None:
    repo = tmp_path / "tpl"
    (repo / "project").mkdir(parents=True)
    (repo / "copier.yml").write_text(
        textwrap.dedent("""\
            _subdirectory: project
            flavour:
              type: str
              default: plain
              choices: [plain, fancy]
        """)
    )
    (repo / "smoke.yaml").write_text(SMOKE.format(version=1))
    (repo / "project" / "app.py").write_text(_app(1))
    (repo / "project" / "state.txt").write_text("initial\n")
    fancy = repo / "project" / "{% if flavour == 'fancy' %}fancy.txt{% endif %}.jinja"
    fancy.write_text("fancy v1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "v1")
    fancy.write_text("fancy v2\n")  # only the fancy variant renders this file

    done, results = smoke_json(repo, tmp_path, "--changed-since", "HEAD")

    assert done.returncode == 0, done.stdout
    assert results["default"]["status"] == "SKIP"
    assert (
        results["default"]["reason"]
        == "unchanged since HEAD: the rendered project is byte-identical"
    )
    assert (results["fancy"]["status"], results["fancy"]["phase"]) == ("PASS", "done")
