"""A cookiecutter template read as freshboot reads a Copier one: its cookiecutter.json as
questions, its Jinja as cookiecutter's own environment.

cookiecutter.json, in cookiecutter 2.x's terms, becomes copier-shaped questions (see
:mod:`scaffolder.questions`) in file order:

* a list is a choice variable: its (rendered) items are choices, the first the default;
* a boolean is a yes/no variable: both values vary, the default is the file's;
* a dict is kept as it is (a ``json`` value); ``null`` stays null;
* anything else is text (a number becomes its text, as cookiecutter makes it), its default
  rendered with ``cookiecutter.<earlier name>`` in cookiecutter's own environment;
* ``__name`` keys are rendered, never asked: computed values;
* ``_name`` keys are settings, never questions (``_extensions``, ``_copy_without_render``...).

Hooks (``hooks/pre_prompt``, ``pre_gen_project``, ``post_gen_project``, any extension) and
``_extensions`` are the template's own code: like copier's ``_tasks`` they run only with
--trust (hooks are skipped with --skip-tasks; extensions cannot be).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from scaffolder.copier_jinja import Renderer
from scaffolder.errors import VariantError
from scaffolder.questions import Question

CONFIG = "cookiecutter.json"
HOOKS = ("pre_prompt", "pre_gen_project", "post_gen_project")


# cookiecutter's StrictEnvironment loads these, then the template's own `_extensions`.
EXTENSIONS = [
    f"cookiecutter.extensions.{name}Extension"
    for name in ("Jsonify", "RandomString", "Slugify", "Time", "UUID")
]


class CookiecutterRenderer(Renderer):
    """cookiecutter's StrictEnvironment (its default extensions, StrictUndefined), sandboxed
    as copier's is, without the template's `_extensions` (its own code); a value is rendered as
    cookiecutter renders a default: with the earlier answers as ``cookiecutter``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, {})
        self.env = SandboxedEnvironment(
            extensions=EXTENSIONS, undefined=StrictUndefined, keep_trailing_newline=True
        )

    def render(self, value: Any, context: Mapping[str, Any], what: str) -> Any:
        return super().render(value, {"cookiecutter": dict(context)}, what)

    def refs(self, value: Any, what: str) -> frozenset[str] | None:
        """As Renderer.refs; a value that reads ``cookiecutter`` may read any earlier answer."""
        names = super().refs(value, what)
        return None if names is not None and "cookiecutter" in names else names


def scope(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context smoke.yaml sees for a cookiecutter variant: each answer by its plain name
    and as ``cookiecutter.<name>``."""
    return {**context, "cookiecutter": dict(context)}


def read_config(template: Path) -> dict[str, Any]:
    """The template's cookiecutter.json (VariantError naming the file and the fix)."""
    path = template / CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        detail = " ".join(str(error).split())
        raise VariantError(f"{path}: invalid JSON ({detail}); fix the file") from None
    if not isinstance(config, dict):
        raise VariantError(f"{path}: expected an object of variables, got "
                           f"{type(config).__name__}; fix the file")  # fmt: skip
    return config


def questions(config: Mapping[str, Any]) -> tuple[Question, ...]:
    """cookiecutter.json's variables as copier-shaped questions, in file order."""
    found = []
    for name, raw in config.items():
        if name.startswith("_") and not name.startswith("__"):
            continue
        spec: dict[str, Any]
        if isinstance(raw, list):
            if not raw:
                raise VariantError(f"{CONFIG}: {name} is an empty list of choices; give it one")
            spec = {"type": "str", "choices": [_text(item) for item in raw]}
        elif isinstance(raw, bool):
            spec = {"type": "bool", "default": raw}
        elif isinstance(raw, dict):
            spec = {"type": "json", "default": raw}
        elif raw is None:
            spec = {"type": "yaml", "default": None}
        else:
            spec = {"type": "str", "default": _text(raw)}
        if name.startswith("__"):
            spec.pop("choices", None)
            spec = {**spec, "when": False, "default": spec.get("default", raw)}
        found.append(Question(name, spec, CONFIG))
    return tuple(found)


def _text(raw: Any) -> Any:
    """cookiecutter's ``render_variable`` makes every scalar text before rendering it."""
    return raw if isinstance(raw, str | dict | list) or raw is None else str(raw)


def hooks(template: Path) -> list[str]:
    """The template's hook scripts, as ``hooks/<name>``, as cookiecutter finds them."""
    folder = template / "hooks"
    if not folder.is_dir():
        return []
    return sorted(
        f"hooks/{path.name}"
        for path in folder.iterdir()
        if path.is_file() and path.stem in HOOKS and not path.name.endswith("~")
    )
