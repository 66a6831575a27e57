"""Kept importable for branches written before the errors moved: see :mod:`scaffolder.errors`."""

from __future__ import annotations

from scaffolder.errors import UsageError

__all__ = ["UsageError"]
