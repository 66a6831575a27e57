"""The variants that failed last time, per template, kept in freshboot's cache (as pytest's
cache keeps `lastfailed`) so `--ff` can run them first.

A run updates the record with what it saw: a variant that failed (FAIL or ERROR) is added, one
that passed or was skipped is removed, and variants it did not run keep their entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from smoke_tests.result import Result


def _file(cache: Path, template: Path) -> Path:
    key = hashlib.sha256(str(template.resolve()).encode()).hexdigest()[:16]
    return cache / "lastfailed" / f"{key}.json"


def load(cache: Path, template: Path) -> list[str]:
    """The variants of `template` that failed when they last ran; [] when none is recorded."""
    try:
        data = json.loads(_file(cache, template).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    failed = data.get("failed") if isinstance(data, dict) else None
    return [str(v) for v in failed] if isinstance(failed, list) else []


def record(cache: Path, template: Path, results: Sequence[Result]) -> None:
    """Update the record with `results`; a cache that cannot be written only loses --ff."""
    ran = {r.variant for r in results}
    failed = [v for v in load(cache, template) if v not in ran]
    failed += [r.variant for r in results if not r.ok]
    path = _file(cache, template)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        text = json.dumps({"template": str(template.resolve()), "failed": failed}, indent=2)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
