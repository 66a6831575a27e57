"""Copier's Jinja, as copier 9.x renders a template's values: its casts and its environment.

The environment is sandboxed, takes ``_envops`` (delimiters, ``undefined``) and copier's
default ``jinja2_ansible_filters``; ``_jinja_extensions`` are not loaded, as they run template
code, which copier allows only with ``--trust``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from jinja2 import FileSystemLoader, StrictUndefined, Template, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from scaffolder.errors import VariantError

FILTERS = ["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]  # copier's default extension


def cast_to_bool(value: Any) -> bool:
    """Copier's ``cast_to_bool``: numbers, YAML booleans and nulls, then ``bool()``."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        lower = value.strip().lower()
        if lower in {"y", "yes", "t", "true", "on"}:
            return True
        if lower in {"", "n", "no", "f", "false", "off", "~", "null", "none"}:
            return False
    return bool(value)


def _cast_to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"could not convert {value!r} to str")


# fmt: off
CASTS: Mapping[str, Callable[[Any], Any]] = {  # copier's CAST_STR_TO_NATIVE
    "bool": cast_to_bool, "float": float, "int": int, "json": json.loads, "str": _cast_to_str,
    "yaml": yaml.safe_load, "path": str,
}
# fmt: on


def cast(type_name: str, value: Any) -> Any:
    """Copier's ``Question.cast_answer`` for one value (raises ValueError when it cannot)."""
    if value is None and type_name not in {"json", "yaml"}:
        raise ValueError(f"None is not a valid {type_name}")
    try:
        return CASTS[type_name](value)
    except (TypeError, AttributeError):
        if type_name in {"json", "yaml"}:
            return value  # already parsed
        raise ValueError(f"{value!r} is not a valid {type_name}") from None
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise ValueError(f"{value!r} is not valid {type_name}: {error}") from None


class Renderer:
    """Copier's Jinja environment (sandboxed, ``_envops``), with compiled templates cached."""

    def __init__(self, root: Path, envops: Mapping[str, Any]) -> None:
        options = {"keep_trailing_newline": True, **envops}
        if "undefined" in options:  # copier accepts these two only
            known = {"jinja2.Undefined": Undefined, "jinja2.StrictUndefined": StrictUndefined}
            if options["undefined"] not in known:
                raise VariantError("copier.yml _envops.undefined must be jinja2.Undefined or "
                                   "jinja2.StrictUndefined; fix _envops")  # fmt: skip
            options["undefined"] = known[options["undefined"]]
        try:
            self.env = SandboxedEnvironment(
                loader=FileSystemLoader(str(root)),
                extensions=FILTERS,
                **options,
            )
        except (TypeError, ImportError, AttributeError) as error:
            raise VariantError(f"copier.yml _envops is not usable ({error}); fix _envops") from None
        env = self.env
        self.markers = (env.block_start_string, env.variable_start_string, env.comment_start_string)
        self.wrap = (env.variable_start_string, env.variable_end_string)
        self.always = bool(env.line_statement_prefix or env.line_comment_prefix)
        self._cache: dict[str, Template] = {}

    def _plain(self, value: Any) -> bool:
        """Not a template: Copier would return it unchanged."""
        return not isinstance(value, str) or not (
            self.always or any(m in value for m in self.markers)
        )

    def render(self, value: Any, context: Mapping[str, Any], what: str) -> Any:
        """Copier's ``render_value``: strings rendered (to str), lists item by item."""
        if isinstance(value, list):
            return [self.render(item, context, what) for item in value]
        if self._plain(value):
            return value
        try:
            template = self._cache.get(value) or self._cache.setdefault(
                value, self.env.from_string(value)
            )
            return template.render(context)
        except Exception as error:
            raise VariantError(f"{what}: cannot render {value!r} ({error}); fix it") from None

    def refs(self, value: Any, what: str) -> frozenset[str] | None:
        """Names a templated value reads (None: cannot tell, e.g. it includes other files)."""
        if isinstance(value, Mapping):
            value = [*value.keys(), *value.values()]
        if isinstance(value, list):
            found = [self.refs(item, what) for item in value]
            return None if None in found else frozenset().union(*found)  # type: ignore[arg-type]
        if self._plain(value):
            return frozenset()
        try:
            tree = self.env.parse(value)
        except Exception as error:
            raise VariantError(f"{what}: invalid Jinja {value!r} ({error}); fix it") from None
        if any(True for _ in meta.find_referenced_templates(tree)):
            return None
        return frozenset(meta.find_undeclared_variables(tree))
