"""Every configuration of a template worth booting: copier questions x smoke.yaml axes.

A *variant* is one valid combination of the template's parameters: the copier questions
that vary (choices, booleans; see :mod:`scaffolder.questions`) in copier.yml order, then the
boot-time axes of smoke.yaml in their order. A combination is valid when copier would accept
it (``when``, validators, per-choice validators), every axis has a value whose ``when`` holds,
and no smoke.yaml ``exclude`` entry matches it. ``when`` conditions of axes see every
question's value as copier's own templates do, computed (``when: false``) values included.

smoke.yaml keys read here: ``axes``, ``pin`` (fixed answers; a list narrows a choice question
or an axis to those values), ``exclude`` (partial assignments that are invalid; a list value
means any of; a key only matches a parameter that is asked in that combination), ``include``
(extra partial assignments, completed with defaults, that must be valid; kept even when the
strategy would skip them) and ``ids`` (short names for values, per parameter).

Strategies: ``full`` is every valid combination (refused above :data:`MAX_FULL`, counted
without materialising it); ``pairwise`` is a covering array over present parameters (see
:mod:`scaffolder.pairwise`), usually far smaller, with every feasible pair of values present.

Ids. A variant's id joins, in parameter order, one segment per *varying* parameter (one that
takes two or more values across all variants) that is present and does not hold its default
(the question's rendered default: for choices without one the first choice, for booleans
False; for an axis its first listed value), or whose value has an ``ids`` short name (naming
a value asks to see it). A segment is that short name, else a slug of the value; a boolean
gives ``name`` / ``no-name``; a slug that an earlier parameter already uses is prefixed with
the parameter's name (``cache-none``). An id with no segment is ``default``. Why: adding an
option to the template (a question, an axis, a choice) leaves every existing variant with
that option at its default, so no existing id changes (unless the new option is placed
before a parameter whose value names it shares); two distinct variants first differ at some
parameter where at most one of them has no segment, so ids stay unique unless segments
coincide as text, which is reported with the fix (an ``ids`` entry), never resolved silently.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scaffolder.pairwise import Pick, Search, State, freeze
from scaffolder.questions import MISSING, Question, Renderer, VariantError, cast, load_questions
from scaffolder.selection import select

__all__ = ["MAX_FULL", "Variant", "VariantError", "load_variants", "select"]

MAX_FULL = 10_000  # the full matrix beyond this is refused: use pairwise or narrow it
# Copier's render context beyond the answers, as far as it is known before rendering.
_EXTRA_CONTEXT: Mapping[str, Any] = {"_folder_name": "project", "_copier_python": sys.executable}


@dataclass(frozen=True)
class Variant:
    """One configuration: copier answers (asked questions only) and boot-time axis values."""

    id: str
    answers: Mapping[str, Any]
    axes: Mapping[str, str]
    computed: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Axis:
    """A boot-time dimension from smoke.yaml: values in order, each with a ``when``."""

    name: str
    values: tuple[str, ...]
    when: Mapping[str, Any]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise VariantError(f"smoke.yaml {where} must be a mapping; fix smoke.yaml")
    return value


def _axes(smoke: Mapping[str, Any]) -> list[Axis]:
    axes = []
    for name, spec in _mapping(smoke.get("axes"), "axes").items():
        if isinstance(spec, Mapping):
            options = {_text(v): o if isinstance(o, Mapping) else {} for v, o in spec.items()}
        elif isinstance(spec, list):
            options = {_text(v): {} for v in spec}
        else:
            raise VariantError(f"smoke.yaml axes.{name} must list values or map them to options")
        if not options:
            raise VariantError(f"smoke.yaml axes.{name} has no values; give it at least one")
        when = {value: o.get("when", True) for value, o in options.items()}
        axes.append(Axis(str(name), tuple(options), when))
    return axes


class TemplateSpace:
    """The template's parameters as a :class:`scaffolder.pairwise.Space`."""

    def __init__(
        self,
        questions: Sequence[Question],
        axes: Sequence[Axis],
        renderer: Renderer,
        smoke: Mapping[str, Any],
    ) -> None:
        self.questions, self.axes, self.renderer = list(questions), list(axes), renderer
        self.params: list[Question | Axis] = [*questions, *axes]
        self.index = {p.name: i for i, p in enumerate(self.params)}
        if len(self.index) < len(self.params):
            raise VariantError("a smoke.yaml axis has the name of a copier question; rename it")
        self.pins = {self.check(k, "pin"): v for k, v in _mapping(smoke.get("pin"), "pin").items()}
        for axis in axes:
            pinned = self.pins.get(axis.name, [])
            for value in pinned if isinstance(pinned, list) else [pinned]:
                if _text(value) not in axis.values:
                    raise VariantError(
                        f"smoke.yaml pin sets axis {axis.name!r} to {value!r}, "
                        f"which it does not have; use one of {list(axis.values)}"
                    )
        self.excludes = [self.assignment(e, f"exclude #{n}", True) for n, e in
                         enumerate(smoke.get("exclude") or [], 1)]  # fmt: skip
        reads = [self._reads(p) for p in self.params]
        own: list[set[int]] = []
        for i, names in enumerate(reads):
            deps = set(range(i)) if names is None else {self.index[n] for n in names
                                                        if self.index.get(n, i) < i}  # fmt: skip
            deps |= {j for e in self.excludes if max(e) == i for j in e if j != i}
            own.append(deps)
        self.own = [tuple(sorted(d)) for d in own]
        self.needed = [
            tuple(sorted(j for d in own[i:] for j in d if j < i)) for i in range(len(own) + 1)
        ]
        self.rejected: list[str] = []
        self._cache: dict[Hashable, list[Pick]] = {}

    def _reads(self, param: Question | Axis) -> frozenset[str] | None:
        if isinstance(param, Question):
            return param.refs(self.renderer)
        whens = [w.join(self.renderer.wrap) for w in param.when.values() if isinstance(w, str)]
        return self.renderer.refs(whens, f"smoke.yaml axes.{param.name} when")

    def check(self, name: Any, where: str) -> str:
        """``name`` if it is a parameter that can be set, else a one-line error."""
        if name not in self.index:
            known = ", ".join(self.index)
            raise VariantError(f"smoke.yaml {where} names {name!r}, which is neither a copier "
                               f"question nor an axis; use one of: {known}")  # fmt: skip
        param = self.params[self.index[name]]
        if isinstance(param, Question) and param.computed:
            raise VariantError(f"smoke.yaml {where} names {name!r}, a computed value (when: "
                               "false) that is never asked; remove it")  # fmt: skip
        return str(name)

    def coerce(self, name: str, value: Any) -> Any:
        """A smoke.yaml value as the parameter holds it (cast to the question's type)."""
        param = self.params[self.index[name]]
        if isinstance(param, Axis):
            return _text(value)
        try:
            return cast(param.type_name({}, self.renderer), value)
        except (ValueError, VariantError):
            return value

    def assignment(self, entry: Any, where: str, any_of: bool) -> dict[int, frozenset[Hashable]]:
        """A partial assignment: parameter index -> allowed value keys."""
        result = {}
        for name, value in _mapping(entry, where).items():
            values = value if any_of and isinstance(value, list) else [value]
            keys = frozenset(freeze(self.coerce(self.check(name, where), v)) for v in values)
            result[self.index[name]] = keys
        if not result:
            raise VariantError(f"smoke.yaml {where} is empty; name at least one parameter")
        return result

    def __len__(self) -> int:
        return len(self.params)

    def key(self, state: State) -> Hashable:
        return tuple(state[j].key for j in self.needed[len(state)])

    def context(self, state: State) -> dict[str, Any]:
        context = dict(_EXTRA_CONTEXT)
        context.update((self.params[j].name, p.value) for j, p in enumerate(state)
                       if p.value is not MISSING)  # fmt: skip
        return context

    def picks(self, state: State) -> Sequence[Pick]:
        i = len(state)
        memo = (i, tuple(state[j].key for j in self.own[i]))
        found = self._cache.get(memo)
        if found is None:
            found = self._cache[memo] = [
                pick for pick in self._candidates(i, state) if not self._excluded(state, pick)
            ]
        return found

    def _candidates(self, i: int, state: State) -> list[Pick]:
        param, context = self.params[i], self.context(state)
        pin = self.pins.get(param.name, MISSING)
        if isinstance(param, Question):
            resolution = param.resolve(context, self.renderer, pin)
            self._note(*resolution.rejected)
            if not resolution.asked:
                return [Pick(next(iter(resolution.values), MISSING), present=False)]
            default = freeze(resolution.default)
            return [Pick(v, default=freeze(v) == default) for v in resolution.values]
        pins = {_text(v) for v in (pin if isinstance(pin, list) else [pin])}
        picks = []
        for value in param.values:
            when = param.when[value]
            what = f"smoke.yaml axes.{param.name}.{value}.when"
            if pin is not MISSING and value not in pins:
                continue
            if self.renderer.test(when, context, what) if isinstance(when, str) else when:
                picks.append(Pick(value, default=value == param.values[0]))
        return picks

    def _note(self, *reasons: str) -> None:
        self.rejected.extend(reasons[: 20 - len(self.rejected)])

    def _excluded(self, state: State, pick: Pick) -> bool:
        row = (*state, pick)
        for n, entry in enumerate(self.excludes, 1):
            if max(entry) == len(state) and all(
                row[j].present and row[j].key in keys for j, keys in entry.items()
            ):
                self._note(f"exclude #{n} matches")
                return True
        return False


