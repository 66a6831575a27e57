"""Checks of smoke.yaml values that name the file, the line and the key path of what is wrong,
so every error is one line a maintainer can act on (`smoke.yaml:18: stop.grace: ...`)."""

from __future__ import annotations

import posixpath
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder.errors import SpecError
from smoke_tests.interpreters import is_path
from smoke_tests.versions import ConstraintError, constraint

Command = tuple[str, ...]


def folder_problem(path: str) -> str | None:
    """Why `path` cannot be a command's folder, or None: it must be relative and stay inside
    the project. A Jinja template is checked once rendered."""
    if "{{" in path or "{%" in path:
        return None
    if posixpath.isabs(path):
        return f"{path!r} is an absolute path; give a folder inside the project, e.g. backend"
    if posixpath.normpath(path).split("/")[0] == "..":
        return f"{path!r} leaves the project; give a folder inside it, e.g. backend"
    return None


_ABSOLUTE = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]{2})")


def url_problem(path: str) -> str | None:
    """Why `path` is not a path on the app (None when it is): a scheme or `//host` would send
    the request to another host, and an app that never listens could PASS that way."""
    if _ABSOLUTE.match(path):
        return f"{path!r} is a URL; give a path on the app, e.g. /health"
    return None


@dataclass(frozen=True)
class Where:
    """Type checks that name the file and key path of what is wrong."""

    path: Path
    lines: Mapping[str, int]
    secrets: set[str] = field(default_factory=set)  # env names given as {value, secret: true}

    def bad(self, where: str, what: str) -> SpecError:
        line = self.lines.get(where)
        place = f"{self.path}:{line}" if line else str(self.path)
        return SpecError(f"{place}: {where or 'top level'}: {what}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.bad(where, f"expected a mapping, got {type(value).__name__}")
        return {str(k): v for k, v in value.items()}

    def list(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.bad(where, f"expected a list, got {type(value).__name__}")
        return value

    def known(self, value: Mapping[str, Any], keys: set[str], where: str) -> None:
        for key in value:
            if key not in keys:
                prefix = f"{where}." if where else ""
                raise self.bad(
                    f"{prefix}{key}", f"unknown key; expected one of {', '.join(sorted(keys))}"
                )

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool) or value == "":
            raise self.bad(where, "expected a non-empty string")
        return str(value)

    def app_path(self, value: Any, where: str) -> str:
        """A path on the app under test (`/health`), never a URL to another host."""
        path = self.string(value, where)
        problem = url_problem(path)
        if problem is not None:
            raise self.bad(where, problem)
        return path

    def number(self, value: Any, where: str) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise self.bad(where, f"expected a non-negative number, got {value!r}")
        return float(value)

    def folder(self, value: Any, where: str) -> str:
        path = self.string(value, where)
        problem = folder_problem(path)
        if problem is not None:
            raise self.bad(where, problem)
        return path

    def command(self, value: Any, where: str) -> Command:
        if not self.list(value, where):
            raise self.bad(where, "expected a command: a non-empty list, e.g. [app, start]")
        return tuple(self.string(arg, where) for arg in value)

    def strings(self, value: Any, where: str) -> dict[str, str]:
        """A mapping of names to non-empty strings (probe headers)."""
        return {k: self.string(v, f"{where}.{k}") for k, v in self.mapping(value, where).items()}

    def env(self, value: Any, where: str) -> dict[str, str]:
        """Variables: `NAME: value`, or `NAME: {value: ..., secret: true}` to mask the value in
        every log and report (names like *TOKEN*, *SECRET*, *PASSWORD*, *KEY* are by default)."""
        found = {}
        for name, raw in self.mapping(value, where).items():
            key, given = f"{where}.{name}", raw
            if isinstance(raw, dict):
                opts = self.mapping(raw, key)
                self.known(opts, {"value", "secret"}, key)
                if not isinstance(opts.get("secret", False), bool):
                    raise self.bad(f"{key}.secret", "expected true or false")
                if opts.get("secret", False):
                    self.secrets.add(name)
                given = opts.get("value")
            found[name] = self.string(given, key)
        return found

    def version(self, value: Any, where: str) -> str:
        """A version constraint ("16", ">=14"), checked now unless it is templated."""
        if isinstance(value, float):
            raise self.bad(where, f'got the number {value!r}; write the version quoted ("3.10", '
                           'not 3.10, which YAML reads as 3.1)')  # fmt: skip
        text = self.string(value, where).strip()
        try:
            if "{" not in text:
                constraint(text)
        except ConstraintError as exc:
            raise self.bad(where, str(exc)) from None
        return text

    def python(self, value: Any, where: str) -> str:
        """An interpreter: a path, or a version constraint checked now unless templated."""
        return value if isinstance(value, str) and is_path(value) else self.version(value, where)

    def regex(self, value: Any, where: str) -> re.Pattern[str]:
        try:
            return re.compile(self.string(value, where))
        except re.error as exc:
            raise self.bad(where, f"invalid regular expression ({exc})") from None

    def signal(self, value: Any, where: str) -> signal.Signals:
        try:
            return signal.Signals[str(value).upper()]
        except KeyError:
            raise self.bad(where, f"unknown signal {value!r}; use e.g. SIGINT or SIGTERM") from None
