"""``-k`` expressions over variant ids, as pytest's ``-k``.

Grammar (``not`` binds tighter than ``and``, which binds tighter than ``or``)::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | WORD

A WORD (any run of characters other than whitespace and parentheses) matches when it is a
case-insensitive substring of the variant's id: ``-k "queue and not redis"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from scaffolder.errors import VariantError


class Named(Protocol):
    """Anything with an id (a variant): what ``-k`` selects among."""

    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=Named)

Matcher = Callable[[str], bool]
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_KEYWORDS = ("and", "or", "not")
MAX_DEPTH = 50  # nested "(" and "not"; deeper would exhaust Python's recursion limit


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens: list[str] = []
        pos = 0
        while expr[pos:].strip():
            found = _TOKEN.match(expr, pos)
            assert found is not None  # any non-blank rest starts with a token
            self.tokens.append(found.group(1))
            pos = found.end()
        self.pos = 0
        self.depth = 0

    def fail(self, problem: str) -> VariantError:
        shown = self.expr if len(self.expr) <= 80 else f"{self.expr[:77]}..."
        return VariantError(f"-k {shown!r}: {problem}; write e.g. -k 'queue and not redis'")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("unexpected end of expression")
        self.pos += 1
        return token

    def parse(self) -> Matcher:
        matcher = self.expression()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()!r}")
        return matcher

    def expression(self) -> Matcher:
        parts = [self.term()]
        while self.peek() == "or":
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else lambda ident: any(m(ident) for m in parts)

    def term(self) -> Matcher:
        parts = [self.factor()]
        while self.peek() == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else lambda ident: all(m(ident) for m in parts)

    def factor(self) -> Matcher:
        token = self.take()
        if token in ("not", "("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"nested deeper than {MAX_DEPTH} levels of '(' and 'not'")
            try:
                return self.nested(token)
            finally:
                self.depth -= 1
        if token == ")" or token in _KEYWORDS:
            raise self.fail(f"unexpected {token!r}")
        word = token.lower()
        return lambda ident: word in ident.lower()

    def nested(self, token: str) -> Matcher:
        if token == "not":
            inner = self.factor()
            return lambda ident: not inner(ident)
        inner = self.expression()
        if self.take() != ")":
            raise self.fail("missing ')'")
        return inner


def matcher(expr: str) -> Matcher:
    """A predicate over ids for ``expr`` (VariantError naming it when malformed)."""
    return _Parser(expr).parse()


def select(variants: Sequence[T], expr: str | None) -> list[T]:
    """The variants whose id matches ``expr`` (all of them when it is None or blank)."""
    if expr is None or not expr.strip():
        return list(variants)
    match = matcher(expr)
    chosen = [v for v in variants if match(v.id)]
    if not chosen:
        raise VariantError(
            f"-k {expr!r} selects none of the {len(variants)} variants; see 'freshboot variants'"
        )
    return chosen
