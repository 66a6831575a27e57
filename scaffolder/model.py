"""A template read once: its questions, Jinja and settings, whatever generates it.

Every command reads the template through :func:`read_template` once and passes the
:class:`TemplateModel` down (trust check, variants, ``freshboot new``, marker scan). Three
kinds of template (:func:`template_kind`): a Copier template (``copier.yml``), a cookiecutter
template (``cookiecutter.json``, see :mod:`scaffolder.cookiecutter_model`) and a generator
command (only ``smoke.yaml``, whose ``generate.command`` makes the project; its options are
smoke.yaml's axes, so it has no questions).

For a Copier template:

* ``copier.yml`` or ``copier.yaml`` (not both); several YAML documents are merged (later keys
  win, first-seen order kept) and ``!include GLOB`` (relative to the template) is supported.
* Keys starting with ``_`` are settings; every other key is a question (see
  :mod:`scaffolder.questions`), long form (a mapping) or short form (``name: default``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml

from scaffolder import cookiecutter_model
from scaffolder.bounded_yaml import BoundedLoader, read_bounded
from scaffolder.copier_jinja import Renderer
from scaffolder.errors import VariantError
from scaffolder.questions import Question

# Settings that make copier run code from the template: it asks for --trust (unsafe=True).
UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions")
COPIER_FILES = ("copier.yml", "copier.yaml")
GENERATOR = "smoke.yaml generate.command"  # what a generator command template runs

Kind = Literal["copier", "cookiecutter", "command"]


def template_kind(folder: Path) -> Kind | None:
    """What generates projects from `folder`: copier (a copier.yml, which wins when a folder
    has both), cookiecutter (a cookiecutter.json), a command (only a smoke.yaml; its
    ``generate.command`` is checked by smoke_tests' spec loader), or None: not a template."""
    if any((folder / name).is_file() for name in COPIER_FILES):
        return "copier"
    if (folder / cookiecutter_model.CONFIG).is_file():
        return "cookiecutter"
    if (folder / "smoke.yaml").is_file():
        return "command"
    return None


@dataclass(frozen=True)
class TemplateModel:
    """A template's copier.yml, checked: settings and questions in file order, and the Jinja
    environment copier renders them with."""

    root: Path
    config: Mapping[str, Any]
    questions: tuple[Question, ...]
    renderer: Renderer
    kind: Kind = "copier"

    @property
    def subdirectory(self) -> str | None:
        """``_subdirectory``: the folder of the template that is the project (None: all)."""
        value = self.config.get("_subdirectory") if self.kind == "copier" else None
        return None if value is None else str(value)

    @property
    def variables(self) -> frozenset[str]:
        """The names the template's own expressions read: its questions (and ``cookiecutter``)."""
        extra = {"cookiecutter"} if self.kind == "cookiecutter" else set()
        return frozenset(q.name for q in self.questions) | extra

    @property
    def tasks(self) -> list[str]:
        """What runs after (or before) generation and can be skipped: copier's ``_tasks``,
        cookiecutter's hooks."""
        if self.kind == "cookiecutter":
            return cookiecutter_model.hooks(self.root)
        return ["_tasks"] if self.kind == "copier" and self.config.get("_tasks") else []

    @property
    def has_tasks(self) -> bool:
        """``_tasks`` or hooks: they run only with --trust, or are skipped."""
        return bool(self.tasks)

    def unsafe_settings(self, skip_tasks: bool = False) -> list[str]:
        """What runs the template's own code (tasks and hooks do not when they are skipped;
        copier's migrations and Jinja extensions, cookiecutter's ``_extensions`` and a
        generator command still do)."""
        if self.kind == "command":
            return [GENERATOR]
        if self.kind == "cookiecutter":
            code = [] if skip_tasks else self.tasks
            return code + (["_extensions"] if self.config.get("_extensions") else [])
        skipped = {"_tasks"} if skip_tasks else set()
        return [name for name in UNSAFE_SETTINGS if self.config.get(name) and name not in skipped]

    @property
    def verbatim(self) -> tuple[str, ...]:
        """Globs of files the generator copies without rendering (cookiecutter's
        ``_copy_without_render``): expressions in them are meant to stay."""
        globs = self.config.get("_copy_without_render") if self.kind == "cookiecutter" else None
        return tuple(str(glob) for glob in globs) if isinstance(globs, list) else ()

    def scope(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        """A variant's context as the template's own expressions and smoke.yaml see it (a
        cookiecutter template's answers are also ``cookiecutter.<name>``)."""
        return cookiecutter_model.scope(context) if self.kind == "cookiecutter" else context


def read_template(template: Path) -> TemplateModel:
    """The template's copier.yml (or cookiecutter.json) read and checked (VariantError naming
    the file and the fix); a generator command template has no questions."""
    kind = template_kind(template)
    if kind == "cookiecutter":
        config = cookiecutter_model.read_config(template)
        renderer = cookiecutter_model.CookiecutterRenderer(template.resolve())
        return TemplateModel(
            template, config, cookiecutter_model.questions(config), renderer, "cookiecutter"
        )
    if kind == "command":
        return TemplateModel(template, {}, (), Renderer(template.resolve(), {}), "command")
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
    found = [template / name for name in COPIER_FILES if (template / name).is_file()]
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
