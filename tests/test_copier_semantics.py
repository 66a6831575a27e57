"""copier.yml as copier 9 itself reads it: null, number and boolean choices, pinned computed
values, the context copier renders with (``Variant.computed``), values that vanish from the
matrix, and ids that a pin does not rename. Checked against real copier runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from copier.errors import InvalidTypeError

from scaffolder.errors import VariantError
from scaffolder.variants import Variant
from tests.helpers import freshboot, variants_of

RUN: dict[str, Any] = {"defaults": True, "unsafe": False, "quiet": True}


def template_with(root: Path, copier_yml: str, smoke: str = "") -> Path:
    """A template whose one file shows every question's value in copier's render context."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text(textwrap.dedent(copier_yml))
    names = [k for k in yaml.safe_load((root / "copier.yml").read_text()) if not k.startswith("_")]
    lines = [f"{n}={{{{ ({n} | default('<undefined>')) | tojson }}}}" for n in names]
    (root / "context.txt.jinja").write_text("\n".join(lines) + "\n")
    (root / "smoke.yaml").write_text(textwrap.dedent(smoke) or "run: [x]\nready: {http: /}\n")
    return root


def copier_context(template: Path, data: dict[str, Any], dest: Path) -> dict[str, Any]:
    """What copier's render context holds for each question, given `data`."""
    copier.run_copy(str(template), dest, data=data, **RUN)
    pairs = (line.split("=", 1) for line in (dest / "context.txt").read_text().splitlines())
    values = {k: json.loads(v) for k, v in pairs}
    return {k: v for k, v in values.items() if v != "<undefined>"}


def our_context(variant: Variant) -> dict[str, Any]:
    context: dict[str, Any] = json.loads(json.dumps({**variant.computed, **variant.answers}))
    return context


# -- choices whose values are null, numbers or booleans ------------------------------------------

CHOICES = """\
    plain: {type: str, choices: [null, a]}
    untyped: {choices: [null, b]}
    labelled: {type: str, choices: {"No CI": null, GitHub: github}}
    pair: {type: str, choices: [[Nothing, null], [Something, some]]}
    numbers: {type: str, choices: [1, 2.5]}
    flags: {type: str, choices: [true, false]}
    counted: {type: int, choices: ["1", "2"]}
"""


def test_null_number_and_bool_choices_are_what_copier_makes_of_them(tmp_path: Path) -> None:
    template = template_with(tmp_path / "t", CHOICES)
    found = variants_of(template, {}, "pairwise")
    taken = {name: {v.answers[name] for v in found} for name in found[0].answers}
    assert taken == {
        "plain": {"None", "a"},  # a null value takes its label: "None" for a bare null
        "untyped": {"None", "b"},
        "labelled": {"No CI", "github"},
        "pair": {"Nothing", "some"},
        "numbers": {"1", "2.5"},  # cast to the question's type
        "flags": {"True", "False"},
        "counted": {1, 2},
    }
    for n, variant in enumerate(found):
        assert copier_context(template, dict(variant.answers), tmp_path / f"ok{n}") == (
            our_context(variant)
        )
    # copier refuses the raw null for a str question, so passing it could never work
    with pytest.raises(InvalidTypeError, match="Invalid answer"):
        copier.run_copy(str(template), tmp_path / "bad", data={"plain": None}, **RUN)


def test_a_null_choice_that_cannot_be_cast_is_refused_like_copier(tmp_path: Path) -> None:
    template = template_with(tmp_path / "t", "n: {type: int, choices: [null, 1]}\n")
    with pytest.raises(ValueError, match="invalid literal for int"):  # "None" is no int
        copier.run_copy(str(template), tmp_path / "out", data={"n": 1}, **RUN)
    with pytest.raises(VariantError, match=r"question 'n' value: .*'None'.*fix copier.yml"):
        variants_of(template, {})


# -- computed values: what copier's context holds, and pins of them ----------------------------------

COMPUTED = """\
    name: {type: str, default: demo}
    mode: {type: str, choices: [web, worker]}
    slug:
      type: str
      when: false
      default: "{{ name }}-slug"
      validator: "{% if slug == 'bad' %}slug 'bad' is reserved{% endif %}"
    port: {type: int, when: "{{ mode == 'web' }}", default: 8000}
    queue: {type: str, when: "{{ mode == 'worker' }}", choices: [redis, sqlite]}
    title: {type: str, default: "{{ slug }} in {{ mode }}"}
    hidden: {type: str, ask: false, default: "{{ mode }}!"}
"""


@pytest.mark.parametrize("pin", [{}, {"slug": "custom"}])
def test_computed_holds_copiers_context_and_a_pin_replaces_a_computed_value(
    tmp_path: Path, pin: dict[str, Any]
) -> None:
    template = template_with(tmp_path / "t", COMPUTED)
    found = variants_of(template, {"pin": pin})
    assert [v.id for v in found] == ["default", "worker", "worker-sqlite"]
    slug = pin.get("slug", "demo-slug")
    web = found[0]
    assert web.computed == {"slug": slug}  # no default for queue: copier leaves it undefined
    assert web.answers["title"] == f"{slug} in web"
    assert ("slug" in web.answers) == bool(pin)  # a pinned computed value is data for copier
    assert found[1].computed == {"slug": slug, "port": 8000}
    for n, variant in enumerate(found):
        rendered = copier_context(template, dict(variant.answers), tmp_path / f"out{n}")
        assert rendered == our_context(variant)
        assert rendered["slug"] == slug


