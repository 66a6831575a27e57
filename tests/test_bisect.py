"""freshboot bisect: over a template's git history and over a dependency's versions it names
the first bad step, goes around steps it cannot judge, and reports a flake instead of a guess."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Collection
from pathlib import Path

import pytest

from tests.helpers import freshboot, http_app
from tests.wheels import PACKAGE, package_template, write_wheels

SMOKE = """\
install: {install}
run: [[python, app.py]]
env: {{PORT: "{{{{ port }}}}"}}
ready: {{http: /, timeout: 15}}
fail_on: ['^Error:', 'Traceback \\(most recent call last\\)']
probes:
  - {{get: /, expect: {{status: 200}}}}
stop: {{signal: SIGINT, grace: 5, exit: 0}}
"""
BROKEN = "raise SystemExit('Error: QueueProviderMissing')"
FLAKY = """\
import pathlib
flag = pathlib.Path(os.environ["FLAKE_FILE"])
if not flag.exists():
    flag.touch()
    raise SystemExit("Error: port race, this time only")
"""


def _git(repo: Path, *words: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *words],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _history(
    root: Path, bad: int, flaky: int | None = None, unloadable: Collection[int] = ()
) -> Path:
    """A template repository of ten commits (step-0 .. step-9): the app breaks at `bad`, fails
    its first start only at `flaky`, and smoke.yaml does not load at the `unloadable` ones."""
    (root / "project").mkdir(parents=True)
    _git(root, "init", "-q")
    (root / "copier.yml").write_text("_subdirectory: project\nname: {type: str, default: demo}\n")
    for step in range(10):
        before = BROKEN if step >= bad else FLAKY if step == flaky else ""
        (root / "project" / "app.py").write_text(http_app(f'{{"step": {step}}}', "", before))
        smoke = SMOKE.format(install="[]")
        (root / "smoke.yaml").write_text("run: [\n" if step in unloadable else smoke)
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", f"step-{step}: change {step}")
        _git(root, "tag", f"step-{step}")
    return root


def _bisect(template: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    began = time.monotonic()
    done = freshboot(
        "bisect", "--template", template, "--variant", "default", "--out", tmp_path / "out",
        *args, tmp=tmp_path / "tmp",
    )  # fmt: skip
    print(f"bisect took {time.monotonic() - began:.1f} s:\n{done.stdout}{done.stderr}")
    return done


def test_names_the_first_bad_commit_and_leaves_the_repository_as_it_was(tmp_path: Path) -> None:
    repo = _history(tmp_path / "tpl", bad=6, unloadable={4})
    head, status = _git(repo, "rev-parse", "HEAD"), _git(repo, "status", "--porcelain")
    done = _bisect(repo, tmp_path, "--good", "step-0")
    assert done.returncode == 0, done.stdout + done.stderr
    bad = _git(repo, "rev-parse", "--short=10", "step-6")
    assert f"first bad commit: {bad} step-6: change 6\n" in done.stdout
    assert "  phase: boot\n" in done.stdout
    assert "  reason: Error: QueueProviderMissing" in done.stdout
    # step-4 went around, named by its file in the template, not a temporary folder
    assert "skip (the template does not load: smoke.yaml:2: invalid YAML" in done.stdout
    assert "a linear search would need 6 from the good end, 4 from the bad end" in done.stdout
    assert (_git(repo, "rev-parse", "HEAD"), _git(repo, "status", "--porcelain")) == (head, status)


def test_a_flaky_step_is_reported_not_blamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLAKE_FILE", str(tmp_path / "flake-seen"))
    repo = _history(tmp_path / "tpl", bad=7, flaky=4)
    done = _bisect(repo, tmp_path, "--good", "step-0", "--bad", "step-9")
    assert done.returncode == 1, done.stdout + done.stderr
    step4 = _git(repo, "rev-parse", "--short=10", "step-4")
    assert f"cannot decide: flaky: {step4} step-4: change 4 was bad then good" in done.stdout
    assert "first bad commit" not in done.stdout


def test_every_step_skipped_says_so_and_why(tmp_path: Path) -> None:
    repo = _history(tmp_path / "tpl", bad=6, unloadable=set(range(1, 9)))
    done = _bisect(repo, tmp_path, "--good", "step-0")
    assert done.returncode == 1, done.stdout + done.stderr
    step9 = _git(repo, "rev-parse", "--short=10", "step-9")
    assert "cannot decide: the first bad step is one of " in done.stdout
    assert f", {step9} (after " in done.stdout
    assert "could not be judged; skipped because: the template does not load: smoke.yaml:2" in (
        done.stdout
    )
    assert "first bad commit" not in done.stdout


def test_the_bad_end_must_fail(tmp_path: Path) -> None:
    repo = _history(tmp_path / "tpl", bad=99)
    done = _bisect(repo, tmp_path, "--good", "step-0", "--bad", "step-2")
    assert done.returncode == 1
    assert "cannot decide: the bad end" in done.stdout
    assert "does not fail: PASS" in done.stdout


def test_bad_refs_are_one_line(tmp_path: Path) -> None:
    repo = _history(tmp_path / "tpl", bad=6)
    done = _bisect(repo, tmp_path, "--good", "nope")
    assert done.returncode == 2
    assert done.stderr.startswith("freshboot: error: no commit or tag 'nope'")
    done = _bisect(repo, tmp_path, "--good", "step-5", "--bad", "step-2")
    assert done.returncode == 2
    assert "--good step-5 is not an ancestor of step-2; swap them?" in done.stderr


def test_names_the_first_bad_version(tmp_path: Path) -> None:
    wheels = write_wheels(tmp_path / "wheels")
    template = package_template(tmp_path / "tpl")
    done = _bisect(
        template, tmp_path, "--package", PACKAGE, "--good", "1.0", "--bad", "1.6",
        "--find-links", str(wheels),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bisect: 7 versions from 1.0 (good) to 1.6 (bad)" in done.stdout
    assert "first bad version: 1.4\n" in done.stdout
    assert f"  reason: RuntimeError: {PACKAGE} 1.4 broke start-up" in done.stdout
    assert "a linear search would need 4 from the good end, 3 from the bad end" in done.stdout


def test_walking_down_names_the_oldest_good_version(tmp_path: Path) -> None:
    wheels = write_wheels(tmp_path / "wheels", breaks=range(3))  # 1.0 to 1.2 break: too low
    template = package_template(tmp_path / "tpl")
    done = _bisect(
        template, tmp_path, "--package", PACKAGE, "--good", "1.6", "--bad", "1.0",
        "--find-links", str(wheels),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "oldest good version: 1.3 (1.2 and older fail)\n" in done.stdout


def test_a_version_not_there_is_one_line(tmp_path: Path) -> None:
    wheels = write_wheels(tmp_path / "wheels", range(3))
    template = package_template(tmp_path / "tpl")
    done = _bisect(
        template, tmp_path, "--package", PACKAGE, "--good", "1.0", "--bad", "1.6",
        "--find-links", str(wheels),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"freshboot: error: --bad 1.6: {PACKAGE} 1.6 is not in {wheels}\n"
