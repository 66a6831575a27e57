"""The -k expression over variant ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scaffolder.errors import VariantError
from scaffolder.selection import matcher, select
from scaffolder.variants import Variant
from tests.helpers import variants_of

IDS = ["default", "queue", "queue-redis", "queue-redis-split", "blocking", "async-production"]
VARIANTS = [Variant(id=i, answers={}, axes={}) for i in IDS]


def chosen(expr: str | None) -> list[str]:
    return [v.id for v in select(VARIANTS, expr)]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("queue", ["queue", "queue-redis", "queue-redis-split"]),
        ("queue and not redis", ["queue"]),
        ("async or blocking", ["blocking", "async-production"]),
        ("not queue", ["default", "blocking", "async-production"]),
        ("not not queue and split", ["queue-redis-split"]),
        ("(queue or blocking) and not (redis or default)", ["queue", "blocking"]),
        ("QUEUE and Split", ["queue-redis-split"]),  # words are case-insensitive
        ("redis-split or prod", ["queue-redis-split", "async-production"]),
        ("blocking or queue and split", ["queue-redis-split", "blocking"]),  # and binds tighter
        ("  ", IDS),
    ],
)
def test_select(expr: str, expected: list[str]) -> None:
    assert chosen(expr) == expected


def test_none_selects_all() -> None:
    assert chosen(None) == IDS


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("queue and", "unexpected end of expression"),
        ("(queue or redis", "unexpected end of expression"),
        ("queue redis", "unexpected 'redis'"),
        ("queue)", "unexpected '\\)'"),
        ("and queue", "unexpected 'and'"),
        ("()", "unexpected '\\)'"),
        ("not", "unexpected end of expression"),
    ],
)
def test_malformed(expr: str, problem: str) -> None:
    pattern = f"^-k '{re.escape(expr)}': {problem}; write e.g."
    with pytest.raises(VariantError, match=pattern) as error:
        matcher(expr)
    assert "\n" not in str(error.value)


def test_selects_nothing() -> None:
    with pytest.raises(
        VariantError,
        match=r"^-k 'postgres' selects none of the 6 variants; see 'freshboot variants'$",
    ):
        select(VARIANTS, "postgres")


def test_select_on_real_ids(tmp_path: Path) -> None:
    (tmp_path / "copier.yml").write_text(
        "mode: {choices: [async, queue, blocking]}\n"
        "provider: {when: \"{{ mode == 'queue' }}\", choices: [sqlite, redis]}\n"
    )
    found = variants_of(tmp_path, {"axes": {"profile": ["all", "split"]}})
    assert [v.id for v in select(found, "queue and not redis")] == ["queue", "queue-split"]
