"""Variant ids: short, readable, stable names for the rows of the matrix.

A variant's id joins, in parameter order, one segment per *varying* parameter (one that
offers two or more values: its choices, True/False, its axis values, before a pin narrows
them; or that takes two or more values across the variants) that is present and does not
hold its default (the question's rendered default: for choices without one the first choice,
for booleans False; for an axis its first listed value), or whose value has an ``ids`` short
name (naming a value asks to see it). A segment is that short name, else a slug of the value
(for a ``secret: true`` question, its name and the value's position: never the value); a
boolean gives ``name`` / ``no-name``; a slug that an earlier parameter may show is prefixed
with the parameter's name (``cache-none``). An id with no segment is ``default``. Why: adding
an option to the template (a question, an axis, a choice) leaves every existing variant with
that option at its default, so no existing id changes (unless the new option is placed
before a parameter whose value names it shares), and a pin, which only removes variants,
renames none; two distinct variants first differ at some parameter where at most one of them
has no segment, so ids stay unique unless segments coincide as text, which is reported with
the fix (an ``ids`` entry), never resolved silently. An ``ids`` entry for a value no variant
takes is ignored (a warning names it when the parameter never offers that value at all).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scaffolder.pairwise import State, freeze
from scaffolder.questions import Question, VariantError

if TYPE_CHECKING:
    from scaffolder.variants import TemplateSpace

Warn = Callable[[str], None]


def smoke_mapping(value: Any, where: str) -> Mapping[str, Any]:
    """A smoke.yaml matrix value that must be a mapping (None: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise VariantError(f"smoke.yaml {where} must be a mapping; fix smoke.yaml")
    return value


def slug(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "empty"


def variant_ids(
    space: TemplateSpace, rows: Sequence[State], short: Mapping[str, Any], warn: Warn
) -> list[str]:
    """The id of each row, given smoke.yaml's ``ids`` (``short``); see the module docstring."""
    seen, known = _values(space, rows)
    names = _names(space, short, seen, known, warn)
    varying = [i for i, values in enumerate(known) if len(values) > 1]
    segments = _segments(space, rows, known, names, varying)
    return _join(space, rows, varying, segments, names)


def _values(
    space: TemplateSpace, rows: Sequence[State]
) -> tuple[list[dict[Hashable, Any]], list[dict[Hashable, Any]]]:
    """Per parameter, the values the rows take, and every value it offers, pinned or not:
    ids do not depend on what a pin removes."""
    seen: list[dict[Hashable, Any]] = [{} for _ in space.params]
    for row in rows:
        for i, pick in enumerate(row):
            if pick.present:
                seen[i][pick.key] = pick.value
    known = [{**offers, **taken} for offers, taken in zip(space.offers, seen, strict=True)]
    return seen, known


def _names(
    space: TemplateSpace, short: Mapping[str, Any], seen: list[dict[Hashable, Any]],
    known: list[dict[Hashable, Any]], warn: Warn,
) -> dict[tuple[int, Hashable], str]:  # fmt: skip
    """smoke.yaml's short names by (parameter, value); one for a value the parameter never
    offers is warned about (one a pin removed is not)."""
    names: dict[tuple[int, Hashable], str] = {}
    for name, mapping in smoke_mapping(short, "ids").items():
        i = space.index[space.check(name, "ids")]
        for value, label in smoke_mapping(mapping, f"ids.{name}").items():
            key = freeze(space.coerce(name, value))
            if key in known[i]:
                names[i, key] = slug(label)
            elif seen[i] and key not in space.pinned(i):
                takes = ", ".join(space.show(i, v) for v in known[i].values())
                warn(f"smoke.yaml ids.{name} names {value!r}, which is not a value of {name} "
                     f"(it takes {takes}); remove it")  # fmt: skip
    return names


def _segments(
    space: TemplateSpace, rows: Sequence[State], known: list[dict[Hashable, Any]],
    names: Mapping[tuple[int, Hashable], str], varying: Sequence[int],
) -> dict[tuple[int, Hashable], str]:  # fmt: skip
    """The id segment of each value of each varying parameter; a segment an earlier
    parameter already shows is qualified with the parameter's name."""
    shown = {(i, p.key) for row in rows for i, p in enumerate(row) if p.present and not p.default}
    shown |= {(i, key) for i, keys in enumerate(space.shows) for key in keys}
    shown |= names.keys()
    segments: dict[tuple[int, Hashable], str] = {}
    owner: dict[str, int] = {}  # segment text -> the first parameter using it
    for i in varying:
        name, param = slug(space.params[i].name), space.params[i]
        secret = isinstance(param, Question) and param.secret
        for n, (key, value) in enumerate(known[i].items(), 1):
            text = names.get((i, key)) or (
                f"{name}-{n}" if secret
                else (name if value else f"no-{name}") if isinstance(value, bool)
                else slug(value)
            )  # fmt: skip
            if (i, key) in shown and owner.setdefault(text, i) != i:
                text = f"{name}-{text}"  # an earlier parameter has a value of that name
            segments[i, key] = text
    return segments


def _join(
    space: TemplateSpace, rows: Sequence[State], varying: Sequence[int],
    segments: Mapping[tuple[int, Hashable], str], names: Mapping[tuple[int, Hashable], str],
) -> list[str]:  # fmt: skip
    """Each row's id: its segments joined (``default`` for none); two rows with one id are
    an error naming both."""
    ids: dict[str, State] = {}
    for row in rows:
        parts = [
            segments[i, p.key]
            for i, p in ((i, row[i]) for i in varying)
            if p.present and (not p.default or (i, p.key) in names)
        ]
        ident = "-".join(parts) or "default"
        if ident in ids:
            a, b = (", ".join(f"{space.params[i].name}={space.show(i, r[i].value)}" for i in
                              varying if r[i].present) for r in (ids[ident], row))  # fmt: skip
            raise VariantError(
                f"variants ({a}) and ({b}) both get the id {ident!r}; give their "
                "values distinct names in smoke.yaml ids: {param: {value: name}}"
            )
        ids[ident] = row
    return list(ids)
