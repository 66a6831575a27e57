"""Throwaway servers (Redis, PostgreSQL) on free loopback ports, started only for variants that
need them and always torn down: which ones, how they are checked, and the URL of an external
one. Each kind is a small starter module (redis_service, postgres_service) on smoke_tests.server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

from smoke_tests import redact
from smoke_tests.postgres_service import postgres_server, postgres_version
from smoke_tests.redis_service import redis_server
from smoke_tests.result import Phase, Status, Verdict, error, skip
from smoke_tests.server import Service
from smoke_tests.spec import ServiceSpec
from smoke_tests.templating import holds
from smoke_tests.versions import ConstraintError, constraint, satisfies

__all__ = [
    "Service", "ServiceMode", "needed", "postgres_server", "postgres_version", "redis_server",
    "running_services",
]  # fmt: skip
ServiceMode = Literal["auto", "require", "external"]
_STARTERS: dict[str, Callable[[Path | None], AbstractContextManager[Service]]] = {
    "redis": redis_server,
    "postgres": postgres_server,
}


def needed(specs: Sequence[ServiceSpec], values: Mapping[str, Any]) -> list[ServiceSpec]:
    """The services a variant calls for: each `when` sees the variant's `values` (its axes,
    answers and computed values: run time, before any service starts; see
    scaffolder.conditions and smoke_tests.run_context)."""
    return [s for s in specs if holds(s.when, values)]


@contextmanager
def running_services(
    specs: Sequence[ServiceSpec], mode: ServiceMode = "auto", cache: Path | None = None
) -> Iterator[dict[str, Service]]:
    """Start each service, yield them by name, and stop them all whatever happens.

    `auto`: a missing server binary, or one whose version smoke.yaml rules out (checked
    before any starts), makes the variant SKIP; `require`: it is an ERROR; `external`: nothing
    is started or checked, each URL comes from `FRESHBOOT_<NAME>_URL`. A `cache` folder keeps
    what makes a server start faster (an initialised PostgreSQL cluster).
    """
    with ExitStack() as stack:
        found = {}
        try:
            for spec in specs if mode != "external" else ():
                _check_version(spec)
            for spec in specs:
                found[spec.name] = (
                    _external(spec.name)
                    if mode == "external"
                    else stack.enter_context(_STARTERS[spec.name](cache))
                )
        except Verdict as verdict:
            if mode == "require" and verdict.status is Status.SKIP:
                raise error(Phase.SERVICES, f"{verdict.reason} (--services require)") from None
            raise
        yield found


def _check_version(spec: ServiceSpec) -> None:
    """SKIP unless the machine's server satisfies smoke.yaml's `version` (rendered)."""
    if spec.version is None or spec.name != "postgres":
        return
    try:
        wanted = constraint(spec.version)
    except ConstraintError as exc:
        raise error(Phase.SERVICES, f"smoke.yaml services.postgres.version: {exc}") from None
    installed = postgres_version()
    if not satisfies(installed, wanted):
        raise skip(
            Phase.SERVICES, f"PostgreSQL {installed} is installed; smoke.yaml wants {spec.version}"
        )


def _external(name: str) -> Service:
    variable = f"FRESHBOOT_{name.upper()}_URL"
    url = os.environ.get(variable)
    if not url:
        raise error(
            Phase.SERVICES, f"--services external: set {variable} to the URL of a {name} server"
        )
    redact.remember_url(url)
    return Service.at(name, url)