def _slug(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "empty"


def _ids(space: TemplateSpace, rows: Sequence[State], short: Mapping[str, Any]) -> list[str]:
    seen: list[dict[Hashable, Any]] = [{} for _ in space.params]
    for row in rows:
        for i, pick in enumerate(row):
            if pick.present:
                seen[i][pick.key] = pick.value
    names: dict[tuple[int, Hashable], str] = {}
    for name, mapping in _mapping(short, "ids").items():
        i = space.index[space.check(name, "ids")]
        for value, label in _mapping(mapping, f"ids.{name}").items():
            key = freeze(space.coerce(name, value))
            if key not in seen[i]:
                raise VariantError(f"smoke.yaml ids.{name} names {value!r}, which {name} never "
                                   f"takes; use one of {list(seen[i].values())}")  # fmt: skip
            names[i, key] = _slug(label)
    varying = [i for i, values in enumerate(seen) if len(values) > 1]
    shown = {(i, p.key) for row in rows for i, p in enumerate(row) if p.present and not p.default}
    shown |= names.keys()
    segments: dict[tuple[int, Hashable], str] = {}
    owner: dict[str, int] = {}  # segment text -> the first parameter using it
    for i in varying:
        name = _slug(space.params[i].name)
        for key, value in seen[i].items():
            text = names.get((i, key)) or (
                (name if value else f"no-{name}") if isinstance(value, bool) else _slug(value)
            )
            if (i, key) in shown and owner.setdefault(text, i) != i:
                text = f"{name}-{text}"  # an earlier parameter has a value of that name
            segments[i, key] = text

    ids: dict[str, State] = {}
    for row in rows:
        parts = [
            segments[i, p.key]
            for i, p in ((i, row[i]) for i in varying)
            if p.present and (not p.default or (i, p.key) in names)
        ]
        ident = "-".join(parts) or "default"
        if ident in ids:
            a, b = (", ".join(f"{space.params[i].name}={r[i].value!r}" for i in varying
                              if r[i].present) for r in (ids[ident], row))  # fmt: skip
            raise VariantError(
                f"variants ({a}) and ({b}) both get the id {ident!r}; give their "
                "values distinct names in smoke.yaml ids: {param: {value: name}}"
            )
        ids[ident] = row
    return list(ids)


def load_variants(
    template: Path, smoke: Mapping[str, Any], strategy: Literal["full", "pairwise"] = "full"
) -> list[Variant]:
    """Every valid variant of the template (or a pairwise cover), ordered deterministically."""
    if strategy not in ("full", "pairwise"):
        raise VariantError(f"unknown strategy {strategy!r}; use 'full' or 'pairwise'")
    smoke = _mapping(smoke, "(the whole file)")
    questions, renderer = load_questions(template)
    space = TemplateSpace(questions, _axes(smoke), renderer, smoke)
    search = Search(space)
    total = search.count()
    if total == 0:
        why = f" (e.g. {space.rejected[0]})" if space.rejected else ""
        raise VariantError(f"copier.yml and smoke.yaml allow no valid variant{why}; relax the "
                           "validators, pin or exclude")  # fmt: skip
    if strategy == "full" and total > MAX_FULL:
        raise VariantError(
            f"the full matrix has {total} variants (more than {MAX_FULL}); use "
            "the pairwise strategy or narrow it with pin/exclude in smoke.yaml"
        )
    rows = list(search.rows()) if strategy == "full" else search.cover()
    for n, entry in enumerate(smoke.get("include") or [], 1):
        forced = {i: next(iter(keys)) for i, keys in
                  space.assignment(entry, f"include #{n}", False).items()}  # fmt: skip
        row = search.complete(forced, lambda _state, pick: not pick.default)
        if row is None:
            raise VariantError(f"smoke.yaml include #{n} {dict(entry)} is not a valid variant "
                               "(a key not asked there, a validator, a when or an exclude "
                               "rejects it); fix or remove it")  # fmt: skip
        rows.append(row)
    rows = list({tuple(p.key for p in row): row for row in rows}.values())
    ids = _ids(space, rows, smoke.get("ids") or {})
    nq = len(space.questions)
    return [
        Variant(
            id=ident,
            answers={
                q.name: p.value for q, p in zip(space.questions, row[:nq], strict=True) if p.present
            },
            axes={a.name: p.value for a, p in zip(space.axes, row[nq:], strict=True)},
        )
        for ident, row in zip(ids, rows, strict=True)
    ]
