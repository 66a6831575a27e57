"""Variant enumeration from real copier.yml / smoke.yaml files, checked against copier itself."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from scaffolder import variants as variants_module
from scaffolder.errors import VariantError
from scaffolder.variants import Variant
from tests.helpers import variants_of

REAL_TEMPLATE = Path(__file__).resolve().parent.parent / "template"


def write_template(root: Path, copier_yml: str, name: str = "copier.yml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(copier_yml))
    return root


def smoke_of(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(textwrap.dedent(text))
    assert isinstance(loaded, dict)
    return loaded


def table(variants: list[Variant]) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    return [(v.id, dict(v.answers), dict(v.axes)) for v in variants]


# -- question kinds ------------------------------------------------------------------------------


def test_choice_forms_bool_short_form_and_computed(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        _envops: {keep_trailing_newline: false}
        name: demo                      # short form: str, fixed at its default
        port: 8000                      # short form: int
        mode:                           # dict form label -> value
          type: str
          default: fast
          choices: {"Fast mode": fast, "Slow mode": slow}
        size:                           # list of [label, value] pairs, int values
          type: int
          choices: [[small, 1], [large, 2]]
        color: {choices: [red, blue]}   # list form, no type, no default
        debug: {type: bool}
        slug: {when: false, default: "{{ name | upper }}"}
        """,
    )
    found = variants_of(template, {})
    assert len(found) == 2 * 2 * 2 * 2
    first = found[0]
    assert first.answers == {
        "name": "demo", "port": 8000, "mode": "fast", "size": 1, "color": "red", "debug": True,
    }  # fmt: skip
    assert first.id == "debug"  # bool default False: True shows as `debug`, size 1 = first choice
    assert "slug" not in first.answers
    assert [v.id for v in found[:4]] == ["debug", "default", "blue-debug", "blue"]
    assert found[-1].id == "slow-2-blue"
    assert all(v.axes == {} for v in found)


def test_when_removes_question_and_does_not_multiply(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        mode: {type: str, default: a, choices: [a, b]}
        extra: {type: str, when: "{{ mode == 'b' }}", choices: [x, y, z]}
        tail: {type: bool, default: true, when: "{{ mode == 'a' }}"}
        """,
    )
    assert table(variants_of(template, {})) == [
        ("default", {"mode": "a", "tail": True}, {}),
        ("no-tail", {"mode": "a", "tail": False}, {}),
        ("b", {"mode": "b", "extra": "x"}, {}),
        ("b-y", {"mode": "b", "extra": "y"}, {}),
        ("b-z", {"mode": "b", "extra": "z"}, {}),
    ]


def test_validators_templated_defaults_and_choices(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        db: {type: str, default: sqlite, choices: [sqlite, postgres]}
        queue:
          type: str
          default: "{{ db }}"
          choices: "{{ ['redis', db] | tojson }}"
          validator: >-
            {% if queue == 'redis' and db == 'postgres' %}no redis with postgres{% endif %}
        level:
          type: int
          choices:
            low: 1
            high: {value: 2, validator: "{% if db == 'sqlite' %}sqlite is too slow{% endif %}"}
        title: {type: str, default: "{{ db }}-app", validator: "{% if not title %}empty{% endif %}"}
        """,
    )
    assert table(variants_of(template, {})) == [
        ("redis", {"db": "sqlite", "queue": "redis", "level": 1, "title": "sqlite-app"}, {}),
        ("default", {"db": "sqlite", "queue": "sqlite", "level": 1, "title": "sqlite-app"}, {}),
        (
            "postgres",
            {"db": "postgres", "queue": "postgres", "level": 1, "title": "postgres-app"},
            {},
        ),
        (
            "postgres-2",
            {"db": "postgres", "queue": "postgres", "level": 2, "title": "postgres-app"},
            {},
        ),
    ]


