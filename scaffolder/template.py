"""Finding a template: the bundled starter, or a folder the user names (a Copier or a
cookiecutter template, or a generator command's smoke.yaml; see scaffolder.model)."""

from __future__ import annotations

from pathlib import Path

from scaffolder.errors import TemplateNotFound, UntrustedTemplate
from scaffolder.model import COPIER_FILES, TemplateModel, template_kind


def bundled_template() -> Path:
    """The starter template shipped with freshboot (in a checkout: the repo's `template/`)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "template", here.parent / "template"):
        if template_kind(candidate) == "copier":
            return candidate
    raise TemplateNotFound("the bundled template is missing; pass --template PATH")


def resolve_template(path: Path | None) -> Path:
    """`path` checked to be a template folder, or the bundled one when None."""
    if path is None:
        return bundled_template()
    if not path.exists():
        raise TemplateNotFound(f"template {path} does not exist; pass --template PATH to a folder")
    if not path.is_dir() or template_kind(path) is None:
        raise TemplateNotFound(
            f"{path} is not a template (no {COPIER_FILES[0]}, cookiecutter.json or smoke.yaml); "
            "pass --template PATH to one"
        )
    return path.resolve()


def check_trust(model: TemplateModel, trust: bool, skip_tasks: bool = False) -> None:
    """Refuse, before any work, a template that would run its own code without --trust."""
    unsafe = model.unsafe_settings(skip_tasks)
    if unsafe and not trust:
        raise UntrustedTemplate(
            f"{model.root} runs its own code on generation ({', '.join(unsafe)}); "
            "read it, then pass --trust if you trust it"
        )
