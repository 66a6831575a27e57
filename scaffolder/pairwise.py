"""Constraint-aware enumeration and pairwise covering arrays over an ordered parameter space.

The model. A space has parameters ``0..n-1``, decided in order. Given the picks already made
for parameters ``0..i-1`` (a *state*), the space lists the valid picks for parameter ``i``:
each pick is a value, or *absent* (``present=False``) when the parameter does not apply in
that state (a copier question whose ``when`` is false). A row is a state of length ``n``; it is
valid when every pick along it was offered. All constraints (copier ``when``, validators,
per-choice validators, smoke.yaml ``exclude``) are expressed by the space itself, at the
first parameter where they can be decided. Nothing here knows about copier.

Dead ends. A pick can be offered and still lead nowhere (every completion is rejected later).
:meth:`Search.feasible` answers "can this state be completed to a valid row, with these
forced values?" by a depth-first search memoised on ``space.key(state)``, the part of the
state that the remaining parameters depend on. The space must guarantee that two states
with equal keys offer the same futures; a finer key is always correct, only slower.
Enumeration and row construction consult it before each step, so they never backtrack.

Pairs. Absent is not a value: a pair is ``(i=v, j=w)``, ``i < j``, with both parameters
present in one valid row. The required pairs are exactly those occurring in at least one
valid row (and, so that a space with one parameter is covered too, every single value that
occurs in a valid row). A candidate pair is proved feasible by constructing a valid row that
contains it, or infeasible by an exhausted (memoised) search; coverage is never assumed.

The candidate values of each parameter are found by a forward pass over one state per key
(:meth:`Search.atoms`), so they are exact even when choices depend on earlier answers. Costs
grow with the number of distinct keys, not with the number of rows: a template whose late
questions read many earlier answers costs more, one without such reads is linear.

The covering algorithm is a deterministic greedy in the AETG family: while a candidate
pair is uncovered, take the first one (in parameter and value order) as the seed, force it,
and build a row parameter by parameter, each time choosing among the feasible picks the one
that covers the most uncovered pairs with the picks already made (ties: the pick whose
value still has the most uncovered pairs, then the space's own order). No randomness.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

Atom = tuple[int, Hashable]
Pair = tuple[Atom, Atom]


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for ``value`` (lists, dicts, sets too), typed so that 1 != True."""
    if isinstance(value, Mapping):
        return ("mapping", tuple((freeze(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("sequence", tuple(freeze(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(freeze(v) for v in value))
    if isinstance(value, Hashable):
        return (type(value).__name__, value)
    return ("repr", repr(value))


@dataclass(frozen=True)
class Pick:
    """One decision for one parameter: a value, or absent (``present=False``)."""

    value: Any
    present: bool = True
    default: bool = False  # the value is the parameter's default here (ids use it)
    key: Hashable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", freeze(self.value) if self.present else ("absent",))


State = tuple[Pick, ...]
Forced = tuple[tuple[int, Hashable], ...]


class Space(Protocol):
    """An ordered parameter space whose constraints are decided pick by pick."""

    def __len__(self) -> int: ...

    def picks(self, state: State) -> Sequence[Pick]:
        """The valid picks for parameter ``len(state)`` after ``state``."""
        ...

    def key(self, state: State) -> Hashable:
        """What the parameters from ``len(state)`` on depend on (equal keys, equal futures)."""
        ...


class Search:
    """Memoised searches over a :class:`Space`: feasibility, counting, enumeration, covering."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.size = len(space)
        self._feasible: dict[Hashable, bool] = {}
        self._count: dict[Hashable, int] = {}

    def _allowed(self, state: State, forced: Forced) -> list[Pick]:
        picks = self.space.picks(state)
        for index, want in forced:
            if index == len(state):
                return [p for p in picks if p.present and p.key == want]
        return list(picks)

    def feasible(self, state: State = (), forced: Forced = ()) -> bool:
        """Whether ``state`` extends to a valid row holding every ``(index, key)`` of ``forced``."""
        i = len(state)
        if i == self.size:
            return True
        memo = (i, self.space.key(state), tuple(f for f in forced if f[0] >= i))
        known = self._feasible.get(memo)
        if known is None:
            known = any(self.feasible((*state, p), forced) for p in self._allowed(state, forced))
            self._feasible[memo] = known
        return known

    def count(self, state: State = ()) -> int:
        """How many valid rows extend ``state`` (without materialising them)."""
        i = len(state)
        if i == self.size:
            return 1
        memo = (i, self.space.key(state))
        known = self._count.get(memo)
        if known is None:
            known = sum(self.count((*state, p)) for p in self.space.picks(state))
            self._count[memo] = known
        return known

    def rows(self, state: State = ()) -> Iterator[State]:
        """Every valid row extending ``state``, in the space's order (depth first)."""
        if len(state) == self.size:
            yield state
            return
        for pick in self.space.picks(state):
            child = (*state, pick)
            if self.feasible(child):
                yield from self.rows(child)

    def complete(
        self, forced: Mapping[int, Hashable], rank: Callable[[State, Pick], Any] | None = None
    ) -> State | None:
        """A valid row holding ``forced``, choosing at each step the feasible pick ranked first."""
        fixed: Forced = tuple(sorted(forced.items(), key=lambda item: item[0]))
        if not self.feasible((), fixed):
            return None
        state: State = ()
        while len(state) < self.size:
            candidates = self._allowed(state, fixed)
            if rank is not None:
                candidates.sort(key=partial(rank, state))
            state = next((*state, p) for p in candidates if self.feasible((*state, p), fixed))
        return state

    def atoms(self) -> list[dict[Hashable, Pick]]:
        """Per parameter, every present value that occurs in some valid row (first-seen order)."""
        found: list[dict[Hashable, Pick]] = [{} for _ in range(self.size)]
        layer: dict[Hashable, State] = {self.space.key(()): ()} if self.feasible() else {}
        for i in range(self.size):
            following: dict[Hashable, State] = {}
            for state in layer.values():
                for pick in self.space.picks(state):
                    child = (*state, pick)
                    if self.feasible(child):
                        if pick.present:
                            found[i].setdefault(pick.key, pick)
                        following.setdefault(self.space.key(child), child)
            layer = following
        return found

    def order(self, row: State) -> tuple[int, ...]:
        """Sort key placing ``row`` where :meth:`rows` would yield it."""
        return tuple(
            next(n for n, p in enumerate(self.space.picks(row[:i])) if p == pick)
            for i, pick in enumerate(row)
        )

    def cover(self) -> list[State]:
        """Valid rows covering every feasible pair and single value, in the space's order."""
        atoms = self.atoms()
        position = {(i, k): n for i, keys in enumerate(atoms) for n, k in enumerate(keys)}
        uncovered: set[Pair] = {
            ((i, a), (j, b))
            for i in range(self.size)
            for j in range(i + 1, self.size)
            for a in atoms[i]
            for b in atoms[j]
        }
        singles = set(position)
        weight: Counter[Atom] = Counter()
        for first, second in uncovered:
            weight[first] += 1
            weight[second] += 1

        def pair_order(pair: tuple[Atom, ...]) -> tuple[int, int, int, int]:
            return (pair[0][0], pair[1][0], position[pair[0]], position[pair[1]])

        def rank(state: State, pick: Pick) -> tuple[int, int]:
            if not pick.present:
                return (0, 0)
            atom = (len(state), pick.key)
            gain = sum(((j, p.key), atom) in uncovered for j, p in enumerate(state) if p.present)
            return (-gain, -weight[atom])

        rows: list[State] = []
        while uncovered or singles:
            if uncovered:  # the first uncovered pair, in parameter then value order
                seed: tuple[Atom, ...] = min(uncovered, key=pair_order)
            else:  # a value that pairs with nothing (a parameter alone in its rows)
                seed = (min(singles, key=lambda atom: (atom[0], position[atom])),)
            row = self.complete(dict(seed), rank)
            if row is None:  # no valid row holds the seed pair: drop it
                singles.difference_update(seed if len(seed) == 1 else ())  # (never: atoms are)
                covered = [seed]
            else:
                rows.append(row)
                present = [(i, p.key) for i, p in enumerate(row) if p.present]
                singles.difference_update(present)
                covered = [(a, b) for n, a in enumerate(present) for b in present[n + 1 :]]
            for pair in covered:
                if pair in uncovered:
                    uncovered.remove(pair)
                    weight[pair[0]] -= 1
                    weight[pair[1]] -= 1
        if not rows and self.feasible():
            rows.append(next(self.rows()))
        return sorted(rows, key=self.order)
