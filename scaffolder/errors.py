"""Every error freshboot reports as one line naming the bad thing and the fix.

One module for both packages (``smoke_tests`` depends on ``scaffolder``, never the reverse),
so a caller catches what it needs without importing the module that happens to raise it.
Bad input (exit status 2 on the command line): :class:`UsageError`, :class:`SpecError`,
:class:`VariantError`, :class:`TemplateNotFound`, :class:`UntrustedTemplate`,
:class:`HistoryError`. A render that copier refused: :class:`RenderError`.
"""

from __future__ import annotations

from collections.abc import Sequence


class UsageError(Exception):
    """Bad input from the command line; the message names it and the fix."""


class SpecError(Exception):
    """smoke.yaml is missing or wrong; the message names the file, line, key and the fix."""


class VariantError(Exception):
    """Bad input for variant enumeration (copier.yml, the matrix, ``-k``); one line naming
    the thing and the fix."""


class TemplateNotFound(Exception):
    """The named template is missing or is not a Copier template."""


class UntrustedTemplate(Exception):
    """The template runs its own code and --trust was not given."""


class HistoryError(Exception):
    """The template is not in git, or the ref does not exist; the message says which."""


class RenderError(Exception):
    """Copier refused or failed; the message says why in one line."""


class TaskFailed(RenderError):
    """A template's `_tasks` command failed: its command, exit status and last output lines."""

    def __init__(
        self, command: str, status: int, output: Sequence[str], what: str = "copier task"
    ) -> None:
        last = next((line for line in reversed(output) if line.strip()), "no output")
        super().__init__(
            f"{what} {command!r} exited with status {status}: {' '.join(last.split())}"
        )
        self.output = tuple(output)
