"""Version constraints as smoke.yaml writes them (`python: "3.13"`, `postgres: {version: ">=14"}`).

A bare version means that release series, as people say it: "3.13" is any 3.13.x, "16" any 16.x,
"3.13.0" exactly 3.13.0. Anything else is a PEP 440 specifier set (">=3.12", ">=3.12,<3.14");
a bare part inside a set keeps that meaning ("3.12,<3.14" is 3.12.x).
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_BARE = re.compile(r"\d+(\.\d+)*")


class ConstraintError(ValueError):
    """Not a version constraint; the message says what one looks like."""


def constraint(text: str) -> SpecifierSet:
    """The SpecifierSet `text` stands for."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise ConstraintError(_bad(text))
    specifiers = [f"=={part}.*" if _BARE.fullmatch(part) else part for part in parts]
    try:
        return SpecifierSet(",".join(specifiers))
    except InvalidSpecifier:
        raise ConstraintError(_bad(text)) from None


def is_bare(text: str) -> bool:
    """Whether `text` is a plain version ("3.13"), not a specifier."""
    return _BARE.fullmatch(text) is not None


def satisfies(version: str, wanted: SpecifierSet) -> bool:
    """Whether `version` (e.g. "15.14", "3.13.0") is in `wanted`; pre-releases count."""
    try:
        return wanted.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def _bad(text: str) -> str:
    return (
        f'{text!r} is not a version constraint; write a version such as "16" or "3.13", or '
        'a specifier such as ">=14" or ">=3.12,<3.14"'
    )
