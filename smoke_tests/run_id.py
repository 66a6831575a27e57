"""Who this run is: its id, and the environment variable that marks what it starts (see
smoke_tests.reaper)."""

from __future__ import annotations

import uuid

MARKER = "FRESHBOOT_RUN"
RUN_ID = uuid.uuid4().hex[:12]
