"""The question space of a Copier template, read with Copier's own semantics (copier 9.x).

copier.yml is read by :mod:`scaffolder.model` (once per command), rendered with the Jinja of
:mod:`scaffolder.copier_jinja` (``_envops``, copier's default filters, no ``_jinja_extensions``).

* Every key not starting with ``_`` is a question, long form (a mapping) or short form
  (``name: default``).
  Everything Copier templates (``when``, ``default``, ``choices`` and choice values, choice
  ``validator``, ``validator``, ``type``) is rendered against the answers of the earlier
  questions, then cast to the question's type exactly as Copier casts answers.

What a question contributes in one context (:meth:`Question.resolve`):

* ``when`` false: not asked. Copier still puts its rendered default in the context of the
  later questions (a *computed value*), so we do too; it is never an answer.
* choices (not multiselect): every enabled choice (a choice is disabled when its own
  ``validator`` renders non-empty), or the pinned value(s) among them. A choice whose value is
  null takes its label (``"None"`` for a bare ``null``), as copier's prompt library does; numbers
  and booleans are cast to the question's type like any answer;
* ``type: bool`` without choices: ``True`` and ``False`` (Copier's default is ``False``);
* anything else (str, int, float, path, json, yaml, multiselect, or ``ask`` false): fixed
  at the pinned value, else at the rendered default; no default and no pin is an error.

The question's ``validator`` (rendered with the answer under the question's own name) then
rejects values, exactly as ``copier copy --data`` would. A pinned computed value is an answer
like any other, as copier's ``--data`` makes it. ``secret: true`` answers show as ``***``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from scaffolder.copier_jinja import CASTS, Renderer, cast, cast_to_bool
from scaffolder.errors import VariantError

MISSING: Any = type("Missing", (), {"__repr__": lambda _: "MISSING"})()  # "no value at all"
MASK = "***"  # a secret answer, wherever it would be shown
# Types whose answer is never a list: a list pin is the values the question varies over.
_SCALARS = frozenset({"bool", "str", "int", "float", "path"})


@dataclass(frozen=True)
class Resolution:
    """What one question contributes in one context."""

    asked: bool  # an answer passed to copier (asked, or a pinned computed value)
    values: tuple[Any, ...]  # valid answers; when not asked: (computed default,) or ()
    default: Any  # the default in this context (MISSING if none)
    rejected: tuple[tuple[Any, str], ...] = ()  # (candidate value, why copier refuses it)
    options: Sequence[Any] = ()  # the values it offers here before a pin narrows them


@dataclass(frozen=True)
class Question:
    """One copier question (long-form ``spec``)."""

    name: str
    spec: Mapping[str, Any]
    source: str = "copier.yml"  # the file that asks it (cookiecutter.json for cookiecutter)

    @property
    def computed(self) -> bool:
        """``when`` is a constant false (not a template): a computed value, never asked."""
        when = self.spec.get("when", True)
        return not (isinstance(when, str) and "{" in when) and not cast_to_bool(when)

    @property
    def multiselect(self) -> bool:
        return bool(self.spec.get("multiselect"))

    @property
    def secret(self) -> bool:
        """``secret: true``: its answer (a password, a token) is never shown."""
        return cast_to_bool(self.spec.get("secret", False))

    def show(self, value: Any) -> str:  # a value in a message
        return MASK if self.secret else repr(value)

    def hide(self, text: str, value: Any) -> str:  # a message that may quote the value
        return text.replace(str(value), MASK) if self.secret and str(value) else text

    @property
    def has_choices(self) -> bool:
        """Has choices and one answer: a parameter that varies over its choices."""
        return bool(self.spec.get("choices")) and not self.multiselect

    def refs(self, renderer: Renderer) -> frozenset[str] | None:
        """Names of earlier answers this question's templates read (None: unknown)."""
        keys = ("when", "ask", "default", "choices", "validator", "type")
        names = renderer.refs([self.spec.get(k) for k in keys], self._what(""))
        return None if names is None else names - {self.name}

    def _what(self, part: str) -> str:
        return f"{self.source} question {self.name!r} {part}".rstrip()

    def _render(self, part: str, context: Mapping[str, Any], renderer: Renderer) -> Any:
        return renderer.render(self.spec.get(part, ""), context, self._what(part))

    def type_name(self, context: Mapping[str, Any], renderer: Renderer) -> str:
        """The declared type (rendered), else Copier's guess from the default's type."""
        if "type" not in self.spec:
            kind = type(self.spec.get("default", MISSING)).__name__
            return kind if kind in {"bool", "float", "int", "str"} else "yaml"
        name = self._render("type", context, renderer)
        if name not in CASTS:
            raise VariantError(f"{self._what('type')} {name!r} is not a copier type; use one of "
                               f"{', '.join(CASTS)}")  # fmt: skip
        return str(name)

    def _cast(self, type_name: str, value: Any, fix: str = "") -> Any:
        fix = fix or f"fix {self.source}"
        try:
            return cast(type_name, value)
        except ValueError as error:
            detail = self.hide(str(error), value)
            raise VariantError(f"{self._what('value')}: {detail}; {fix}") from None

    def choices(self, context: Mapping[str, Any], renderer: Renderer, type_name: str
                ) -> list[tuple[Any, str]]:  # fmt: skip
        """``(value, disabled message)`` per choice, rendered and cast like Copier does."""
        raw = self.spec.get("choices") or []
        if isinstance(raw, str):
            try:
                raw = yaml.safe_load(self._render("choices", context, renderer)) or []
            except yaml.YAMLError as error:
                raise VariantError(f"{self._what('choices')}: not YAML ({error})") from None
        result: list[tuple[Any, str]] = []
        for item in list(raw.items()) if isinstance(raw, Mapping) else list(raw):
            pair = isinstance(item, tuple | list) and len(item) == 2
            label, value = item if pair else (item, item)
            disabled = ""
            if isinstance(value, Mapping) and pair:
                if "value" not in value:
                    raise VariantError(f"{self._what('choices')}: a choice mapping needs 'value'")
                what = self._what("choice validator")
                disabled = str(renderer.render(value.get("validator", ""), context, what))
                value = value["value"]
            value = renderer.render(value, context, self._what("choices"))
            if value is None:  # questionary's Choice: no value means the label is the value
                value = str(renderer.render(label, context, self._what("choices")))
            result.append((self._cast(type_name, value), disabled))
        return result

    def _default(self, context: Mapping[str, Any], renderer: Renderer, type_name: str
                 ) -> tuple[Any, str]:  # fmt: skip
        """The rendered default cast to the type (MISSING if none), and why it cannot be cast."""
        if "default" not in self.spec:
            return MISSING, ""
        default = self._render("default", context, renderer)
        try:
            if not self.multiselect:
                return cast(type_name, default), ""
            items = yaml.safe_load(default) if isinstance(default, str) else default
            return [cast(type_name, v) for v in items or []], ""
        except (ValueError, TypeError, yaml.YAMLError) as error:
            return default, str(error)

    def resolve(self, context: Mapping[str, Any], renderer: Renderer, pin: Any = MISSING
                ) -> Resolution:  # fmt: skip
        """The valid answers of this question given the earlier answers in ``context``."""
        when = cast_to_bool(renderer.render(self.spec.get("when", True), context,
                                            self._what("when")))  # fmt: skip
        type_name = self.type_name(context, renderer)
        default, bad_default = self._default(context, renderer, type_name)
        pinned_computed = self.computed and pin is not MISSING  # copier's --data wins
        if not when and not pinned_computed:
            value, choices = () if default is MISSING else (default,), []
            try:  # what it would offer, for ids (scaffolder.ids): the same when a pin hides it
                if self.has_choices and not self.computed:
                    choices = self.choices(context, renderer, type_name)
            except VariantError:
                pass
            options, default = self._options(choices, type_name, default, not self.computed)
            return Resolution(False, value, default, options=options)
        ask = cast_to_bool(renderer.render(self.spec.get("ask", True), context, self._what("ask")))
        if not ask and pin is MISSING and default is MISSING:  # copier leaves it unanswered
            return Resolution(False, (), default)
        choices = self.choices(context, renderer, type_name) if self.spec.get("choices") else []
        options, default = self._options(choices, type_name, default, ask)
        fix = f"pin it in smoke.yaml (pin: {{{self.name}: ...}})"
        if pin is not MISSING:
            many = isinstance(pin, list) and (self.has_choices or type_name in _SCALARS)
            fix_pin = f"fix smoke.yaml pin.{self.name}"
            if self.multiselect:
                items = pin if isinstance(pin, list) else [pin]
                candidates: list[Any] = [[self._cast(type_name, v, fix_pin) for v in items]]
            else:
                candidates = [self._cast(type_name, v, fix_pin) for v in (pin if many else [pin])]
        elif options or (self.has_choices and ask):
            candidates = options
        elif default is MISSING:
            raise VariantError(f"question {self.name!r} in {self.source} has no default and no "
                               f"choices; give it a default or {fix}")  # fmt: skip
        elif bad_default:
            detail = self.hide(bad_default, default)
            raise VariantError(f"{self._what('default')}: {detail}; fix it or {fix}")
        else:
            candidates = [default]
        values, rejected = [], []
        for value in candidates:
            reason = self._reject(value, choices, {**context, self.name: value}, renderer)
            if reason:
                why = self.hide(reason, value)
                rejected.append((value, f"{self.name}={self.show(value)}: {why}"))
            else:
                values.append(value)
        return Resolution(True, tuple(values), default, tuple(rejected), options)

    def _options(self, choices: list[tuple[Any, str]], type_name: str, default: Any,
                 ask: bool = True) -> tuple[list[Any], Any]:  # fmt: skip
        """The values it offers before a pin narrows them, and its default (for choices
        without one the first choice, for booleans False), whether or not a pin is set."""
        if self.has_choices:
            first = choices[0][0] if choices and default is MISSING else default
            return ([value for value, _ in choices] if ask else []), first
        if type_name == "bool" and not self.multiselect:
            return ([True, False] if ask else []), False if default is MISSING else default
        return [], default

    def _reject(self, value: Any, choices: list[tuple[Any, str]], context: Mapping[str, Any],
                renderer: Renderer) -> str:  # fmt: skip
        """Why copier would refuse ``value`` as the answer ('' when it accepts it)."""
        if choices and self.multiselect:  # each item one of the enabled choices
            enabled = [choice for choice, message in choices if not message]
            unknown = [item for item in value if item not in enabled]
            if unknown:
                return f"{unknown[0]!r} is not an enabled choice of {enabled}"
        elif choices:
            disabled = [message for choice, message in choices if choice == value]
            if not disabled:
                return f"not one of the choices {MASK if self.secret else [c for c, _ in choices]}"
            if all(disabled):  # copier disables a choice on any output, even blank
                return f"choice disabled: {' '.join(disabled[0].split()) or repr(disabled[0])}"
        return " ".join(str(self._render("validator", context, renderer)).split())
