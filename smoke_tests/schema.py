"""smoke.yaml's JSON Schema, shipped with freshboot so editors complete and check the file
(`freshboot schema > smoke.schema.json`, then `# yaml-language-server: $schema=smoke.schema.json`).

The loader (smoke_tests.spec) stays the authority: its messages name the line and the fix, and
some checks (a version specifier's syntax, a folder that leaves the project through `a/../..`,
a pin naming a question the template lacks) need more than a schema can say. The tests hold
the two to agreement on every documented example and every invalid case they use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("smoke.schema.json")


def schema_text() -> str:
    """The schema as shipped (JSON text, ending in a newline)."""
    return SCHEMA_FILE.read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The schema, parsed."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded
