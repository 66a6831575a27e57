"""Every configuration of a template worth booting: copier questions x smoke.yaml axes.

A *variant* is one valid combination of the template's parameters: the copier questions
that vary (choices, booleans; see :mod:`scaffolder.questions`) in copier.yml order, then the
boot-time axes of smoke.yaml in their order. A combination is valid when copier would accept
it (``when``, validators, per-choice validators), every axis has a value whose ``when`` holds,
and no smoke.yaml ``exclude`` entry matches it. ``when`` conditions of axes see every
question's value as copier's own templates do, computed (``when: false``) values included.

smoke.yaml keys read here: ``axes``, ``pin`` (fixed answers; a list narrows a choice question
or an axis to those values; a computed ``when: false`` value may be pinned too, as copier's
``--data`` allows: the pin then replaces it in the render), ``exclude`` (partial assignments
that are invalid; a list value means any of; a key only matches a parameter that is asked in
that combination), ``include`` (extra partial assignments, completed with defaults, that must
be valid; kept even when the strategy would skip them) and ``ids`` (short names for values,
per parameter).

Strategies: ``full`` is every valid combination (refused above :data:`MAX_FULL`, counted
without materialising it); ``pairwise`` is a covering array over present parameters (see
:mod:`scaffolder.pairwise`), usually far smaller, with every feasible pair of values present.

Each variant has an id (see :mod:`scaffolder.ids`). A value that a parameter offers but that
no variant holds (every combination with it is refused later, e.g. by the validator of a later
question's default) is reported through ``warn``, one line per value with the reason.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scaffolder.errors import VariantError
from scaffolder.ids import Warn, smoke_mapping, variant_ids
from scaffolder.pairwise import Pick, Search, State, freeze
from scaffolder.questions import (
    MASK,
    MISSING,
    Question,
    Renderer,
    cast,
    load_questions,
)

__all__ = ["MAX_FULL", "Variant", "load_variants"]

MAX_FULL = 10_000  # the full matrix beyond this is refused: use pairwise or narrow it
# Copier's render context beyond the answers, as far as it is known before rendering.
_EXTRA_CONTEXT: Mapping[str, Any] = {"_folder_name": "project", "_copier_python": sys.executable}


@dataclass(frozen=True)
class Variant:
    """One configuration: copier answers and boot-time axis values.

    ``answers`` is the data copier is given: the answers of the questions asked (``ask:
    false`` ones at their default) and pinned computed values. ``computed`` holds what copier's
    context has for the questions whose ``when`` is false (their default; none if they have
    none), pinned computed values included, so ``{**computed, **answers}`` is copier's context.
    ``secrets`` names the answers and computed values of ``secret: true`` questions."""

    id: str
    answers: Mapping[str, Any]
    axes: Mapping[str, str]
    computed: Mapping[str, Any] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Axis:
    """A boot-time dimension from smoke.yaml: values in order, each with a ``when``."""

    name: str
    values: tuple[str, ...]
    when: Mapping[str, Any]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _axes(smoke: Mapping[str, Any]) -> list[Axis]:
    axes = []
    for name, spec in smoke_mapping(smoke.get("axes"), "axes").items():
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
        self.pins: dict[str, Any] = {}
        for name, value in smoke_mapping(smoke.get("pin"), "pin").items():
            self.pins[self.check(name, "pin")] = value
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
        # Per memo of picks(): the values refused there and why, and why no pick is left.
        self._refused: dict[Hashable, list[tuple[Any, str]]] = {}
        self._why: dict[Hashable, list[str]] = {}
        # Per parameter: the values it offers in some context before a pin narrows them, and
        # those of them that are not its default there (what ids may show).
        self.offers: list[dict[Hashable, Any]] = [{} for _ in self.params]
        self.shows: list[set[Hashable]] = [set() for _ in self.params]

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
        if (
            isinstance(param, Question)
            and param.computed
            and where != "pin"
            and name not in self.pins
        ):
            raise VariantError(f"smoke.yaml {where} names {name!r}, a computed value (when: "
                               "false) that is never asked; pin it, or remove it")  # fmt: skip
        return str(name)

    def secret(self, name: Any) -> bool:
        """Whether ``name`` is a ``secret: true`` question."""
        param = self.params[self.index[name]] if name in self.index else None
        return isinstance(param, Question) and param.secret

    def pinned(self, i: int) -> set[Hashable]:
        """The value keys smoke.yaml pins parameter ``i`` to (empty if it is not pinned)."""
        name = self.params[i].name
        if name not in self.pins:
            return set()
        pin = self.pins[name]
        return {freeze(self.coerce(name, v)) for v in (pin if isinstance(pin, list) else [pin])}

    def show(self, i: int, value: Any) -> str:
        """Parameter ``i``'s value as messages show it (``***`` for a secret question)."""
        param = self.params[i]
        return param.show(value) if isinstance(param, Question) else repr(value)

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
        for name, value in smoke_mapping(entry, where).items():
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

    def _memo(self, state: State) -> Hashable:
        i = len(state)
        return (i, tuple(state[j].key for j in self.own[i]))

    def picks(self, state: State) -> Sequence[Pick]:
        memo = self._memo(state)
        found = self._cache.get(memo)
        if found is None:
            why: list[str] = []
            candidates = self._candidates(len(state), state, memo, why)
            found = [pick for pick in candidates if not self._excluded(state, pick, why)]
            self._cache[memo] = found
            self._why[memo] = why
        return found

    def refused(self, state: State) -> list[tuple[Any, str]]:
        """The values parameter ``len(state)`` refuses after ``state`` (picks() first), why."""
        return self._refused.get(self._memo(state), [])

    def why(self, state: State) -> list[str]:
        """Why picks(``state``) refused what it did (picks() first)."""
        return self._why.get(self._memo(state), [])

    def _offer(self, i: int, options: Sequence[Any], default: Hashable) -> None:
        for value in options:
            key = freeze(value)
            self.offers[i].setdefault(key, value)
            if key != default:
                self.shows[i].add(key)

    def _candidates(self, i: int, state: State, memo: Hashable, why: list[str]) -> list[Pick]:
        param, context = self.params[i], self.context(state)
        pin = self.pins.get(param.name, MISSING)
        if isinstance(param, Question):
            resolution = param.resolve(context, self.renderer, pin)
            self._refused[memo] = list(resolution.rejected)
            why.extend(message for _, message in resolution.rejected)
            self._note(*why)
            default = freeze(resolution.default)
            self._offer(i, resolution.options, default)
            if not resolution.asked:
                return [Pick(next(iter(resolution.values), MISSING), present=False)]
            return [Pick(v, default=freeze(v) == default) for v in resolution.values]
        pins = {_text(v) for v in (pin if isinstance(pin, list) else [pin])}
        applies = []
        for value in param.values:
            when = param.when[value]
            what = f"smoke.yaml axes.{param.name}.{value}.when"
            if self.renderer.test(when, context, what) if isinstance(when, str) else when:
                applies.append(value)
        self._offer(i, param.values, freeze(param.values[0]))  # all: a pin may hide some
        if not applies:
            why.append(f"no value of axis {param.name!r} applies (every when is false)")
        picks = [v for v in applies if pin is MISSING or v in pins]
        return [Pick(value, default=value == param.values[0]) for value in picks]

    def _note(self, *reasons: str) -> None:
        self.rejected.extend(reasons[: 20 - len(self.rejected)])

    def _excluded(self, state: State, pick: Pick, why: list[str]) -> bool:
        row = (*state, pick)
        for n, entry in enumerate(self.excludes, 1):
            if max(entry) == len(state) and all(
                row[j].present and row[j].key in keys for j, keys in entry.items()
            ):
                why.append(f"smoke.yaml exclude #{n} matches")
                self._note(f"exclude #{n} matches")
                return True
        return False

    def dead_end(self, state: State) -> str:
        """Why ``state``, which no valid row extends, is refused: the reasons at the first
        parameter where it runs out of picks (following the first pick at each step)."""
        while len(state) < len(self.params):
            picks = self.picks(state)
            if not picks:
                return "; ".join(dict.fromkeys(self.why(state))) or "no value is left"
            state = (*state, picks[0])
        return "no value is left"


