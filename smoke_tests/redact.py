"""Secrets never reach a log or a report: passwords in URLs (userinfo and query parameters such
as ``?password=``), and any secret value the run knows of (the passwords of the services it was
given, the answers to the template's ``secret: true`` questions, smoke.yaml ``env`` values marked
secret or named like one), are replaced before anything is written.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from scaffolder.variants import Variant

MASK = "***"
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?P<at>@)"
)
_SECRET_WORD = r"(?:password|passwd|pwd|token|secret|key)"
# ?password=... &sslpassword=... ;api_key=... -> the value masked
_QUERY_SECRET = re.compile(
    rf"(?P<head>[?&;][\w.-]*?{_SECRET_WORD}[\w.-]*=)(?P<secret>[^&;#\s'\"<>:,)]+)", re.IGNORECASE
)
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY", re.IGNORECASE)
MIN_NAMED = 8  # a variable named like a secret is masked from this length (not `true`, `1`)
_known: set[str] = set()
_lock = threading.Lock()


def remember_url(url: str) -> None:
    """Treat the password of `url`, if it has one, as a secret from now on."""
    parts = urlsplit(url)
    found = [parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query) if re.search(_SECRET_WORD, k, re.IGNORECASE)]
    with _lock:
        _known.update(secret for secret in {*found, *map(unquote, found)} if secret)


def remember_env(variables: Mapping[str, str], marked: Iterable[str] = ()) -> None:
    """Treat as secrets the values of `variables` marked secret, and of those named like one
    (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*KEY*`) with at least MIN_NAMED characters."""
    chosen = set(marked)
    remember(*(
        value for name, value in variables.items()
        if name in chosen or (_SECRET_NAME.search(name) and len(value) >= MIN_NAMED)
    ))  # fmt: skip
    for value in variables.values():
        if "://" in value:
            remember_url(value)


def remember(*secrets: object) -> None:
    """Treat each of `secrets` (its text; e.g. a secret copier answer) as a secret from now on."""
    with _lock:
        _known.update(str(secret) for secret in secrets if secret is not None)


def remember_answers(variants: Iterable[Variant]) -> None:
    """Treat the answers to the template's ``secret: true`` questions as secrets from now on."""
    for variant in variants:
        values = {**variant.computed, **variant.answers}
        remember(*(values[name] for name in variant.secrets))


def redact(text: str) -> str:
    """`text` with every URL password and every known secret masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['head']}{MASK}", text)
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text
