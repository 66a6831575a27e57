"""A cookiecutter template (cookiecutter.json and a smoke.yaml) is a template like a Copier one:
its option space read as cookiecutter reads it, rendered by cookiecutter itself, its hooks run
only with --trust, each variant booted and judged."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import OrderedDict
from pathlib import Path

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from scaffolder.model import read_template
from scaffolder.variants import load_variants
from tests.helpers import ROOT, freshboot, leftovers, smoke_json

COOKIE = ROOT / "tests" / "templates" / "cookie"
HOOK = "hooks/post_gen_project.py"


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(COOKIE, tmp_path / "cookie"))


def test_variants_read_cookiecutter_json_as_cookiecutter_does() -> None:
    """Lists are choices, booleans vary, templated defaults render with `cookiecutter.<name>`,
    `_` keys are settings and `__` keys computed; the default variant is exactly what
    cookiecutter --no-input makes of the file."""
    done = freshboot("variants", "--template", COOKIE, "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = {v["id"]: v["answers"] for v in json.loads(done.stdout)}
    assert list(listed) == ["default", "no-with-jobs", "bonjour", "bonjour-no-with-jobs"]
    assert listed["bonjour-no-with-jobs"] == {
        "project_name": "Cookie App", "project_slug": "cookie_app", "greeting": "bonjour",
        "with_jobs": False, "port_variable": "PORT",
    }  # fmt: skip
    context = generate_context(str(COOKIE / "cookiecutter.json"))
    theirs = prompt_for_config(context, no_input=True)
    default = load_variants(read_template(COOKIE))[0]
    assert {**default.computed, **default.answers} == {
        k: v for k, v in OrderedDict(theirs).items() if not k.startswith("_") or k.startswith("__")
    }


def test_hooks_are_refused_without_trust(tmp_path: Path) -> None:
    done = freshboot("smoke", "--template", COOKIE, "--out", tmp_path / "out", tmp=tmp_path / "t")
    assert done.returncode == 2
    assert done.stderr == (
        f"freshboot: error: {COOKIE} runs its own code on generation ({HOOK}); read it, then "
        "pass --trust if you trust it\n"
    )
    assert not (tmp_path / "out").exists()


def test_every_variant_boots_with_trust(tmp_path: Path) -> None:
    """The hook ran (the app refuses to start without its file), `cookiecutter.__server` and
    the plain answer names both render in smoke.yaml, `_copy_without_render` files keep their
    braces without being taken for unrendered expressions; nothing is left behind."""
    done, results = smoke_json(COOKIE, tmp_path, "--trust")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {v: r["status"] for v, r in results.items()} == dict.fromkeys(
        ["default", "no-with-jobs", "bonjour", "bonjour-no-with-jobs"], "PASS"
    )
    log = (tmp_path / "out" / "bonjour.log").read_text()
    assert "$ cookiecutter --no-input" in log
    assert "post-gen hook: done" in log
    assert leftovers(tmp_path / "tmp") == []


def test_skipped_hooks_need_no_trust_and_the_project_misses_them(tmp_path: Path) -> None:
    """--skip-tasks skips cookiecutter's hooks as copier's tasks: no --trust needed; this
    project needs its hook, so it fails to start, and says why."""
    done, results = smoke_json(COOKIE, tmp_path, "--skip-tasks", "--variant", "default")
    assert done.returncode == 1, done.stdout + done.stderr
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "boot")
    assert "Error: the post-gen hook did not run" in result["reason"]


def test_a_failing_hook_fails_generate_only_where_it_fails(tmp_path: Path) -> None:
    template = _copy(tmp_path)
    hook = template / HOOK
    hook.write_text(
        'import sys\nif "{{ cookiecutter.greeting }}" == "bonjour":\n'
        '    sys.exit("hook: no French templates yet")\n' + hook.read_text()
    )
    done, results = smoke_json(template, tmp_path, "--trust")
    assert done.returncode == 1
    statuses = {v: (r["status"], r["phase"]) for v, r in results.items()}
    assert statuses == {
        "default": ("PASS", "done"), "no-with-jobs": ("PASS", "done"),
        "bonjour": ("FAIL", "generate"), "bonjour-no-with-jobs": ("FAIL", "generate"),
    }  # fmt: skip
    assert results["bonjour"]["reason"] == (
        f"cookiecutter hook '{HOOK}' exited with status 1: hook: no French templates yet"
    )


def test_a_configuration_only_bug_fails_in_its_phase_only(tmp_path: Path) -> None:
    """What rendering alone (pytest-cookies' bake) never sees: the app imports the module the
    hook removes when jobs are off. Only those variants fail, when the app starts."""
    template = _copy(tmp_path)
    app = next(template.glob("*/app.py"))
    app.write_text(app.read_text().replace("import json\n", "import json\nimport jobs\n", 1))
    done, results = smoke_json(template, tmp_path, "--trust")
    assert done.returncode == 1
    failed = {v: r for v, r in results.items() if r["status"] != "PASS"}
    assert sorted(failed) == ["bonjour-no-with-jobs", "no-with-jobs"]
    assert failed["no-with-jobs"]["phase"] == "boot"
    assert "No module named 'jobs'" in failed["no-with-jobs"]["reason"]


def test_an_unrendered_expression_fails_generate(tmp_path: Path) -> None:
    template = _copy(tmp_path)
    (next(template.glob("{{*}}")) / "README.md").write_text(
        "{% raw %}Run {{ cookiecutter.project_slug }}{% endraw %}\n"
    )
    done, results = smoke_json(template, tmp_path, "--trust", "--variant", "default")
    assert done.returncode == 1
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "generate")
    assert result["reason"].startswith("unrendered cookiecutter expressions in 1 file(s)")
    assert "README.md:1: Run {{ cookiecutter.project_slug }}" in result["reason"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "cookiecutter.json: invalid JSON"),
        ('{"greeting": []}', "cookiecutter.json: greeting is an empty list of choices"),
        (
            '{"a": "{{ cookiecutter.nope }}"}',
            "cookiecutter.json question 'a' default: cannot render",
        ),
    ],
)
def test_a_broken_cookiecutter_json_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    template = _copy(tmp_path)
    (template / "cookiecutter.json").write_text(text)
    done = freshboot("variants", "--template", template)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_list_pin_makes_a_text_variable_vary(tmp_path: Path) -> None:
    """cookiecutter-django's yes/no variables are text ("n"): a list pin makes them vary, and
    a templated default follows each value."""
    template = _copy(tmp_path)
    with (template / "smoke.yaml").open("a") as out:
        out.write(
            "pin: {project_name: [Cookie App, Other App], greeting: hello, with_jobs: true}\n"
        )
    done = freshboot("variants", "--template", template, "--format", "json")
    assert done.returncode == 0, done.stderr
    slugs = [v["answers"]["project_slug"] for v in json.loads(done.stdout)]
    assert slugs == ["cookie_app", "other_app"]


def test_pin_exclude_and_k_name_cookiecutter_variables(tmp_path: Path) -> None:
    template = _copy(tmp_path)
    with (template / "smoke.yaml").open("a") as out:
        out.write(
            "pin: {project_name: Pinned App}\nexclude:\n  - {greeting: bonjour, with_jobs: false}\n"
        )
    done = freshboot("variants", "--template", template, "--format", "json", "-k", "bonjour")
    assert done.returncode == 0, done.stderr
    [only] = json.loads(done.stdout)
    assert only["id"] == "bonjour"
    assert only["answers"]["project_slug"] == "pinned_app"


def test_changed_since_skips_the_variants_a_change_cannot_reach(tmp_path: Path) -> None:
    """Rendered by cookiecutter at both refs, trees compared: a change inside a greeting
    condition reaches only those variants (hooks removed: rendering runs no template code)."""
    template = _copy(tmp_path)
    shutil.rmtree(template / "hooks")
    git = ["git", "-C", str(template), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    app = next(template.glob("*/app.py"))
    app.write_text(
        app.read_text() + "{% if cookiecutter.greeting == 'bonjour' %}# salut\n{% endif %}"
    )
    _done, results = smoke_json(template, tmp_path, "--changed-since", "HEAD")
    skipped = sorted(v for v, r in results.items() if r["status"] == "SKIP")
    assert skipped == ["default", "no-with-jobs"]


def test_init_writes_a_first_smoke_yaml_for_a_cookiecutter_template(tmp_path: Path) -> None:
    template = _copy(tmp_path)
    (template / "smoke.yaml").unlink()
    done = freshboot("init", template, "--trust", "--out", tmp_path / "out")
    assert f"wrote {template}/smoke.yaml (from variant 'default')" in done.stdout
    assert f"note: the template has hooks ({HOOK}); they ran (--trust)" in done.stdout
    text = (template / "smoke.yaml").read_text()
    assert f"# the template has hooks ({HOOK}): `freshboot smoke --trust` runs them" in text
    assert 'ready: {http: "/health"' in text


def test_bisect_names_the_commit_that_broke_one_variant(tmp_path: Path) -> None:
    """Each step renders with cookiecutter and renders smoke.yaml with `cookiecutter.<name>`."""
    template = _copy(tmp_path)
    git = ["git", "-C", str(template), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "good"], check=True)
    app = next(template.glob("*/app.py"))
    app.write_text(app.read_text().replace(
        "import json\n", "import json\n{% if cookiecutter.greeting == 'bonjour' %}import nope{% endif %}\n"
    ))  # fmt: skip
    subprocess.run(
        [*git, "commit", "-qam", "bonjour imports a module that is not there"], check=True
    )
    done = freshboot("bisect", "--template", template, "--variant", "bonjour", "--good", "HEAD~1",
                     "--trust", "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bonjour imports a module that is not there" in done.stdout.split("first bad commit:")[1]
    assert "No module named 'nope'" in done.stdout