def _vanished(space: TemplateSpace, search: Search) -> list[str]:
    """One line per value a parameter offers that no valid variant holds, with the reason."""
    found: list[set[Hashable]] = [set() for _ in space.params]
    lost: list[dict[Hashable, tuple[Any, State | str]]] = [{} for _ in space.params]
    layer: dict[Hashable, State] = {space.key(()): ()} if search.feasible() else {}
    for i in range(len(space)):
        following: dict[Hashable, State] = {}
        for state in layer.values():
            for pick in space.picks(state):
                child = (*state, pick)
                if search.feasible(child):
                    found[i].add(pick.key)
                    following.setdefault(space.key(child), child)
                elif pick.present:  # why: found at the dead end, if it is reported
                    lost[i].setdefault(pick.key, (pick.value, child))
            for value, message in space.refused(state):
                lost[i].setdefault(freeze(value), (value, message))
        layer = following
    return [
        f"{space.params[i].name}={space.show(i, value)} is in no variant: "
        + (why if isinstance(why, str) else space.dead_end(why))
        for i, values in enumerate(lost)
        for key, (value, why) in values.items()
        if key not in found[i]
    ]


def load_variants(
    template: Path,
    smoke: Mapping[str, Any],
    strategy: Literal["full", "pairwise"] = "full",
    warn: Warn | None = None,
) -> list[Variant]:
    """Every valid variant of the template (or a pairwise cover), ordered deterministically.

    ``warn`` receives one line per thing worth knowing that is not an error: a value that is
    in no variant (and why), an ``ids`` entry for a value the parameter does not have."""
    if strategy not in ("full", "pairwise"):
        raise VariantError(f"unknown strategy {strategy!r}; use 'full' or 'pairwise'")
    say = warn or (lambda _: None)
    smoke = smoke_mapping(smoke, "(the whole file)")
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
    if warn is not None:
        for line in _vanished(space, search):
            say(line)
    rows = list(search.rows()) if strategy == "full" else search.cover()
    for n, entry in enumerate(smoke.get("include") or [], 1):
        forced = {i: next(iter(keys)) for i, keys in
                  space.assignment(entry, f"include #{n}", False).items()}  # fmt: skip
        row = search.complete(forced, lambda _state, pick: not pick.default)
        if row is None:
            shown = {k: MASK if space.secret(k) else v for k, v in smoke_mapping(entry, "").items()}
            raise VariantError(f"smoke.yaml include #{n} {shown} is not a valid variant "
                               "(a key not asked there, a validator, a when or an exclude "
                               "rejects it); fix or remove it")  # fmt: skip
        rows.append(row)
    rows = list({tuple(p.key for p in row): row for row in rows}.values())
    ids = variant_ids(space, rows, smoke.get("ids") or {}, say)
    return [_variant(space, ident, row) for ident, row in zip(ids, rows, strict=True)]


def _variant(space: TemplateSpace, ident: str, row: State) -> Variant:
    nq = len(space.questions)
    answers, computed = {}, {}
    for question, pick in zip(space.questions, row[:nq], strict=True):
        if pick.present:
            answers[question.name] = pick.value
        if (not pick.present and pick.value is not MISSING) or (pick.present and question.computed):
            computed[question.name] = pick.value
    return Variant(
        id=ident,
        answers=answers,
        axes={a.name: p.value for a, p in zip(space.axes, row[nq:], strict=True)},
        computed=computed,
        secrets=frozenset(q.name for q in space.questions if q.secret) & {*answers, *computed},
    )