def test_a_pinned_computed_value_is_validated_as_copier_validates_it(tmp_path: Path) -> None:
    template = template_with(tmp_path / "t", COMPUTED)
    with pytest.raises(ValueError, match="slug 'bad' is reserved"):
        copier.run_copy(str(template), tmp_path / "out", data={"slug": "bad", "mode": "web"}, **RUN)
    with pytest.raises(VariantError, match=r"no valid variant \(e.g. slug='bad': slug 'bad' is"):
        variants_of(template, {"pin": {"slug": "bad"}})


def test_a_computed_value_is_named_elsewhere_only_when_pinned(tmp_path: Path) -> None:
    template = template_with(tmp_path / "t", COMPUTED)
    with pytest.raises(VariantError, match=r"exclude #1 names 'slug', a computed value .* pin it"):
        variants_of(template, {"exclude": [{"slug": "x"}]})
    smoke = {"pin": {"slug": "x"}, "exclude": [{"slug": "x", "mode": "worker"}]}
    found = variants_of(template, smoke)
    assert [(v.answers["slug"], v.answers["mode"]) for v in found] == [("x", "web")]


# -- values that vanish from the matrix ----------------------------------------------------------

VANISHING = """\
    ci: {type: str, choices: [none, github], default: none}
    size: {type: str, choices: [s, m, l]}
    level:
      type: int
      choices: [1, 2]
      validator: "{% if size == 's' and level == 2 %}small projects have one level{% endif %}"
    ci_token_env:
      type: str
      default: ""
      validator: >-
        {% if ci == 'github' and not ci_token_env %}a GitHub workflow needs ci_token_env (the
        name of the secret holding the token){% endif %}
    region: {type: str, choices: [eu, us, moon], validator: "{% if region == 'moon' %}no{% endif %}"}
"""


def test_vanished_values_are_one_line_each_on_stderr(tmp_path: Path) -> None:
    template = template_with(tmp_path / "t", VANISHING)
    done = freshboot("variants", "--template", template, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["answers"]["ci"] for r in rows} == {"none"}
    assert {r["answers"]["level"] for r in rows} == {1, 2}  # gone only with size=s: not reported
    assert done.stderr.splitlines() == [
        "freshboot: warning: ci='github' is in no variant: ci_token_env='': a GitHub workflow "
        "needs ci_token_env (the name of the secret holding the token)",
        "freshboot: warning: region='moon' is in no variant: region='moon': no",
    ]
    pairwise = freshboot("variants", "--template", template, "--strategy", "pairwise")
    assert pairwise.returncode == 0
    assert pairwise.stderr == done.stderr


def test_a_value_removed_by_a_pin_or_a_whole_exclude_is_not_reported(tmp_path: Path) -> None:
    template = template_with(
        tmp_path / "t",
        "ci: {type: str, choices: [none, github]}\nsize: {type: str, choices: [s, m]}\n",
        "run: [x]\nready: {http: /}\npin: {size: s}\nexclude: [{ci: github}]\n",
    )
    done = freshboot("variants", "--template", template)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["default", "ci=none", "size=s"]


# -- ids: a pin never renames a variant ------------------------------------------------------------

IDS = """\
    worker_mode: {type: str, default: async, choices: [async, queue, blocking]}
    provider: {type: str, when: "{{ worker_mode == 'queue' }}", choices: [sqlite, redis, postgres]}
    tracing: {type: bool}
    database: {type: str, choices: [none, sqlite, postgres]}
"""
AXES = {
    "profile": {"all": {}, "split": {"when": "worker_mode == 'queue'"}},
    "environment": ["development", "production", "split"],
}


@pytest.mark.parametrize(
    "pin",
    [
        {"worker_mode": "queue"},
        {"worker_mode": "blocking", "environment": "production"},
        {"provider": "postgres", "tracing": True},
        {"database": ["sqlite", "postgres"], "provider": ["redis"]},
        {"tracing": False, "database": "none", "environment": ["development", "split"]},
        {"worker_mode": ["async", "blocking"], "environment": "split"},
    ],
)
@pytest.mark.parametrize("ids", [{}, {"provider": {"postgres": "pg"}}])
def test_pinning_keeps_the_ids_of_the_remaining_variants(
    tmp_path: Path, pin: dict[str, Any], ids: dict[str, Any]
) -> None:
    template = template_with(tmp_path / "t", IDS)

    def by_values(smoke: dict[str, Any]) -> dict[str, str]:
        found = variants_of(template, {"axes": AXES, "ids": ids, **smoke})
        return {json.dumps([v.answers, v.axes], sort_keys=True): v.id for v in found}

    unpinned, pinned = by_values({}), by_values({"pin": pin})
    assert pinned
    assert {key: unpinned[key] for key in pinned} == pinned
    both = "pg-postgres" if ids else "postgres-database-postgres"  # the later one qualified
    assert f"queue-{both}-split-environment-split" in unpinned.values()


def test_ids_entries_for_values_a_pin_removes_are_ignored(tmp_path: Path) -> None:
    smoke = """\
        run: [x]
        ready: {http: /}
        pin: {worker_mode: queue}
        ids: {worker_mode: {blocking: blk, queue: q}, provider: {redis: r, mongo: m}}
    """
    template = template_with(tmp_path / "t", IDS, smoke)
    done = freshboot("variants", "--template", template, "--format", "github")
    assert done.returncode == 0, done.stderr
    ids = [row["variant"] for row in json.loads(done.stdout)["include"]]
    assert {"q", "q-r"} <= set(ids)
    assert done.stderr.splitlines() == [
        "freshboot: warning: smoke.yaml ids.provider names 'mongo', which is not a value of "
        "provider (it takes 'sqlite', 'redis', 'postgres'); remove it"
    ]
