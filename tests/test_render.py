"""Rendering through real copier: the working tree (not the latest tag) of a git template,
unrendered markers found, and a render reused only when nothing it depends on changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scaffolder.errors import RenderError
from scaffolder.render import (
    leftover_markers,
    render_cached,
    render_key,
    render_project,
)


def _template(root: Path, greeting: str = "hello") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text("name:\n  type: str\n  default: world\n")
    (root / "greeting.txt.jinja").write_text(greeting + " {{ name }}\n")
    return root


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_git_template_renders_working_tree_not_latest_tag(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl", "tagged")
    _git(template, "init", "-q")
    _git(template, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    _git(template, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    _git(template, "tag", "v1.0.0")
    (template / "greeting.txt.jinja").write_text("uncommitted {{ name }}\n")
    (template / "new.txt").write_text("untracked file\n")

    out = render_project(template, {"name": "there"}, tmp_path / "out")

    assert (out / "greeting.txt").read_text() == "uncommitted there\n"
    assert (out / "new.txt").read_text() == "untracked file\n"


def test_cache_reuses_identical_state_and_notices_changes(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl")
    cache = tmp_path / "cache"
    key = render_key(template, {"name": "a"})
    assert render_key(template, {"name": "a"}) == key
    assert render_key(template, {"name": "b"}) != key

    first = render_cached(template, {"name": "a"}, tmp_path / "p1", cache)
    assert (first / "greeting.txt").read_text() == "hello a\n"
    stored = cache / key / "greeting.txt"
    stored.write_text("from the cache\n")  # prove the second render is a copy of the first
    second = render_cached(template, {"name": "a"}, tmp_path / "p2", cache)
    assert (second / "greeting.txt").read_text() == "from the cache\n"

    (template / "greeting.txt.jinja").write_text("changed {{ name }}\n")
    assert render_key(template, {"name": "a"}) != key
    third = render_cached(template, {"name": "a"}, tmp_path / "p3", cache)
    assert (third / "greeting.txt").read_text() == "changed a\n"
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [key, render_key(template, {"name": "a"})]
    )


def test_leftover_markers_are_found(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl")
    (template / "broken.txt").write_text(
        "line one\nother tool: {{ not_a_question }}\nvalue: {{ name }}\n"
    )  # no .jinja suffix
    out = render_project(template, {}, tmp_path / "out")
    assert leftover_markers(out, template) == ["broken.txt:3: value: {{ name }}"]


def test_tasks_are_refused_without_trust(tmp_path: Path) -> None:
    template = _template(tmp_path / "tpl")
    (template / "copier.yml").write_text("_tasks:\n  - touch tasks-ran\nname: world\n")
    with pytest.raises(RenderError, match="pass --trust if you trust it"):
        render_project(template, {}, tmp_path / "out")
    assert not (tmp_path / "out" / "tasks-ran").exists()
    out = render_project(template, {}, tmp_path / "trusted", trust=True)
    assert (out / "tasks-ran").exists()