def test_envops_delimiters(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        _envops: {variable_start_string: "[[", variable_end_string: "]]",
                  block_start_string: "[%", block_end_string: "%]"}
        mode: {type: str, default: a, choices: [a, b]}
        extra: {type: str, when: "[[ mode == 'b' ]]", default: "{{ literal }}-[[ mode ]]"}
        """,
    )
    assert table(variants_of(template, {})) == [
        ("default", {"mode": "a"}, {}),
        ("b", {"mode": "b", "extra": "{{ literal }}-b"}, {}),
    ]


def test_multi_document_and_include(tmp_path: Path) -> None:
    (tmp_path / "includes").mkdir(parents=True)
    (tmp_path / "includes" / "more.yml").write_text("color: {choices: [red, blue]}\n")
    write_template(
        tmp_path,
        """\
        mode: {type: str, default: a, choices: [a, b]}
        ---
        !include includes/*.yml
        ---
        mode: {type: str, default: b, choices: [a, b]}
        """,
    )
    found = variants_of(tmp_path, {})
    assert [list(v.answers) for v in found] == [["mode", "color"]] * 4
    assert [v.id for v in found] == ["a", "a-blue", "default", "blue"]


def test_copier_yaml_name_is_read(tmp_path: Path) -> None:
    write_template(tmp_path, "flag: false\n", name="copier.yaml")
    assert [v.id for v in variants_of(tmp_path, {})] == ["flag", "default"]


# -- smoke.yaml: axes, pin, exclude, include, ids ------------------------------------------------


def test_axes_with_when_pin_exclude_include_ids(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        project_name: {type: str}
        worker_mode:
          type: str
          default: BackgroundAsync
          choices: [BackgroundAsync, BackgroundQueue, ForegroundBlocking]
        queue_provider:
          type: str
          when: "{{ worker_mode == 'BackgroundQueue' }}"
          default: sqlite
          choices: [sqlite, redis]
        """,
    )
    smoke = smoke_of(
        """\
        axes:
          profile:
            server-and-worker: {run: [x]}
            split: {when: "worker_mode == 'BackgroundQueue'", run: [y]}
          environment: [development, production]
        pin: {project_name: demo}
        exclude:
          - {worker_mode: ForegroundBlocking, environment: production}
          - {queue_provider: [sqlite, redis], profile: split, environment: production}
        include:
          - {worker_mode: BackgroundQueue, queue_provider: redis, profile: split}
        ids:
          worker_mode:
            {BackgroundAsync: async, BackgroundQueue: queue, ForegroundBlocking: blocking}
        services: {redis: {when: "queue_provider == 'redis'"}}
        """
    )
    found = variants_of(template, smoke)
    assert [v.id for v in found] == [
        "async", "async-production",  # a value named in ids shows even at its default
        "queue", "queue-production", "queue-split",
        "queue-redis", "queue-redis-production", "queue-redis-split",
        "blocking",
    ]  # fmt: skip
    assert found[0].answers == {"project_name": "demo", "worker_mode": "BackgroundAsync"}
    assert found[0].axes == {"profile": "server-and-worker", "environment": "development"}
    cover = variants_of(template, smoke, "pairwise")
    assert {v.id for v in cover} <= {v.id for v in found}
    assert "queue-redis-split" in {v.id for v in cover}  # include is kept


def test_include_completed_with_defaults_is_added_to_pairwise(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        "".join(
            f"p{i}: {{type: str, default: a{i}, choices: [a{i}, b{i}, c{i}]}}\n" for i in range(5)
        ),
    )
    smoke = {"include": [{"p3": "c3", "p1": "b1"}]}
    cover = variants_of(template, smoke, "pairwise")
    assert cover[-1].id == "b1-c3"
    assert cover[-1].answers == {"p0": "a0", "p1": "b1", "p2": "a2", "p3": "c3", "p4": "a4"}
    assert len({v.id for v in cover}) == len(cover)


def test_pin_narrows_choices_and_axes(tmp_path: Path) -> None:
    template = write_template(
        tmp_path, "mode: {type: str, choices: [a, b, c]}\nn: {type: int}\nflag: {type: bool}\n"
    )
    pin = {"mode": ["b", "c"], "n": "7", "env": "prod", "flag": [False]}
    smoke = {"pin": pin, "axes": {"env": ["dev", "prod"]}}
    assert table(variants_of(template, smoke)) == [  # ids as in the unpinned matrix
        ("b-prod", {"mode": "b", "n": 7, "flag": False}, {"env": "prod"}),
        ("c-prod", {"mode": "c", "n": 7, "flag": False}, {"env": "prod"}),
    ]


# -- ids -----------------------------------------------------------------------------------------

BASE = """\
    worker_mode: {type: str, default: async, choices: [async, queue, blocking]}
    provider: {type: str, when: "{{ worker_mode == 'queue' }}", default: sqlite,
               choices: [sqlite, redis]}
"""
ADDED = """\
    worker_mode: {type: str, default: async, choices: [async, queue, blocking, threads]}
    tracing: {type: bool, default: false}
    database: {type: str, default: sqlite, choices: [sqlite, postgres, none]}
    provider: {type: str, when: "{{ worker_mode == 'queue' }}", default: sqlite,
               choices: [sqlite, redis, postgres]}
    retries: {type: int, when: "{{ worker_mode == 'queue' }}", default: 3, choices: [1, 3, 5]}
"""


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ({}, ["default", "queue", "queue-split", "queue-redis", "queue-redis-split", "blocking"]),
        (
            {"worker_mode": {"async": "a", "queue": "q"}, "provider": {"redis": "r"}},
            ["a", "q", "q-split", "q-r", "q-r-split", "blocking"],
        ),
    ],
)
def test_ids_stable_when_options_are_added(
    tmp_path: Path, ids: dict[str, Any], expected: list[str]
) -> None:
    split = {"when": "worker_mode == 'queue'"}
    before_smoke = {"axes": {"profile": {"all": {}, "split": split}}, "ids": ids}
    after_smoke = {
        "axes": {
            "profile": {"all": {}, "split": split, "web": {}},
            "environment": ["development", "production"],
        },
        "ids": ids,
    }
    before = variants_of(write_template(tmp_path / "a", BASE), before_smoke)
    after = variants_of(write_template(tmp_path / "b", ADDED), after_smoke)
    assert [v.id for v in before] == expected
    by_id = {v.id: v for v in after}
    for old in before:
        new = by_id[old.id]
        assert {k: new.answers[k] for k in old.answers} == old.answers
        assert new.axes["profile"] == old.axes["profile"]
    assert len(by_id) == len(after)


def test_ids_qualify_a_later_parameter_sharing_a_value_name(tmp_path: Path) -> None:
    template = write_template(
        tmp_path,
        """\
        database: {type: str, default: sqlite, choices: [sqlite, none]}
        cache: {type: str, default: redis, choices: [redis, none]}
        """,
    )
    assert [v.id for v in variants_of(template, {})] == [
        "default", "cache-none", "none", "none-cache-none",
    ]  # fmt: skip


def test_id_collision_is_an_error(tmp_path: Path) -> None:
    template = write_template(tmp_path, "a: {choices: [x, y]}\nb: {choices: [w, z, y-z]}\n")
    with pytest.raises(VariantError, match=r"both get the id 'y-z'.*smoke.yaml ids") as error:
        variants_of(template, {})
    assert "\n" not in str(error.value)


# -- errors: one line naming the bad thing and the fix --------------------------------------------


@pytest.mark.parametrize(
    ("copier_yml", "smoke", "message"),
    [
        (
            "name: {type: str}\n",
            {},
            r"^question 'name' in copier.yml has no default and no choices; give it a default or "
            r"pin it in smoke.yaml \(pin: \{name: ...\}\)$",
        ),
        ("a: [unclosed\n", {}, r"copier.yml: invalid YAML .*; fix the file$"),
        ("- just\n- a list\n", {}, r"copier.yml: expected a mapping of questions, got str"),
        ("a: {choices: [x]}\n", {"pin": {"nope": 1}}, r"pin names 'nope', which is neither"),
        (
            "a: {choices: [x]}\nb: {when: false, default: 1}\n",
            {"exclude": [{"b": 1}]},
            r"exclude #1 names 'b', a computed value",
        ),
        (
            "a: {choices: [x, y]}\n",
            {"exclude": [{"a": ["x", "y"]}]},
            r"allow no valid variant \(e.g. exclude #1 matches\)",
        ),
        ("a: {choices: [x, y]}\n", {"include": [{"a": "q"}]}, r"include #1 .* is not a valid"),
        ("a: {choices: [x]}\n", {"axes": {"e": ["p"]}, "pin": {"e": "q"}}, r"pin sets axis 'e'"),
        ("a: {choices: [x]}\n", {"pin": {"a": "q"}}, r"no valid variant \(e.g. a='q': not one"),
        ("a: {choices: [x, y]}\n", {"axes": {"a": ["x"]}}, r"axis has the name of a copier"),
        ("a: {choices: [x, y], when: '{{ nope( }}'}\n", {}, r"question 'a': invalid Jinja"),
        (
            "_envops: {undefined: jinja2.StrictUndefined}\na: {choices: [x], when: '{{ nope }}'}\n",
            {},
            r"question 'a' when: cannot render .*'nope' is undefined",
        ),
        ("a: {type: int, default: abc}\n", {}, r"question 'a' default: .*pin it in smoke.yaml"),
        ("a: {type: str, choices: [x], validator: '{{ 1 / 0 }}'}\n", {}, r"'a' validator"),
        (
            "a: {choices: [x, y]}\n",
            {"axes": {"e": {"p": {"when": "a =="}}}},
            r"axes.e when: invalid Jinja",
        ),
        (
            "a: {choices: [x, y]}\n",
            {"axes": {"e": {"p": {"when": "a.b.c"}}}},
            r"axes.e.p.when: cannot render",
        ),
    ],
)
def test_errors(tmp_path: Path, copier_yml: str, smoke: dict[str, Any], message: str) -> None:
    template = write_template(tmp_path, copier_yml)
    with pytest.raises(VariantError, match=message) as error:
        variants_of(template, smoke)
    assert "\n" not in str(error.value)


def test_missing_or_doubled_copier_yml(tmp_path: Path) -> None:
    with pytest.raises(VariantError, match=r"no copier\.yml"):
        variants_of(tmp_path, {})
    write_template(tmp_path, "a: 1\n")
    write_template(tmp_path, "a: 1\n", name="copier.yaml")
    with pytest.raises(VariantError, match=r"both copier\.yml and copier\.yaml"):
        variants_of(tmp_path, {})


def test_full_matrix_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(variants_module, "MAX_FULL", 100)
    template = write_template(
        tmp_path, "".join(f"p{i}: {{choices: [a, b, c]}}\n" for i in range(5))
    )
    with pytest.raises(VariantError, match="the full matrix has 243 variants"):
        variants_of(template, {})
    assert len(variants_of(template, {}, "pairwise")) < 20


# -- the real template, and copier itself ---------------------------------------------------------


def test_real_template(tmp_path: Path) -> None:
    if not (REAL_TEMPLATE / "copier.yml").exists():
        pytest.skip("the bundled template has no copier.yml yet")
    smoke = yaml.safe_load((REAL_TEMPLATE / "smoke.yaml").read_text())
    found = variants_of(REAL_TEMPLATE, smoke)
    assert len({v.id for v in found}) == len(found) >= 3
    modes = {v.answers["worker_mode"] for v in found}
    assert modes == {"BackgroundAsync", "BackgroundQueue", "ForegroundBlocking"}
    for v in found:
        assert "package_name" not in v.answers  # computed
        assert ("queue_provider" in v.answers) == (v.answers["worker_mode"] == "BackgroundQueue")
    assert variants_of(REAL_TEMPLATE, smoke) == found  # deterministic
    for n, variant in enumerate(found):  # copier accepts every answer set
        copier.run_copy(str(REAL_TEMPLATE), tmp_path / f"ok{n}", data=dict(variant.answers),
                        defaults=True, unsafe=False, quiet=True, pretend=True)  # fmt: skip
    for n, name in enumerate(["Bad Name!", "redis", "x", "ok-name"]):  # and rejects as we do
        try:
            copier.run_copy(str(REAL_TEMPLATE), tmp_path / f"name{n}", data={"project_name": name},
                            defaults=True, unsafe=False, quiet=True, pretend=True)  # fmt: skip
        except ValueError:
            with pytest.raises(VariantError, match="allow no valid variant"):
                variants_of(REAL_TEMPLATE, {**smoke, "pin": {"project_name": name}})
        else:
            assert variants_of(REAL_TEMPLATE, {**smoke, "pin": {"project_name": name}})


COPIER_RUN = """\
    name: {type: str, default: demo, validator: "{% if name | length < 2 %}too short{% endif %}"}
    slug: {type: str, when: false, default: "{{ name | upper }}"}
    mode: {type: str, default: a, choices: [a, b, c]}
    extra: {type: bool, default: false, when: "{{ mode != 'c' }}"}
    level:
      type: int
      default: 1
      choices:
        low: 1
        high: {value: 2, validator: "{% if mode == 'a' %}not with a{% endif %}"}
    note:
      type: str
      default: "{{ mode }}-note"
      validator: "{% if mode == 'b' and extra %}b cannot be extra{% endif %}"
    tags: {type: str, multiselect: true, choices: [x, y, z], default: [x, z]}
    hidden: {type: str, ask: false, default: "{{ mode }}{{ level }}", choices: [a1, b1, b2, c1, c2]}
    settings: {type: yaml, default: "{a: [1, 2]}"}
"""


def test_copier_accepts_what_we_emit_and_rejects_what_we_reject(tmp_path: Path) -> None:
    template = write_template(tmp_path / "template", COPIER_RUN)
    (template / "out.txt.jinja").write_text(
        "{{ name }} {{ slug }} {{ mode }} {{ extra }} {{ level }} {{ note }} {{ tags }}"
        " {{ hidden }} {{ settings }}"
    )
    found = variants_of(template, {})
    assert {v.id for v in found} == {"default", "extra", "b", "b-2", "c", "c-2"}
    for n, variant in enumerate(found):
        dst = tmp_path / f"ok{n}"
        copier.run_copy(str(template), dst, data=dict(variant.answers), defaults=True,
                        unsafe=False, quiet=True)  # fmt: skip
        a = variant.answers
        extra = a.get("extra", False)
        assert a["tags"] == ["x", "z"]
        assert a["hidden"] == f"{a['mode']}{a['level']}"
        assert a["settings"] == {"a": [1, 2]}
        expected = (
            f"demo DEMO {a['mode']} {extra} {a['level']} {a['note']} ['x', 'z'] {a['hidden']}"
            " {'a': [1, 2]}"
        )
        assert (dst / "out.txt").read_text() == expected
    emitted = {(v.answers["mode"], v.answers.get("extra"), v.answers["level"]) for v in found}
    rejected = [
        (mode, extra, level)
        for mode in ("a", "b") for extra in (True, False) for level in (1, 2)
        if (mode, extra, level) not in emitted
    ]  # fmt: skip
    assert rejected == [("a", True, 2), ("a", False, 2), ("b", True, 1), ("b", True, 2)]
    for n, (mode, extra, level) in enumerate(rejected):
        data = {
            "name": "demo",
            "mode": mode,
            "extra": extra,
            "level": level,
            "note": f"{mode}-note",
        }
        with pytest.raises(ValueError, match=r"not with a|b cannot be extra"):
            copier.run_copy(str(template), tmp_path / f"bad{n}", data=data, defaults=True,
                            unsafe=False, quiet=True)  # fmt: skip
