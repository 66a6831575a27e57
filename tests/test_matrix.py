"""smoke.yaml's matrix keys are checked like every other key (`file:line: key: what`), the
variants take them typed, and every `when` has one meaning (scaffolder.conditions)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scaffolder.conditions import holds
from scaffolder.errors import SpecError, VariantError
from scaffolder.model import read_template
from scaffolder.variants import load_variants
from smoke_tests.services import needed
from smoke_tests.spec import load_spec
from smoke_tests.templating import TemplateError
from smoke_tests.templating import holds as run_time_holds

COPIER = """\
db: {type: str, choices: [sqlite, postgres]}
cache: {type: str, default: "{{ 'redis' if db == 'postgres' else 'none' }}", when: false}
"""
HEAD = "run: [[app]]\nready: {http: /}\n"


def _template(tmp_path: Path, smoke: str) -> Path:
    (tmp_path / "copier.yml").write_text(COPIER)
    (tmp_path / "smoke.yaml").write_text(HEAD + textwrap.dedent(smoke))
    return tmp_path


def _line(template: Path, text: str) -> int:
    """The line of smoke.yaml that holds `text` (1-based)."""
    lines = (template / "smoke.yaml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def _variants(template: Path) -> list[str]:
    spec = load_spec(template)
    return [v.id for v in load_variants(read_template(template), spec.matrix)]


@pytest.mark.parametrize(
    ("smoke", "marked", "message"),
    [
        ("exclude:\n  - {db: sqlite}\n  - {nope: 1}\n", "nope: 1", "exclude #2 names 'nope', which is neither"),
        ("exclude:\n  - {cache: none}\n", "cache: none", "exclude #1 names 'cache', a computed value"),
        ("pin:\n  nope: 1\n", "nope: 1", "pin names 'nope', which is neither"),
        ("axes:\n  env: [dev]\npin:\n  env: prod\n", "env: prod", "pin sets axis 'env' to 'prod'"),
        ("axes:\n  db: [x]\n", "db: [x]", "axes.db: a smoke.yaml axis has the name of a copier question"),
        ("axes:\n  env:\n    dev: {when: 'db.x.y'}\n", "dev: {when", "axes.env.dev.when: cannot render"),
        ("include:\n  - {db: mysql}\n", "db: mysql", "include #1 {'db': 'mysql'} is not a valid variant"),
        ("ids:\n  nope: {a: b}\n", "nope: {a: b}", "ids names 'nope', which is neither"),
    ],
)  # fmt: skip
def test_matrix_errors_found_with_the_questions_name_the_line(
    tmp_path: Path, smoke: str, marked: str, message: str
) -> None:
    template = _template(tmp_path, smoke)
    with pytest.raises(VariantError) as caught:
        _variants(template)
    assert str(caught.value).startswith(f"{template / 'smoke.yaml'}:{_line(template, marked)}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("smoke", "marked", "message"),
    [
        ("exclude:\n  - db\n", "- db", "exclude[0]: expected a mapping, got str"),
        ("exclude:\n  - {}\n", "- {}", "exclude[0]: exclude #1 is empty; name at least one parameter"),
        ("exclude: {db: sqlite}\n", "exclude:", "exclude: expected a list, got dict"),
        ("include:\n  - [db]\n", "- [db]", "include[0]: expected a mapping, got list"),
        ("pin: [db]\n", "pin:", "pin: expected a mapping, got list"),
        ("ids:\n  db: [a]\n", "db: [a]", "ids.db: expected a mapping of values to names"),
        ("axes:\n  env: []\n", "env: []", "axes.env: has no values; give it at least one"),
        ("axes:\n  env: 3\n", "env: 3", "axes.env: must list values or map them to options, got 3"),
        ("axes:\n  env:\n    dev: {when: 3}\n", "dev: {when", "axes.env.dev.when: expected a condition"),
    ],
)  # fmt: skip
def test_matrix_shape_errors_come_from_the_spec_loader_with_the_line(
    tmp_path: Path, smoke: str, marked: str, message: str
) -> None:
    template = _template(tmp_path, smoke)
    with pytest.raises(SpecError) as caught:
        load_spec(template)
    line = _line(template, marked)
    assert str(caught.value).startswith(f"{template / 'smoke.yaml'}:{line}: {message}")


def test_the_spec_holds_the_typed_matrix(tmp_path: Path) -> None:
    template = _template(
        tmp_path,
        """\
        axes:
          env: {dev: {}, prod: {when: "db == 'postgres'"}}
        pin: {db: [sqlite, postgres]}
        exclude: [{db: sqlite, env: dev}]
        ids: {db: {postgres: pg}}
        """,
    )
    matrix = load_spec(template).matrix
    assert [(a.name, a.values, dict(a.when)) for a in matrix.axes] == [
        ("env", ("dev", "prod"), {"prod": "db == 'postgres'"})
    ]
    assert matrix.exclude[0].label == "exclude #1"
    assert dict(matrix.exclude[0].values) == {"db": "sqlite", "env": "dev"}
    assert _variants(template) == ["pg", "pg-prod"]


# -- one `when`: matrix time and run time -------------------------------------------------------


def test_a_service_when_sees_computed_values(tmp_path: Path) -> None:
    template = _template(tmp_path, "services:\n  redis: {when: \"cache == 'redis'\"}\n")
    spec = load_spec(template)
    variants = load_variants(read_template(template), spec.matrix)
    assert {
        v.answers["db"]: [s.name for s in needed(spec.services, v.context)] for v in variants
    } == {
        "sqlite": [],
        "postgres": ["redis"],
    }


def test_a_question_when_sees_a_computed_value_that_varies(tmp_path: Path) -> None:
    """Two variants whose computed values differ are two contexts for later questions (they
    were once memoised as one: the first one's answer served both)."""
    (tmp_path / "copier.yml").write_text(
        COPIER + "ttl: {type: int, default: 5, when: \"{{ cache == 'redis' }}\"}\n"
    )
    (tmp_path / "smoke.yaml").write_text(HEAD)
    found = load_variants(read_template(tmp_path), load_spec(tmp_path).matrix)
    assert [dict(v.answers) for v in found] == [{"db": "sqlite"}, {"db": "postgres", "ttl": 5}]


def test_an_axis_when_sees_computed_values(tmp_path: Path) -> None:
    template = _template(
        tmp_path, "axes:\n  mode: {plain: {}, cached: {when: \"cache != 'none'\"}}\n"
    )
    assert _variants(template) == ["default", "postgres", "postgres-cached"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, True), (True, True), (False, False),
        ("flag", True), ("not flag", False), ("word", False), ("missing", False),
        ("db == 'pg'", True), ("db in ['x', 'y']", False), ("items", True), ("nothing", False),
    ],
)  # fmt: skip
def test_one_meaning_at_both_moments(condition: str | bool | None, expected: bool) -> None:
    """A condition holds as copier reads a question's `when`: rendered, then cast_to_bool
    (the string "no" is false) whether it is asked at matrix time or at run time."""
    context = {"flag": True, "word": "no", "db": "pg", "items": [1], "nothing": ""}
    assert holds(condition, context) is expected
    assert run_time_holds(condition if isinstance(condition, str) else None, context) is (
        expected if isinstance(condition, str) else True
    )


def test_a_bad_run_time_condition_names_itself() -> None:
    with pytest.raises(TemplateError, match=r"cannot evaluate condition 'db =='"):
        run_time_holds("db ==", {"db": "x"})
