"""The values smoke.yaml strings render with during one variant's run.

They appear in steps: the variant's own values first (:meth:`RunContext.of`), then the
running services, then the app's port and URL, then what each probe saves. Each step makes a
new context from the one before it and none is changed in place, so a value is seen only
downstream of where it appeared: what one judging pass saved is never seen by another
(`--upgrade-from` judges twice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from scaffolder.model import TemplateModel
from scaffolder.variants import Variant


class RunContext(Mapping[str, Any]):
    """An immutable mapping of names to values; `with_values` makes the next one."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] = MappingProxyType({})) -> None:
        self._values: Mapping[str, Any] = MappingProxyType(dict(values))

    @classmethod
    def of(cls, variant: Variant, model: TemplateModel | None) -> RunContext:
        """A variant's values: each axis value by its axis's name, the computed values and
        the answers over them, as the template's kind shows them (cookiecutter's answers are
        also ``cookiecutter.<name>``)."""
        values = {**variant.axes, **variant.context}
        return cls(model.scope(values) if model is not None else values)

    def with_values(self, **values: Any) -> RunContext:
        """This context with `values` added (or replacing those of the same name)."""
        return RunContext({**self._values, **values})

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
