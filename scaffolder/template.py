"""Finding a Copier template: the bundled starter, or a folder the user names."""

from __future__ import annotations

from pathlib import Path

from scaffolder.errors import TemplateNotFound, UntrustedTemplate

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


# Settings that make copier run code from the template: it asks for --trust (unsafe=True).
UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions")


def unsafe_settings(template: Path, skip_tasks: bool = False) -> list[str]:
    """The settings of the template's copier.yml that run its own code (`_tasks` does not
    when they are skipped; migrations and Jinja extensions still do)."""
    from scaffolder.questions import load_config

    config = load_config(template)
    skipped = {"_tasks"} if skip_tasks else set()
    return [name for name in UNSAFE_SETTINGS if config.get(name) and name not in skipped]


def check_trust(template: Path, trust: bool, skip_tasks: bool = False) -> None:
    """Refuse, before any work, a template that would run its own code without --trust."""
    unsafe = unsafe_settings(template, skip_tasks)
    if unsafe and not trust:
        raise UntrustedTemplate(
            f"{template} runs its own code on generation ({', '.join(unsafe)}); "
            "read it, then pass --trust if you trust it"
        )
