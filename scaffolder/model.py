"""A Copier template read once: its merged copier.yml, questions, Jinja and settings.

Every command reads the template's copier.yml through :func:`read_template` once and passes
the :class:`TemplateModel` down (trust check, variants, ``freshboot new``, marker scan).

* ``copier.yml`` or ``copier.yaml`` (not both); several YAML documents are merged (later keys
  win, first-seen order kept) and ``!include GLOB`` (relative to the template) is supported.
* Keys starting with ``_`` are settings; every other key is a question (see
  :mod:`scaffolder.questions`), long form (a mapping) or short form (``name: default``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from scaffolder.bounded_yaml import BoundedLoader, read_bounded
from scaffolder.copier_jinja import Renderer
from scaffolder.errors import VariantError
from scaffolder.questions import Question

# Settings that make copier run code from the template: it asks for --trust (unsafe=True).
UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions")


@dataclass(frozen=True)
class TemplateModel:
    """A template's copier.yml, checked: settings and questions in file order, and the Jinja
    environment copier renders them with."""

    root: Path
    config: Mapping[str, Any]
    questions: tuple[Question, ...]
    renderer: Renderer

    @property
    def subdirectory(self) -> str | None:
        """``_subdirectory``: the folder of the template that is the project (None: all)."""
        value = self.config.get("_subdirectory")
        return None if value is None else str(value)

    @property
    def has_tasks(self) -> bool:
        """``_tasks``: they run only with --trust, or are skipped."""
        return bool(self.config.get("_tasks"))

    def unsafe_settings(self, skip_tasks: bool = False) -> list[str]:
        """The settings that run the template's own code (`_tasks` does not when they are
        skipped; migrations and Jinja extensions still do)."""
        skipped = {"_tasks"} if skip_tasks else set()
        return [name for name in UNSAFE_SETTINGS if self.config.get(name) and name not in skipped]


def read_template(template: Path) -> TemplateModel:
    """The template's copier.yml read and checked (VariantError naming the file and the fix)."""
    config = load_config(template)
    envops = config.get("_envops") or {}
    if not isinstance(envops, Mapping):
        raise VariantError("copier.yml _envops must be a mapping; fix copier.yml")
    questions = tuple(
        Question(str(name), spec if isinstance(spec, Mapping) else {"default": spec})
        for name, spec in config.items()
        if not str(name).startswith("_")
    )
    return TemplateModel(template, config, questions, Renderer(template.resolve(), envops))


def _load_documents(path: Path, root: Path) -> list[Any]:
    class Loader(BoundedLoader):
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        if PurePosixPath(pattern).is_absolute():
            raise yaml.YAMLError(f"!include {pattern}: must be relative to the template")
        found: list[Any] = []
        for match in sorted(root.glob(pattern)):
            if not match.resolve().is_relative_to(root):
                raise yaml.YAMLError(f"!include {pattern}: outside the template")
            found.extend(_flatten(yaml.load_all(read_bounded(match), Loader=Loader)))
        return found

    Loader.add_constructor("!include", include)
    return _flatten(yaml.load_all(read_bounded(path), Loader=Loader))


def _flatten(documents: Any) -> list[Any]:
    flat: list[Any] = []
    for document in documents:
        if isinstance(document, list):
            flat.extend(_flatten(document))
        elif document is not None:
            flat.append(document)
    return flat


def load_config(template: Path) -> dict[str, Any]:
    """The merged ``copier.yml`` of ``template`` (settings and questions, in file order)."""
    found = [p for p in (template / "copier.yml", template / "copier.yaml") if p.is_file()]
    if not found:
        raise VariantError(f"{template}: no copier.yml; point freshboot at a Copier template")
    if len(found) > 1:
        raise VariantError(f"{template}: both copier.yml and copier.yaml exist; keep one")
    path = found[0]
    try:
        documents = _load_documents(path, template.resolve())
    except (yaml.YAMLError, OSError) as error:
        detail = " ".join(str(error).split())
        raise VariantError(f"{path}: invalid YAML ({detail}); fix the file") from None
    merged: dict[str, Any] = {}
    for document in documents:
        if not isinstance(document, Mapping):
            raise VariantError(
                f"{path}: expected a mapping of questions, got "
                f"{type(document).__name__}; fix the file"
            )
        merged.update(document)
    return merged
