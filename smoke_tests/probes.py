"""Judging a running app over HTTP: readiness proved by a real answer, then each probe's
status and JSON body, with values saved from one probe for the next."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx

from smoke_tests import reaper
from smoke_tests.process import RunningApp
from smoke_tests.result import Phase, error, fail
from smoke_tests.spec import Expectation, Probe
from smoke_tests.templating import render, render_all

_POLL = 0.01
_UNTIL_POLL = 0.05


def check_apps(apps: Sequence[RunningApp], phase: Phase, when: str) -> None:
    """Fail the variant if any process printed a bad line or has ended."""
    if reaper.stopping():
        raise error(phase, "interrupted")
    for app in apps:
        if app.bad_line is not None:
            # After readiness a bad line breaks the quiet window, whichever probe noticed it.
            quiet = Phase.QUIET if phase is Phase.PROBE else phase
            raise fail(quiet, *app.failure())
    for app in apps:
        if app.ended.is_set():
            cmd = " ".join(app.command)
            last = app.last_line()
            reason = f"{cmd} exited with status {app.status} {when}; last output: {last}"
            raise fail(phase, reason, app.excerpt())


def wait_ready(client: httpx.Client, apps: Sequence[RunningApp], path: str, timeout: float) -> None:
    """Poll `path` until it answers 2xx; a log line alone never proves readiness."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        check_apps(apps, Phase.BOOT, "before it was ready")
        try:
            response = client.get(path, timeout=2.0)
            if response.is_success:
                # What it printed before it answered belongs to the boot: read it first.
                for app in apps:
                    app.settle(quiet=0.02)
                check_apps(apps, Phase.BOOT, "before it was ready")
                return
            last = f"HTTP {response.status_code} {_body(response)}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        if time.monotonic() > deadline:
            lines = apps[0].excerpt() if apps else ()
            raise fail(Phase.BOOT, f"not ready within {timeout:g} s: GET {path} gave {last}", lines)
        time.sleep(_POLL)


def run_probes(
    client: httpx.Client,
    apps: Sequence[RunningApp],
    probes: Sequence[Probe],
    context: dict[str, Any],
) -> None:
    """Run each probe in order; values named in `save` join `context` for later probes."""
    for probe in probes:
        check_apps(apps, Phase.PROBE, "after it was ready")
        path = render(probe.path, context)
        label = f"{probe.method} {path}"
        body = render_all(probe.body, context)
        until, expect = _rendered(probe.until, context), _rendered(probe.expect, context)
        response = _send(client, apps, probe.method, path, body, label)
        if until is not None:
            deadline = time.monotonic() + probe.timeout
            while (miss := _mismatch(response, until)) is not None:
                if time.monotonic() > deadline:
                    reason = f"{label}: still {miss} after {probe.timeout:g} s"
                    raise fail(Phase.PROBE, reason, _excerpt(apps))
                check_apps(apps, Phase.PROBE, "after it was ready")
                time.sleep(_UNTIL_POLL)
                response = _send(client, apps, probe.method, path, body, label)
        if expect is not None and (miss := _mismatch(response, expect)) is not None:
            raise fail(Phase.PROBE, f"{label}: {miss}", _excerpt(apps))
        for name, key in probe.save.items():
            context[name] = _extract(response, key, label)


def _send(
    client: httpx.Client, apps: Sequence[RunningApp], method: str, path: str, body: Any, label: str
) -> httpx.Response:
    try:
        return client.request(method, path, json=body, timeout=10.0)
    except httpx.TransportError as exc:
        # A dropped connection is usually a crash: name the exit, not the socket error.
        for app in apps:
            app.ended.wait(0.5 / len(apps))
        check_apps(apps, Phase.PROBE, f"during {label}")
        raise fail(Phase.PROBE, f"{label}: {type(exc).__name__}: {exc}", _excerpt(apps)) from None


def _excerpt(apps: Sequence[RunningApp]) -> tuple[str, ...]:
    return apps[0].excerpt() if apps else ()


def _rendered(expected: Expectation | None, context: dict[str, Any]) -> Expectation | None:
    """The expected JSON's strings rendered, so a body may be checked for e.g. the project name."""
    if expected is None or expected.json is None:
        return expected
    return dataclasses.replace(expected, json=render_all(expected.json, context))


def _mismatch(response: httpx.Response, expected: Expectation) -> str | None:
    """None when the response is as expected, else what it was instead."""
    got = f"HTTP {response.status_code} {_body(response)}"
    if expected.status is not None and response.status_code != expected.status:
        return f"answered {got}; expected HTTP {expected.status}"
    if expected.json is not None:
        try:
            data = response.json()
        except ValueError:
            return f"answered {got}; expected a JSON body"
        if not _contains(data, expected.json):
            return f"answered {got}; expected JSON containing {json.dumps(expected.json)}"
    return None


def _contains(actual: Any, expected: Any) -> bool:
    """Whether `actual` has every key and value of `expected` (recursively, lists exactly)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected) and type(actual) is type(expected)


def _extract(response: httpx.Response, key: str, label: str) -> Any:
    try:
        value: Any = response.json()
        for part in key.split("."):
            value = value[part]
    except (ValueError, KeyError, TypeError, IndexError):
        raise fail(
            Phase.PROBE, f"{label}: answer has no '{key}' to save: {_body(response)}"
        ) from None
    return value


def _body(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text if len(text) <= 200 else text[:200] + "..."
