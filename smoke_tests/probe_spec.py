"""smoke.yaml's probes: HTTP requests made once the app is ready and what their answers must be
(status, a JSON subset, text or a regular expression, headers), checked at load time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smoke_tests.spec_checks import Where


@dataclass(frozen=True)
class Expectation:
    """What a response must be: a status code, a JSON body that contains `json`, a body that
    contains `text` or matches `regex`, headers whose values contain the given strings."""

    status: int | None = None
    json: Any = None
    text: str | None = None
    regex: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # name (any case) -> substring


@dataclass(frozen=True)
class Probe:
    """One HTTP request made once the app is ready, and what its answer must be."""

    method: str
    path: str
    body: Any = None
    expect: Expectation | None = None
    until: Expectation | None = None
    timeout: float = 10.0
    save: Mapping[str, str] = field(default_factory=dict)


def parse_probe(at: Where, raw: Any, where: str) -> Probe:
    opts = at.mapping(raw, where)
    at.known(
        opts, {"get", "post", "put", "delete", "json", "expect", "until", "timeout", "save"}, where
    )
    methods = [m for m in ("get", "post", "put", "delete") if m in opts]
    if len(methods) != 1:
        raise at.bad(where, "give exactly one of get/post/put/delete with a path")
    return Probe(
        method=methods[0].upper(),
        path=at.app_path(opts[methods[0]], f"{where}.{methods[0]}"),
        body=opts.get("json"),
        expect=parse_expectation(at, opts.get("expect"), f"{where}.expect"),
        until=parse_expectation(at, opts.get("until"), f"{where}.until"),
        timeout=at.number(opts.get("timeout", 10), f"{where}.timeout"),
        save={
            str(k): at.string(v, f"{where}.save.{k}")
            for k, v in at.mapping(opts.get("save", {}), f"{where}.save").items()
        },
    )


def parse_expectation(at: Where, raw: Any, where: str) -> Expectation | None:
    if raw is None:
        return None
    opts = at.mapping(raw, where)
    at.known(opts, {"status", "json", "text", "headers"}, where)
    status, text, regex = opts.get("status"), opts.get("text"), None
    if isinstance(text, dict):
        pattern = at.mapping(text, f"{where}.text")
        at.known(pattern, {"regex"}, f"{where}.text")
        if "regex" not in pattern:
            raise at.bad(f"{where}.text", "give a string, or {regex: PATTERN}")
        text, regex = None, at.string(pattern["regex"], f"{where}.text.regex")
        if "{{" not in regex and "{%" not in regex:  # a template is checked once rendered
            at.regex(regex, f"{where}.text.regex")
    return Expectation(
        status=None if status is None else int(at.number(status, f"{where}.status")),
        json=opts.get("json"),
        text=None if text is None else at.string(text, f"{where}.text"),
        regex=regex,
        headers=at.strings(opts.get("headers", {}), f"{where}.headers"),
    )
