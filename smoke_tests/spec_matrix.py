"""smoke.yaml's matrix keys (``pin``, ``exclude``, ``include``, ``ids``, and the ``axes``
values with their ``when``) checked with ``file:line: key: what`` errors into the typed
:class:`scaffolder.matrix.Matrix` that :mod:`scaffolder.variants` enumerates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scaffolder.matrix import Assignment, Matrix, MatrixAxis, When
from smoke_tests.spec_checks import Where


def build(
    at: Where,
    top: Mapping[str, Any],
    axes: Mapping[str, Mapping[str, When | None]],
    implicit_ids: Mapping[str, Mapping[Any, str]],
) -> Matrix:
    """The matrix of a checked smoke.yaml; ``axes`` maps each axis (implicit ones included,
    in order) to its values' ``when``, ``implicit_ids`` the ids of the implicit axes."""
    return Matrix(
        axes=tuple(
            MatrixAxis(name, tuple(values), {v: w for v, w in values.items() if w is not None})
            for name, values in axes.items()
        ),
        pin=_optional_mapping(at, top.get("pin"), "pin"),
        exclude=_assignments(at, top.get("exclude"), "exclude"),
        include=_assignments(at, top.get("include"), "include"),
        ids={**_ids(at, top.get("ids")), **implicit_ids},
        path=at.path,
        lines=at.lines,
    )


def when(at: Where, value: Any, where: str) -> When | None:
    """An axis value's ``when``: a bare Jinja expression or a constant (true/false)."""
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        raise at.bad(where, f"expected a condition such as \"db == 'postgres'\", got {value!r}")
    return value


def _optional_mapping(at: Where, value: Any, where: str) -> dict[str, Any]:
    return {} if value is None else at.mapping(value, where)


def _assignments(at: Where, value: Any, key: str) -> tuple[Assignment, ...]:
    entries = [] if value is None else at.list(value, key)
    found = []
    for n, entry in enumerate(entries, 1):
        where = f"{key}[{n - 1}]"
        values = at.mapping(entry, where)
        if not values:
            raise at.bad(where, f"{key} #{n} is empty; name at least one parameter")
        found.append(Assignment(where, f"{key} #{n}", values))
    return tuple(found)


def _ids(at: Where, value: Any) -> dict[str, Mapping[Any, str]]:
    found: dict[str, Mapping[Any, str]] = {}
    for name, names in _optional_mapping(at, value, "ids").items():
        where = f"ids.{name}"
        if names is None:
            continue
        if not isinstance(names, dict):
            raise at.bad(where, f"expected a mapping of values to names, got {names!r}")
        found[name] = {v: at.string(label, f"{where}.{v}") for v, label in names.items()}
    return found
