"""`doctor`: check the configuration, the database and the queue, and say what is wrong.

It prints one line per check (ok, warn or FAIL) and exits 1 when any check fails. It changes
nothing: it neither creates Sqlite files nor applies migrations.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from . import APP_NAME
from .config import Config, QueueKind, load_config
from .database import doctor_check
from .errors import AppError
from .providers import queue_provider

CHECK_TIMEOUT = 10.0

Outcome = Literal["ok", "warn", "FAIL"]


@dataclass(frozen=True)
class Finding:
    """The result of one check."""

    outcome: Outcome
    name: str
    detail: str


def doctor(environment: str | None, out: TextIO = sys.stdout) -> int:
    """Run every check, print a report, and return the exit status (0, or 1 if any failed)."""
    try:
        config = load_config(environment)
    except AppError as exc:
        findings = [Finding("FAIL", "config", str(exc))]
        name = environment or "(APP_ENV or development)"
    else:
        name = config.environment
        findings = [Finding("ok", "config", _summary(config))]
        findings += asyncio.run(_services(config))
    print(f"{APP_NAME} doctor: environment {name}", file=out)
    for finding in findings:
        print(f"  {finding.outcome:<5} {finding.name:<9} {finding.detail}", file=out)
    failed = sum(f.outcome == "FAIL" for f in findings)
    warned = sum(f.outcome == "warn" for f in findings)
    verdict = f"{_count(failed, 'check')} failed" if failed else "all checks passed"
    print(f"{verdict}, {_count(warned, 'warning')}" if warned else verdict, file=out)
    return 1 if failed else 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _summary(config: Config) -> str:
    parts = [f"config/{config.environment}.yaml", f"workers.mode {config.workers.mode.name}"]
    if config.queue is not None:
        parts.append(f"queue {config.queue.kind.name}")
    if config.database is not None:
        kind = "sqlite" if config.database.uri.startswith("sqlite") else "postgres"
        parts.append(f"database {kind}")
    if config.scheduled:
        parts.append(f"scheduler: {', '.join(job.name for job in config.scheduled)}")
    return ", ".join(parts)


async def _services(config: Config) -> list[Finding]:
    findings = []
    if config.database is not None:
        findings.append(await _timed("database", lambda: _database(config)))
    if config.queue is not None:
        findings.append(await _timed("queue", lambda: _queue(config)))
    return findings


async def _timed(name: str, check: Callable[[], Awaitable[Finding]]) -> Finding:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except TimeoutError:
        return Finding("FAIL", name, f"no answer within {CHECK_TIMEOUT:g} s")
    except AppError as exc:
        return Finding("FAIL", name, str(exc))


async def _database(config: Config) -> Finding:
    outcome, detail = await doctor_check(config) or ("ok", "no database")
    return Finding(outcome, "database", detail)


async def _queue(config: Config) -> Finding:
    assert config.queue is not None
    if config.queue.kind is QueueKind.Sqlite:
        path = Path(config.queue.uri.removeprefix("sqlite:///"))
        if not path.exists():
            return Finding("ok", "queue", f"Sqlite queue {path}: no file yet (start creates it)")
    provider = queue_provider(config.queue)
    await provider.open()
    try:
        await provider.check()
    finally:
        await provider.close()
    return Finding("ok", "queue", f"{provider.description}: reachable")
