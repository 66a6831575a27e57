"""The values smoke.yaml strings render with during one variant's run.

They appear in steps: the answers first, then the running services, then the app's port and
URL, then what each probe saves. Each step makes a new context from the one before it and none
is changed in place, so a value is seen only downstream of where it appeared: what one judging
pass saved is never seen by another (`--upgrade-from` judges twice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any


class RunContext(Mapping[str, Any]):
    """An immutable mapping of names to values; `with_values` makes the next one."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] = MappingProxyType({})) -> None:
        self._values: Mapping[str, Any] = MappingProxyType(dict(values))

    def with_values(self, **values: Any) -> RunContext:
        """This context with `values` added (or replacing those of the same name)."""
        return RunContext({**self._values, **values})

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
