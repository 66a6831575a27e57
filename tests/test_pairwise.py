"""Pairwise coverage is checked, never assumed: against brute force and the full strategy."""

from __future__ import annotations

import itertools
import json
import random
import textwrap
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path

import pytest
import yaml

from scaffolder import variants as variants_module
from scaffolder.pairwise import Pick, Search, State
from scaffolder.variants import Variant
from tests.helpers import variants_of

REAL_TEMPLATE = Path(__file__).resolve().parent.parent / "template"
ABSENT = "<absent>"
Row = tuple[str, ...]


def write_template(root: Path, copier_yml: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text(textwrap.dedent(copier_yml))
    return root


def pairs(variants: Iterable[Variant]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    """Every pair of present (parameter, value) in the variants (absent ones pair with none)."""
    found = set()
    for v in variants:
        items = sorted(
            (k, json.dumps(x, sort_keys=True)) for k, x in {**v.answers, **v.axes}.items()
        )
        found |= set(itertools.combinations(items, 2))
    return found


def assignment(v: Variant) -> str:
    return json.dumps([v.answers, v.axes], sort_keys=True)


def assert_pairwise_covers_full(full: Sequence[Variant], cover: Sequence[Variant]) -> None:
    by_assignment = {assignment(v): v.id for v in full}
    for v in cover:  # every emitted variant is valid, with the id the full strategy gives it
        assert by_assignment[assignment(v)] == v.id
    missing = pairs(full) - pairs(cover)
    assert not missing, f"pairwise misses {sorted(missing)[:5]}"
    singles = {(k, json.dumps(x)) for v in full for k, x in {**v.answers, **v.axes}.items()}
    assert singles <= {
        (k, json.dumps(x)) for v in cover for k, x in {**v.answers, **v.axes}.items()
    }


# -- the engine against brute force, on random constrained spaces -----------------------------


class ToySpace:
    """Parameters with finite domains; parameter j may be present only when ``cond[j]`` holds;
    ``forbidden`` partial assignments are invalid (an absent parameter never matches)."""

    def __init__(
        self,
        domains: list[list[str]],
        cond: dict[int, tuple[int, str]],
        forbidden: list[dict[int, str]],
        exact_key: bool,
    ) -> None:
        self.domains, self.cond, self.forbidden = domains, cond, forbidden
        deps = [
            {cond[i][0]} if i in cond else set() for i in range(len(domains))
        ]  # what decides param i
        for entry in forbidden:
            deps[max(entry)] |= set(entry) - {max(entry)}
        self.needed = [
            sorted(j for d in deps[i:] for j in d if j < i) for i in range(len(deps) + 1)
        ]
        self.exact_key = exact_key

    def __len__(self) -> int:
        return len(self.domains)

    def picks(self, state: State) -> Sequence[Pick]:
        i = len(state)
        if i in self.cond:
            c, want = self.cond[i]
            if not (state[c].present and state[c].value == want):
                return [Pick(None, present=False)]
        result = []
        for value in self.domains[i]:
            row = (*state, Pick(value))
            if not any(
                max(f) == i and all(row[j].present and row[j].value == v for j, v in f.items())
                for f in self.forbidden
            ):
                result.append(Pick(value))
        return result

    def key(self, state: State) -> Hashable:
        if not self.exact_key:
            return state
        return tuple(state[j].key for j in self.needed[len(state)])

    def brute(self) -> set[Row]:
        """Valid rows by definition, without the engine."""
        valid = set()
        for row in itertools.product(*[[*d, ABSENT] for d in self.domains]):
            present = all(
                (row[i] != ABSENT)
                == (i not in self.cond or row[self.cond[i][0]] == self.cond[i][1])
                for i in range(len(row))
            )
            if present and not any(all(row[j] == v for j, v in f.items()) for f in self.forbidden):
                valid.add(row)
        return valid


def plain(row: State) -> Row:
    return tuple(p.value if p.present else ABSENT for p in row)


def row_pairs(rows: Iterable[Row]) -> set[tuple[tuple[int, str], tuple[int, str]]]:
    found = set()
    for row in rows:
        present = [(i, v) for i, v in enumerate(row) if v != ABSENT]
        found |= set(itertools.combinations(present, 2))
    return found


def random_space(seed: int, exact_key: bool) -> ToySpace:
    rng = random.Random(seed)
    n = rng.randint(2, 7)
    domains = [[f"{chr(97 + i)}{v}" for v in range(rng.randint(1, 4))] for i in range(n)]
    cond = {}
    for j in range(1, n):
        if rng.random() < 0.3:
            c = rng.randrange(j)
            cond[j] = (c, rng.choice(domains[c]))
    forbidden = []
    for _ in range(rng.randint(0, 5)):
        chosen = rng.sample(range(n), min(n, rng.choice([1, 2, 2, 3, 3, 3])))
        forbidden.append({j: rng.choice(domains[j]) for j in chosen})
    return ToySpace(domains, cond, forbidden, exact_key)


@pytest.mark.parametrize("exact_key", [True, False])
@pytest.mark.parametrize("seed", range(60))
def test_engine_matches_brute_force(seed: int, exact_key: bool) -> None:
    space = random_space(seed, exact_key)
    search = Search(space)
    expected = space.brute()
    rows = [plain(r) for r in search.rows()]
    assert len(rows) == len(set(rows)) == search.count() == len(expected)
    assert set(rows) == expected
    cover = [plain(r) for r in search.cover()]
    assert set(cover) <= expected  # only valid rows
    assert row_pairs(expected) <= row_pairs(cover)  # every feasible pair
    singles = {(i, v) for r in expected for i, v in enumerate(r) if v != ABSENT}
    assert singles <= {(i, v) for r in cover for i, v in enumerate(r) if v != ABSENT}
    assert cover == sorted(cover, key=rows.index)  # in enumeration order
    assert [plain(r) for r in Search(space).cover()] == cover  # deterministic


def test_dead_ends_are_not_emitted() -> None:
    # a0 is offered first but every completion of it is forbidden at the last parameter
    space = ToySpace([["a0", "a1"], ["b0", "b1"], ["c0"]], {}, [{0: "a0", 2: "c0"}], True)
    search = Search(space)
    assert [plain(r) for r in search.rows()] == [("a1", "b0", "c0"), ("a1", "b1", "c0")]
    assert all(plain(r)[0] == "a1" for r in search.cover())
    assert search.complete({0: ("str", "a0")}) is None


def test_unconstrained_sizes_are_competitive() -> None:
    """Greedy sizes for k^n (allpairspy 2.5.1 / covertable 3.2: 3^4: 9/13, 4^10: 31/29)."""
    for k, n, bound in [(3, 4, 12), (4, 10, 32), (3, 13, 24), (2, 20, 12)]:
        space = ToySpace([[f"v{j}" for j in range(k)] for _ in range(n)], {}, [], True)
        cover = [plain(r) for r in Search(space).cover()]
        assert len(row_pairs(cover)) == n * (n - 1) // 2 * k * k
        assert len(cover) <= bound


# -- through copier.yml and smoke.yaml -----------------------------------------------------------

# allpairspy's README example of filtering, which its issue #2 shows losing valid pairs
# (98-Hourly, 98-Contr., 98-10, 98-30, 98-60, NT-15, 2000-6, XP-10).
ALLPAIRSPY_CASE = """\
    brand: {type: str, choices: [Brand X, Brand Y]}
    os:
      type: str
      choices: ["98", NT, "2000", XP]
      validator: >-
        {% if os == '98' and brand == 'Brand Y' %}Brand Y does not support 98{% endif %}
        {%- if os == 'XP' and brand == 'Brand X' %}Brand X does not work with XP{% endif %}
    network: {type: str, choices: [Internal, Modem]}
    employee: {type: str, choices: [Salaried, Hourly, Part-Time, Contr.]}
    minutes:
      type: int
      choices: [6, 10, 15, 30, 60]
      validator: "{% if employee == 'Contr.' and minutes < 30 %}30 minute increments{% endif %}"
"""


def test_allpairspy_filtering_case(tmp_path: Path) -> None:
    template = write_template(tmp_path, ALLPAIRSPY_CASE)
    full = variants_of(template, {})
    expected = [
        row
        for row in itertools.product(
            ["Brand X", "Brand Y"],
            ["98", "NT", "2000", "XP"],
            ["Internal", "Modem"],
            ["Salaried", "Hourly", "Part-Time", "Contr."],
            [6, 10, 15, 30, 60],
        )
        if not (row[1] == "98" and row[0] == "Brand Y")
        and not (row[1] == "XP" and row[0] == "Brand X")
        and not (row[3] == "Contr." and row[4] < 30)
    ]
    assert [tuple(v.answers.values()) for v in full] == expected
    cover = variants_of(template, {}, "pairwise")
    assert_pairwise_covers_full(full, cover)
    got = {(v.answers["os"], str(v.answers[k])) for v in cover for k in ("employee", "minutes")}
    for lost in ["98-Hourly", "98-Contr.", "98-10", "98-30", "98-60", "NT-15", "2000-6", "XP-10"]:
        assert tuple(lost.split("-", 1)) in got
    assert len(cover) < len(full) / 4


CONDITIONAL = """\
    db:
      type: str
      default: sqlite
      choices: [sqlite, postgres, none]
    queue:
      type: str
      default: async
      choices:
        async: async
        queue: queue
        blocking: {value: blocking, validator: "{% if db == 'none' %}needs a db{% endif %}"}
    provider:
      type: str
      when: "{{ queue == 'queue' }}"
      default: "{{ 'postgres' if db == 'postgres' else 'redis' }}"
      choices: [redis, postgres, sqlite]
      validator: >-
        {% if provider == 'sqlite' and db != 'sqlite' %}sqlite needs db sqlite{% endif %}
    docker: {type: bool, default: false}
    tracing:
      type: bool
      default: true
      when: "{{ docker }}"
    name: demo
"""
CONDITIONAL_SMOKE = """\
    axes:
      profile:
        all: {}
        split: {when: "queue == 'queue'"}
        worker: {when: "queue == 'queue' and provider != 'sqlite'"}
      environment: [development, production]
    exclude:
      - {docker: true, environment: development}
      - {provider: [redis, postgres], profile: all, environment: production}
"""


def test_conditional_template_pairwise_covers_full(tmp_path: Path) -> None:
    template = write_template(tmp_path, CONDITIONAL)
    smoke = yaml.safe_load(textwrap.dedent(CONDITIONAL_SMOKE))
    full = variants_of(template, smoke)
    cover = variants_of(template, smoke, "pairwise")
    assert_pairwise_covers_full(full, cover)
    assert len(cover) < len(full)
    assert all(("provider" in v.answers) == (v.answers["queue"] == "queue") for v in full)
    assert all(v.answers.get("provider") != "sqlite" or v.answers["db"] == "sqlite" for v in full)


MANY = (Path(__file__).parent / "templates" / "many-questions" / "copier.yml").read_text()
MANY_SMOKE = {
    "axes": {
        "env": ["dev", "prod", "test"],
        "profile": {"all": {}, "split": {"when": "mode == 'b'"}},
    },
    "exclude": [{"docker": False, "env": "prod"}],
}


def test_many_constrained_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(variants_module, "MAX_FULL", 100_000)
    template = write_template(tmp_path, MANY)
    full = variants_of(template, MANY_SMOKE)
    cover = variants_of(template, MANY_SMOKE, "pairwise")  # its speed: benchmarks B6
    assert len(full) == 15770
    assert len(cover) < 40
    assert_pairwise_covers_full(full, cover)


def test_real_template_pairwise_covers_full() -> None:
    if not (REAL_TEMPLATE / "copier.yml").exists():
        pytest.skip("the bundled template has no copier.yml yet")
    smoke = yaml.safe_load((REAL_TEMPLATE / "smoke.yaml").read_text())
    full = variants_of(REAL_TEMPLATE, smoke)
    assert_pairwise_covers_full(full, variants_of(REAL_TEMPLATE, smoke, "pairwise"))


def test_ten_params_of_four_values_get_a_small_cover(tmp_path: Path) -> None:
    lines = [f"p{i}: {{type: str, default: v0, choices: [v0, v1, v2, v3]}}\n" for i in range(10)]
    template = write_template(tmp_path, "".join(lines))
    cover = variants_of(template, {"axes": {"env": ["dev", "prod", "test"]}}, "pairwise")
    assert len(cover) <= 40
    present = pairs(cover)
    assert len(present) == 45 * 16 + 10 * 4 * 3
    again = variants_of(template, {"axes": {"env": ["dev", "prod", "test"]}}, "pairwise")
    assert [v.id for v in again] == [v.id for v in cover]
