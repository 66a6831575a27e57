"""Secrets never reach a log or a report: passwords in URLs, and any secret value the run
knows of (the passwords of the services it was given, the answers to the template's
``secret: true`` questions), are replaced before anything is written.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from scaffolder.variants import Variant

MASK = "***"
# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?P<at>@)"
)
_known: set[str] = set()
_lock = threading.Lock()


def remember_url(url: str) -> None:
    """Treat the password of `url`, if it has one, as a secret from now on."""
    password = urlsplit(url).password
    if password:
        with _lock:
            _known.update({password, unquote(password)})


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
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text
