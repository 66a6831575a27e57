"""Every configuration of a template worth booting: copier questions x smoke.yaml axes.

A *variant* is one valid combination of the template's parameters: the copier questions
that vary (choices, booleans; see :mod:`scaffolder.questions`) in copier.yml order, then the
boot-time axes of smoke.yaml in their order. A combination is valid when copier would accept
it (``when``, validators, per-choice validators), every axis has a value whose ``when`` holds,
and no smoke.yaml ``exclude`` entry matches it. ``when`` conditions of axes see every
question's value as copier's own templates do, computed (``when: false``) values included.

smoke.yaml's matrix keys (a typed :class:`scaffolder.matrix.Matrix`, checked in shape with
``file:line`` errors by smoke_tests' spec loader; what needs the questions is checked here, at
the same lines): ``axes``, ``pin`` (fixed answers; a list narrows a choice question
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

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scaffolder.errors import VariantError
from scaffolder.ids import Warn, variant_ids
from scaffolder.matrix import Assignment, Matrix
from scaffolder.model import TemplateModel
from scaffolder.pairwise import Search, State, freeze
from scaffolder.questions import MASK, MISSING
from scaffolder.space import TemplateSpace

__all__ = ["MAX_FULL", "Variant", "load_variants"]

NO_MATRIX = Matrix()  # a template without smoke.yaml's matrix keys: its questions alone
MAX_FULL = 10_000  # the full matrix beyond this is refused: use pairwise or narrow it


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

    @property
    def context(self) -> dict[str, Any]:
        """Copier's context for this variant: computed values, then the answers over them
        (what a ``when`` sees at matrix time; see :mod:`scaffolder.conditions`)."""
        return {**self.computed, **self.answers}


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
    model: TemplateModel,
    matrix: Matrix = NO_MATRIX,
    strategy: Literal["full", "pairwise"] = "full",
    warn: Warn | None = None,
) -> list[Variant]:
    """Every valid variant of the template (or a pairwise cover), ordered deterministically.

    ``warn`` receives one line per thing worth knowing that is not an error: a value that is
    in no variant (and why), an ``ids`` entry for a value the parameter does not have."""
    if strategy not in ("full", "pairwise"):
        raise VariantError(f"unknown strategy {strategy!r}; use 'full' or 'pairwise'")
    say = warn or (lambda _: None)
    space = TemplateSpace(model, matrix)
    search = Search(space)
    total = search.count()
    if total == 0:
        why = f" (e.g. {space.rejected[0]})" if space.rejected else ""
        files = {"copier": "copier.yml and smoke.yaml", "command": "smoke.yaml"}
        raise VariantError(
            f"{files.get(model.kind, 'cookiecutter.json and smoke.yaml')} allow no valid "
            f"variant{why}; relax the validators, pin or exclude"
        )
    if strategy == "full" and total > MAX_FULL:
        raise VariantError(
            f"the full matrix has {total} variants (more than {MAX_FULL}); use "
            "the pairwise strategy or narrow it with pin/exclude in smoke.yaml"
        )
    if warn is not None:
        for line in _vanished(space, search):
            say(line)
    rows = list(search.rows()) if strategy == "full" else search.cover()
    rows += [_included(space, search, entry) for entry in matrix.include]
    rows = list({tuple(p.key for p in row): row for row in rows}.values())
    ids = variant_ids(space, rows, matrix.ids, say)
    return [_variant(space, ident, row) for ident, row in zip(ids, rows, strict=True)]


def _included(space: TemplateSpace, search: Search, entry: Assignment) -> State:
    """The row an ``include`` entry names, completed with defaults (an error if invalid)."""
    forced = {i: next(iter(keys)) for i, keys in space.assignment(entry, False).items()}
    row = search.complete(forced, lambda _state, pick: not pick.default)
    if row is None:
        shown = {k: MASK if space.secret(k) else v for k, v in entry.values.items()}
        raise VariantError(f"{space.matrix.at(entry.key)}: {entry.label} {shown} is not a valid "
                           "variant (a key not asked there, a validator, a when or an exclude "
                           "rejects it); fix or remove it")  # fmt: skip
    return row


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
