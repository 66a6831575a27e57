"""Finding a Copier template: the bundled starter, or a folder the user names."""

from __future__ import annotations

from pathlib import Path

from scaffolder.errors import TemplateNotFound, UntrustedTemplate
from scaffolder.model import TemplateModel

_CONFIG_NAMES = ("copier.yml", "copier.yaml")


def bundled_template() -> Path:
    """The starter template shipped with freshboot (in a checkout: the repo's `template/`)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "template", here.parent / "template"):
        if _config(candidate) is not None:
            return candidate
    raise TemplateNotFound("the bundled template is missing; pass --template PATH")


def resolve_template(path: Path | None) -> Path:
    """`path` checked to be a Copier template folder, or the bundled one when None."""
    if path is None:
        return bundled_template()
    if not path.exists():
        raise TemplateNotFound(f"template {path} does not exist; pass --template PATH to a folder")
    if not path.is_dir() or _config(path) is None:
        raise TemplateNotFound(
            f"{path} is not a Copier template (no copier.yml); pass --template PATH to one"
        )
    return path.resolve()


def _config(folder: Path) -> Path | None:
    return next((folder / n for n in _CONFIG_NAMES if (folder / n).is_file()), None)


def check_trust(model: TemplateModel, trust: bool, skip_tasks: bool = False) -> None:
    """Refuse, before any work, a template that would run its own code without --trust."""
    unsafe = model.unsafe_settings(skip_tasks)
    if unsafe and not trust:
        raise UntrustedTemplate(
            f"{model.root} runs its own code on generation ({', '.join(unsafe)}); "
            "read it, then pass --trust if you trust it"
        )
