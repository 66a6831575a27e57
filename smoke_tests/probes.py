"""Judging a running app over HTTP: readiness proved by a real answer, then each probe's
status, body (JSON, text) and headers, with values saved from one probe for the next."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from smoke_tests import reaper
from smoke_tests.probe_spec import Expectation, Probe
from smoke_tests.process import RunningApp
from smoke_tests.result import Phase, error, fail
from smoke_tests.run_context import RunContext
from smoke_tests.spec_checks import url_problem
from smoke_tests.templating import TemplateError, render, render_all

# Polling starts fast (a ready app is noticed within milliseconds) and slows down while the
# app answers but not as wanted, so one that logs a traceback per request does not flood.
_POLL = 0.01
_UNTIL_POLL = 0.05
_MAX_POLL = 0.25
_GROWTH = 1.5
_SHOWN = 80  # characters of a text body shown in a reason


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


class _Answers:
    """Distinct answers in a row, each noted once with how many times it came."""

    def __init__(self, note: Callable[[str], None], label: str) -> None:
        self._note, self._label = note, label
        self._last: str | None = None
        self._count = 0

    def add(self, answer: str) -> None:
        if answer != self._last:
            self.flush()
            self._last = answer
        self._count += 1

    def flush(self) -> None:
        if self._last is not None and self._count:
            self._note(f"{self._label}: {self._last} (x{self._count})")
        self._count = 0


def wait_ready(
    client: httpx.Client,
    apps: Sequence[RunningApp],
    path: str,
    timeout: float,
    note: Callable[[str], None] = lambda line: None,
) -> None:
    """Poll `path` until it answers 2xx; a log line alone never proves readiness.

    A refused connection costs the app nothing and is retried every 10 ms; while the app
    answers but not 2xx, it is asked less and less often (up to every 250 ms). Each distinct
    answer goes to `note` once, with how many times it came."""
    deadline = time.monotonic() + timeout
    last, delay = "no answer", _POLL
    answers = _Answers(note, f"[ready] GET {path}")
    try:
        while True:
            check_apps(apps, Phase.BOOT, "before it was ready")
            try:
                response = client.get(path, timeout=2.0)
                last = f"HTTP {response.status_code} {_body(response)}"
                answers.add(last)
                if response.is_success:
                    # What it printed before it answered belongs to the boot: read it first.
                    for app in apps:
                        app.settle(quiet=0.02)
                    check_apps(apps, Phase.BOOT, "before it was ready")
                    return
            except httpx.TransportError as exc:
                last = type(exc).__name__
                answers.add(last)
            if time.monotonic() > deadline:
                lines = apps[0].excerpt() if apps else ()
                reason = f"not ready within {timeout:g} s: GET {path} gave {last}"
                raise fail(Phase.BOOT, reason, lines)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic()) + 0.001))
            if last != "ConnectError":
                delay = min(delay * _GROWTH, _MAX_POLL)
    finally:
        answers.flush()


def run_probes(
    client: httpx.Client,
    apps: Sequence[RunningApp],
    probes: Sequence[Probe],
    context: RunContext,
) -> None:
    """Run each probe in order; values named in `save` are seen by the later probes of this
    call (one judging pass), and by nothing else."""
    for probe in probes:
        check_apps(apps, Phase.PROBE, "after it was ready")
        path = render(probe.path, context)
        if (problem := url_problem(path)) is not None:
            raise TemplateError(f"probe {probe.method} {probe.path}: rendered {problem}")
        label = f"{probe.method} {path}"
        body = render_all(probe.body, context)
        until, expect = _rendered(probe.until, context), _rendered(probe.expect, context)
        response = _send(client, apps, probe.method, path, body, label)
        if until is not None:
            deadline, delay = time.monotonic() + probe.timeout, _UNTIL_POLL
            while (miss := _mismatch(response, until)) is not None:
                if time.monotonic() > deadline:
                    reason = f"{label}: still {miss} after {probe.timeout:g} s"
                    raise fail(Phase.PROBE, reason, _excerpt(apps))
                check_apps(apps, Phase.PROBE, "after it was ready")
                time.sleep(min(delay, max(0.0, deadline - time.monotonic()) + 0.001))
                delay = min(delay * _GROWTH, _MAX_POLL)
                response = _send(client, apps, probe.method, path, body, label)
        if expect is not None and (miss := _mismatch(response, expect)) is not None:
            raise fail(Phase.PROBE, f"{label}: {miss}", _excerpt(apps))
        saved = {name: _extract(response, key, label) for name, key in probe.save.items()}
        context = context.with_values(**saved)


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


def _rendered(expected: Expectation | None, context: RunContext) -> Expectation | None:
    """The expected strings rendered, so a body may be checked for e.g. the project name."""
    if expected is None:
        return None
    rendered = dataclasses.replace(
        expected,
        json=render_all(expected.json, context),
        text=render_all(expected.text, context),
        regex=render_all(expected.regex, context),
        headers=render_all(dict(expected.headers), context),
    )
    if rendered.regex is not None:
        try:
            re.compile(rendered.regex)
        except re.error as exc:
            raise TemplateError(
                f"{expected.regex!r} renders to an invalid regular expression ({exc})"
            ) from None
    return rendered


def _mismatch(response: httpx.Response, expected: Expectation) -> str | None:
    """None when the response is as expected, else what it was instead."""
    got = f"HTTP {response.status_code} {_body(response)}"
    if expected.status is not None and response.status_code != expected.status:
        return f"answered {got}; expected HTTP {expected.status}"
    for name, wanted in expected.headers.items():
        values = response.headers.get_list(name)
        want = f"expected {name} containing {_quoted(wanted)}"
        if not values:
            return f"answered HTTP {response.status_code} without a {name} header; {want}"
        if not any(wanted in value for value in values):
            shown = ", ".join(values)
            return f"answered HTTP {response.status_code} with {name}: {shown}; {want}"
    if expected.text is not None and expected.text not in response.text:
        return f"answered {_answer(response)}; expected text containing {_quoted(expected.text)}"
    if expected.regex is not None and re.search(expected.regex, response.text) is None:
        return f"answered {_answer(response)}; expected text matching {_quoted(expected.regex)}"
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


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _answer(response: httpx.Response) -> str:
    """`HTTP 200 text/html "<!doctype html>..."`: the status, type and start of a text body."""
    kind = response.headers.get("content-type", "").split(";")[0].strip()
    text = " ".join(response.text.split())
    shown = f'"{text[:_SHOWN]}..."' if len(text) > _SHOWN else f'"{text}"'
    return " ".join(part for part in (f"HTTP {response.status_code}", kind, shown) if part)


def _body(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text if len(text) <= 200 else text[:200] + "..."
