"""The matrix part of smoke.yaml, typed: ``axes``, ``pin``, ``exclude``, ``include``, ``ids``.

smoke_tests' spec loader checks the shape of every key with ``file:line: key: what`` errors and
builds a :class:`Matrix`; :mod:`scaffolder.variants` checks what needs the template's questions
(a name that is no parameter, a pin to a value an axis lacks) and names the same place, through
:meth:`Matrix.at`. The values stay as YAML gave them (cast to each question's type later).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# An axis value's `when`: a bare Jinja expression, or a constant.
When = str | bool


@dataclass(frozen=True)
class MatrixAxis:
    """A boot-time dimension: its values in order, each with its ``when``."""

    name: str
    values: tuple[str, ...]
    when: Mapping[str, When] = field(default_factory=dict)  # missing: always applies


@dataclass(frozen=True)
class Assignment:
    """An ``exclude`` or ``include`` entry: parameter -> value (in ``exclude`` a list is any
    of its values). ``key`` is its smoke.yaml key path (``exclude[0]``), ``label`` how
    messages name it (``exclude #1``)."""

    key: str
    label: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Matrix:
    """smoke.yaml's matrix keys, checked in shape; the empty matrix asks nothing extra."""

    axes: tuple[MatrixAxis, ...] = ()
    pin: Mapping[str, Any] = field(default_factory=dict)  # a list narrows to those values
    exclude: tuple[Assignment, ...] = ()
    include: tuple[Assignment, ...] = ()
    ids: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    path: Path = Path("smoke.yaml")
    lines: Mapping[str, int] = field(default_factory=dict)  # key path -> line, for messages

    def at(self, key: str) -> str:
        """``file:line`` of ``key`` (or of the nearest enclosing key), else the file."""
        while key:
            line = self.lines.get(key)
            if line:
                return f"{self.path}:{line}"
            key = key.rpartition(".")[0] if "." in key else key.rpartition("[")[0]
        return str(self.path)
