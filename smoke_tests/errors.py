"""Errors the command line turns into one line on stderr and exit status 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the command line; the message names it and the fix."""
