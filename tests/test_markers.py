"""The leftover-marker check flags only what copier left unrendered (a forgotten `.jinja`
suffix, a templated name never rendered), never the braces of other tools in a real project."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from scaffolder.render import leftover_markers, render_project
from smoke_tests.spec import SpecError, load_spec
from tests.helpers import freshboot, http_app, smoke_json, write_template

APP = http_app('{"ok": True}')
SMOKE = """\
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 10}
"""
COPIER = textwrap.dedent("""\
    project_name:
      type: str
      default: shop
    use_docker:
      type: bool
      default: false
    """)
# Other tools' braces, as real projects hold them, each copied verbatim (no .jinja suffix).
FOREIGN = {
    "templates/base.html": (
        "<title>{% block title %}{{ site_name }}{% endblock %}</title>\n"
        "{% load static %}<link href=\"{% static 'site.css' %}\">\n"
        "{% block content %}{% endblock %}\n"
    ),
    "templates/home.html": (
        '{% extends "base.html" %}\n'
        "{% block content %}\n"
        "{% if user.is_authenticated %}Hello {{ user.username|title }}{% endif %}\n"
        "{% for item in items %}<li>{{ item.name }}</li>{% endfor %}\n"
        "<a href=\"{% url 'home' %}\">home</a>{# a comment #}\n"
        "{% endblock %}\n"
    ),
    ".github/workflows/ci.yml": (
        "jobs:\n  test:\n    strategy:\n      matrix:\n"
        "        python-version: ['3.12', '3.13']\n"
        "    steps:\n"
        "      - uses: actions/setup-python@v5\n"
        "        with: {python-version: '${{ matrix.python-version }}'}\n"
        "      - run: echo ${{ github.ref }} ${{ secrets.TOKEN }}\n"
    ),
    "justfile": (
        "call_recipe := 'uv run'\n\ntest:\n    {{call_recipe}} pytest {{ justfile_directory() }}\n"
    ),
    "Taskfile.yml": (
        "version: '3'\nvars:\n  UV_RUN: uv run\ntasks:\n  test:\n"
        "    cmds:\n      - '{{.UV_RUN}} pytest {{.CLI_ARGS}}'\n"
        "      - '{{ if .CI }}echo ci{{ end }}'\n"
    ),
    "report.py": (
        "def quoted(field: str) -> str:\n"
        "    return f\"'{{field}}' is {{{{escaped}}}}, {field!r}\"\n"
    ),
}
# A rendered file that deliberately writes Django markers (escaped for copier).
RENDERED = {
    "templates/page.html.jinja": (
        "<h1>{{ project_name }}</h1>\n"
        "{{ '{%' }} block body {{ '%}' }}{% raw %}{{ request.path }}{% endraw %}"
        "{{ '{%' }} endblock {{ '%}' }}\n"
    ),
}


def _flat_template(root: Path, copier: str, files: dict[str, str]) -> Path:
    """A template without `_subdirectory`: everything next to copier.yml is the project,
    smoke.yaml included."""
    root.mkdir(parents=True)
    (root / "copier.yml").write_text(copier)
    (root / "smoke.yaml").write_text(SMOKE)
    for name, text in {"app.py": APP, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_other_tools_braces_are_not_flagged(tmp_path: Path, name: str) -> None:
    template = _flat_template(tmp_path / "tpl", COPIER, {name: FOREIGN[name]})
    project = render_project(template, {}, tmp_path / "out")
    assert (project / name).read_text() == FOREIGN[name]  # copied as is, braces and all
    assert leftover_markers(project, template) == []


def test_escaped_markers_in_a_rendered_file_are_not_flagged(tmp_path: Path) -> None:
    template = _flat_template(tmp_path / "tpl", COPIER, RENDERED)
    project = render_project(template, {}, tmp_path / "out")
    assert (
        "{% block body %}{{ request.path }}{% endblock %}"
        in (project / "templates" / "page.html").read_text()
    )
    assert leftover_markers(project, template) == []


def test_real_project_passes_generate_and_smoke_yaml_warns_once(tmp_path: Path) -> None:
    template = _flat_template(tmp_path / "tpl", COPIER, {**FOREIGN, **RENDERED})
    (template / "smoke.yaml").write_text(SMOKE + "# {{ project_name }} is not flagged here\n")
    done, results = smoke_json(template, tmp_path)
    assert sorted(results) == ["default", "use-docker"]
    for result in results.values():
        assert result["status"] == "PASS", result
    warnings = [line for line in done.stderr.splitlines() if "smoke.yaml" in line]
    assert warnings == [
        "freshboot: warning: the template's smoke.yaml lands in every generated project; "
        "add it to _exclude in copier.yml (or keep the project in a _subdirectory)"
    ]


FORGOTTEN = {
    # Only projects with docker get this file, and its .jinja suffix was forgotten.
    "{% if use_docker %}docker.env{% endif %}": "# settings\nCOMPOSE_PROJECT_NAME={{ project_name }}\n",
}


def test_forgotten_jinja_suffix_fails_generate_naming_file_and_line(tmp_path: Path) -> None:
    template = write_template(tmp_path / "tpl", COPIER, SMOKE, {"app.py": APP, **FORGOTTEN})
    done, results = smoke_json(template, tmp_path)
    assert results["default"]["status"] == "PASS", results["default"]
    broken = results["use-docker"]
    assert (broken["status"], broken["phase"]) == ("FAIL", "generate")
    assert broken["reason"] == (
        "unrendered Copier expressions in 1 file(s) (a missing .jinja suffix?): "
        "docker.env:2: COMPOSE_PROJECT_NAME={{ project_name }}"
    )
    assert broken["excerpt"] == ["docker.env:2: COMPOSE_PROJECT_NAME={{ project_name }}"]
    log = Path(broken["log"]).read_text()
    assert "docker.env:2: COMPOSE_PROJECT_NAME={{ project_name }}" in log
    assert done.returncode == 1


@pytest.mark.parametrize(
    "generate",
    ["generate: {markers: false}", "generate: {ignore: ['*.env', 'templates/**']}"],
)
def test_the_check_can_be_turned_off_or_narrowed(tmp_path: Path, generate: str) -> None:
    smoke = f"{SMOKE}{generate}\n"
    template = write_template(tmp_path / "tpl", COPIER, smoke, {"app.py": APP, **FORGOTTEN})
    _, results = smoke_json(template, tmp_path, "--variant", "use-docker")
    assert results["use-docker"]["status"] == "PASS", results["use-docker"]


def test_unrendered_templated_name_fails_generate(tmp_path: Path) -> None:
    # With [[ ]] delimiters copier renders names in [[ ]] only: the {{ }} ones stay as they are.
    copier = (
        "_envops: {variable_start_string: '[[', variable_end_string: ']]', "
        "block_start_string: '[%', block_end_string: '%]'}\n" + COPIER
    )
    files = {"app.py": APP, "[[ project_name ]].txt": "fine\n", "{{ project_name }}.cfg": "x\n"}
    template = write_template(tmp_path / "tpl", copier, SMOKE, files)
    _, results = smoke_json(template, tmp_path, "--variant", "default")
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "generate"), result
    assert result["excerpt"] == [
        "{{ project_name }}.cfg: file name holds unrendered {{ project_name }}"
    ]


def test_names_and_delimiters_follow_the_template(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(
        "_envops: {variable_start_string: '[[', variable_end_string: ']]'}\n" + COPIER
    )
    (template / "page.html").write_text("<p>{{ project_name }}</p>\n")  # not its delimiters
    (template / "notes.txt").write_text("line\nname: [[ project_name ]]\n")  # forgotten suffix
    project = render_project(template, {}, tmp_path / "out")
    assert leftover_markers(project, template) == ["notes.txt:2: name: [[ project_name ]]"]

    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "copier.yml").write_text(COPIER)
    for folder in ("{{ '{{' }} project_name }}", "{{ '{{' }}cookiecutter.slug}}"):
        (plain / folder).mkdir()  # names that render to markers: only the first is copier's
        (plain / folder / "keep.txt").write_text("x\n")
    project = render_project(plain, {}, tmp_path / "out2")
    assert sorted(p.name for p in project.iterdir() if p.is_dir()) == [
        "{{ project_name }}",
        "{{cookiecutter.slug}}",
    ]
    assert leftover_markers(project, plain) == [
        "{{ project_name }}: folder name holds unrendered {{ project_name }}"
    ]


def test_copier_variables_count_and_only_regular_text_is_read(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(COPIER)
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.txt").write_text("dest: {{ _copier_conf.dst_path }}\n")
    (project / "b.txt").write_text("{% if use_docker %}\nx\n{% endif %}\n")
    (project / "c.txt").write_text("{{ _folder_name }}\n")
    (project / "binary.bin").write_bytes(b"\0\1{{ project_name }}")
    (project / "big.txt").write_text("x" * (1 << 20) + "{{ project_name }}\n")
    (project / "link.txt").symlink_to(project / "a.txt")
    (project / "zero").symlink_to("/dev/zero")
    os.mkfifo(project / "fifo")  # never opened for long: reading it would block forever
    (project / "node_modules").mkdir()
    (project / "node_modules" / "x.txt").write_text("{{ project_name }}\n")
    assert leftover_markers(project, template) == [
        "a.txt:1: dest: {{ _copier_conf.dst_path }}",
        "b.txt:1: {% if use_docker %}",
        "c.txt:1: {{ _folder_name }}",
    ]
    assert leftover_markers(project, template, ["[ab].txt"]) == ["c.txt:1: {{ _folder_name }}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("generate: {markers: maybe}\n", "smoke.yaml:4: generate.markers: expected true or false, got 'maybe'"),
        ("generate: {ignore: '*.html'}\n", "smoke.yaml:4: generate.ignore: expected a list, got str"),
        ("generate: {ignore: ['']}\n", "generate.ignore[0]: expected a non-empty string"),
        ("generate: {bogus: 1}\n", "smoke.yaml:4: generate.bogus: unknown key; expected one of command, ignore, install, markers"),
    ],
)  # fmt: skip
def test_generate_key_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "smoke.yaml").write_text(SMOKE + text)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert message in str(caught.value)
    assert str(tmp_path / "smoke.yaml") in str(caught.value)


def test_bad_generate_key_is_one_line_on_the_command_line(tmp_path: Path) -> None:
    template = write_template(tmp_path / "tpl", COPIER, SMOKE + "generate: []\n", {"app.py": APP})
    done = freshboot("smoke", "--template", template, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("smoke.yaml:4: generate: expected a mapping, got list")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_megabyte_of_braces_is_scanned_quickly(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(COPIER)
    project = tmp_path / "project"
    project.mkdir()
    (project / "braces.txt").write_text("{{" * (1 << 19))  # no closing: no marker at all
    (project / "late.txt").write_text("{{" * (1 << 18) + " x }}\n{{ project_name }}\n")
    (project / "many.txt").write_text("{{ item.name }} {% if user %}\n" * 20000)
    started = time.monotonic()
    found = leftover_markers(project, template)
    assert found == ["late.txt:2: {{ project_name }}"]
    assert time.monotonic() - started < 15  # a naive scan took over a minute
