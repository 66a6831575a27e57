"""The template's parameters (copier questions, then smoke.yaml axes) as a search space for
:mod:`scaffolder.pairwise`: what each parameter offers given the earlier ones, what smoke.yaml's
``pin`` and ``exclude`` remove, and why a value is refused (for messages)."""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from scaffolder.conditions import ConditionError, holds
from scaffolder.copier_jinja import cast
from scaffolder.errors import VariantError
from scaffolder.matrix import Assignment, Matrix, MatrixAxis
from scaffolder.model import TemplateModel
from scaffolder.pairwise import Pick, State, freeze
from scaffolder.questions import MISSING, Question

# Copier's render context beyond the answers, as far as it is known before rendering.
_EXTRA_CONTEXT: Mapping[str, Any] = {"_folder_name": "project", "_copier_python": sys.executable}


def text(value: Any) -> str:
    """A smoke.yaml axis value as the axis holds it (a YAML boolean is ``true``/``false``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _seen(pick: Pick) -> Hashable:
    """What a later parameter can see of a pick: its key, and for an absent one the computed
    value it still puts in copier's context (two computed values are two contexts)."""
    return pick.key if pick.present or pick.value is MISSING else (pick.key, freeze(pick.value))


class TemplateSpace:
    """The template's parameters as a :class:`scaffolder.pairwise.Space`."""

    def __init__(self, model: TemplateModel, matrix: Matrix) -> None:
        self.questions, self.axes = list(model.questions), list(matrix.axes)
        self.renderer, self.matrix, self.scope = model.renderer, matrix, model.scope
        self.params: list[Question | MatrixAxis] = [*self.questions, *self.axes]
        self.index = {p.name: i for i, p in enumerate(self.params)}
        for axis in self.axes:
            if any(q.name == axis.name for q in self.questions):
                key = f"axes.{axis.name}"
                raise VariantError(f"{matrix.at(key)}: {key}: a smoke.yaml axis has the name of "
                                   "a copier question; rename it")  # fmt: skip
        self.pins = {self.check(name, "pin", f"pin.{name}"): v for name, v in matrix.pin.items()}
        self._check_axis_pins()
        self.excludes = [self.assignment(e, True) for e in matrix.exclude]
        self._plan()

    def _check_axis_pins(self) -> None:
        for axis in self.axes:
            pinned = self.pins.get(axis.name, [])
            for value in pinned if isinstance(pinned, list) else [pinned]:
                if text(value) not in axis.values:
                    raise VariantError(
                        f"{self.matrix.at(f'pin.{axis.name}')}: pin sets axis {axis.name!r} to "
                        f"{value!r}, which it does not have; use one of {list(axis.values)}"
                    )

    def _plan(self) -> None:
        """Which parameters each one depends on (for memoising picks), and empty records."""
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

    def _reads(self, param: Question | MatrixAxis) -> frozenset[str] | None:
        if isinstance(param, Question):
            return param.refs(self.renderer)
        whens = [w.join(self.renderer.wrap) for w in param.when.values() if isinstance(w, str)]
        key = f"axes.{param.name}"
        return self.renderer.refs(whens, f"{self.matrix.at(key)}: {key} when")

    def check(self, name: Any, where: str, key: str) -> str:
        """``name`` if it is a parameter that can be set, else a one-line error naming
        ``where`` (``exclude #1``) at the line of ``key`` (its smoke.yaml key path)."""
        at = self.matrix.at(key)
        if name not in self.index:
            known = ", ".join(self.index)
            raise VariantError(f"{at}: {where} names {name!r}, which is neither a copier "
                               f"question nor an axis; use one of: {known}")  # fmt: skip
        param = self.params[self.index[name]]
        if (
            isinstance(param, Question)
            and param.computed
            and where != "pin"
            and name not in self.pins
        ):
            raise VariantError(f"{at}: {where} names {name!r}, a computed value (when: "
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
        if isinstance(param, MatrixAxis):
            return text(value)
        try:
            return cast(param.type_name({}, self.renderer), value)
        except (ValueError, VariantError):
            return value

    def assignment(self, entry: Assignment, any_of: bool) -> dict[int, frozenset[Hashable]]:
        """A partial assignment: parameter index -> allowed value keys."""
        result = {}
        for name, value in entry.values.items():
            values = value if any_of and isinstance(value, list) else [value]
            checked = self.check(name, entry.label, f"{entry.key}.{name}")
            result[self.index[name]] = frozenset(freeze(self.coerce(checked, v)) for v in values)
        return result

    def __len__(self) -> int:
        return len(self.params)

    def key(self, state: State) -> Hashable:
        return tuple(_seen(state[j]) for j in self.needed[len(state)])

    def context(self, state: State) -> dict[str, Any]:
        context = dict(_EXTRA_CONTEXT)
        context.update((self.params[j].name, p.value) for j, p in enumerate(state)
                       if p.value is not MISSING)  # fmt: skip
        return context

    def _memo(self, state: State) -> Hashable:
        i = len(state)
        return (i, tuple(_seen(state[j]) for j in self.own[i]))

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
        pins = {text(v) for v in (pin if isinstance(pin, list) else [pin])}
        applies = [value for value in param.values if self._applies(param, value, context)]
        self._offer(i, param.values, freeze(param.values[0]))  # all: a pin may hide some
        if not applies:
            why.append(f"no value of axis {param.name!r} applies (every when is false)")
        picks = [v for v in applies if pin is MISSING or v in pins]
        return [Pick(value, default=value == param.values[0]) for value in picks]

    def _applies(self, axis: MatrixAxis, value: str, context: Mapping[str, Any]) -> bool:
        """Whether the axis value's ``when`` holds at matrix time (see scaffolder.conditions)."""
        try:
            return holds(axis.when.get(value), self.scope(context), self.renderer.env)
        except ConditionError as error:
            key = f"axes.{axis.name}.{value}.when"
            raise VariantError(f"{self.matrix.at(key)}: {key}: cannot render {error.text!r} "
                               f"({error.reason}); fix it") from None  # fmt: skip

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
