"""The question space of a Copier template, read with Copier's own semantics (copier 9.x).

* ``copier.yml`` or ``copier.yaml`` (not both); several YAML documents are merged (later keys
  win, first-seen order kept) and ``!include GLOB`` (relative to the template) is supported.
* Keys starting with ``_`` are settings; only ``_envops`` (Jinja delimiters etc.) is used.
  ``_jinja_extensions`` are not loaded: they run template code, which copier allows only with
  ``--trust``. Copier's default ``jinja2_ansible_filters`` are available.
* Every other key is a question, long form (a mapping) or short form (``name: default``).
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

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from jinja2 import FileSystemLoader, StrictUndefined, Template, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from scaffolder.bounded_yaml import BoundedLoader, read_bounded


class VariantError(Exception):
    """Bad input for variant enumeration; the message is one line naming the thing and the fix."""


MISSING: Any = type("Missing", (), {"__repr__": lambda _: "MISSING"})()  # "no value at all"
MASK = "***"  # a secret answer, wherever it would be shown


def cast_to_bool(value: Any) -> bool:
    """Copier's ``cast_to_bool``: numbers, YAML booleans and nulls, then ``bool()``."""
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        lower = value.strip().lower()
        if lower in {"y", "yes", "t", "true", "on"}:
            return True
        if lower in {"", "n", "no", "f", "false", "off", "~", "null", "none"}:
            return False
    return bool(value)


def _cast_to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"could not convert {value!r} to str")


# fmt: off
CASTS: Mapping[str, Callable[[Any], Any]] = {  # copier's CAST_STR_TO_NATIVE
    "bool": cast_to_bool, "float": float, "int": int, "json": json.loads, "str": _cast_to_str,
    "yaml": yaml.safe_load, "path": str,
}
# fmt: on


def cast(type_name: str, value: Any) -> Any:
    """Copier's ``Question.cast_answer`` for one value (raises ValueError when it cannot)."""
    if value is None and type_name not in {"json", "yaml"}:
        raise ValueError(f"None is not a valid {type_name}")
    try:
        return CASTS[type_name](value)
    except (TypeError, AttributeError):
        if type_name in {"json", "yaml"}:
            return value  # already parsed
        raise ValueError(f"{value!r} is not a valid {type_name}") from None
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise ValueError(f"{value!r} is not valid {type_name}: {error}") from None


class Renderer:
    """Copier's Jinja environment (sandboxed, ``_envops``), with compiled templates cached."""

    def __init__(self, root: Path, envops: Mapping[str, Any]) -> None:
        options = {"keep_trailing_newline": True, **envops}
        if "undefined" in options:  # copier accepts these two only
            known = {"jinja2.Undefined": Undefined, "jinja2.StrictUndefined": StrictUndefined}
            if options["undefined"] not in known:
                raise VariantError("copier.yml _envops.undefined must be jinja2.Undefined or "
                                   "jinja2.StrictUndefined; fix _envops")  # fmt: skip
            options["undefined"] = known[options["undefined"]]
        try:
            self.env = SandboxedEnvironment(
                loader=FileSystemLoader(str(root)),
                extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
                **options,
            )
        except (TypeError, ImportError, AttributeError) as error:
            raise VariantError(f"copier.yml _envops is not usable ({error}); fix _envops") from None
        env = self.env
        self.markers = (env.block_start_string, env.variable_start_string, env.comment_start_string)
        self.wrap = (env.variable_start_string, env.variable_end_string)
        self.always = bool(env.line_statement_prefix or env.line_comment_prefix)
        self._cache: dict[str, Template] = {}

    def _plain(self, value: Any) -> bool:
        """Not a template: Copier would return it unchanged."""
        return not isinstance(value, str) or not (
            self.always or any(m in value for m in self.markers)
        )

    def render(self, value: Any, context: Mapping[str, Any], what: str) -> Any:
        """Copier's ``render_value``: strings rendered (to str), lists item by item."""
        if isinstance(value, list):
            return [self.render(item, context, what) for item in value]
        if self._plain(value):
            return value
        try:
            template = self._cache.get(value) or self._cache.setdefault(
                value, self.env.from_string(value)
            )
            return template.render(context)
        except Exception as error:
            raise VariantError(f"{what}: cannot render {value!r} ({error}); fix it") from None

    def test(self, expression: str, context: Mapping[str, Any], what: str) -> bool:
        """A bare Jinja expression (smoke.yaml ``when``), true or false as copier's ``when``."""
        return cast_to_bool(self.render(expression.join(self.wrap), context, what))

    def refs(self, value: Any, what: str) -> frozenset[str] | None:
        """Names a templated value reads (None: cannot tell, e.g. it includes other files)."""
        if isinstance(value, Mapping):
            value = [*value.keys(), *value.values()]
        if isinstance(value, list):
            found = [self.refs(item, what) for item in value]
            return None if None in found else frozenset().union(*found)  # type: ignore[arg-type]
        if self._plain(value):
            return frozenset()
        try:
            tree = self.env.parse(value)
        except Exception as error:
            raise VariantError(f"{what}: invalid Jinja {value!r} ({error}); fix it") from None
        if any(True for _ in meta.find_referenced_templates(tree)):
            return None
        return frozenset(meta.find_undeclared_variables(tree))


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
        return f"copier.yml question {self.name!r} {part}".rstrip()

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

    def _cast(self, type_name: str, value: Any, fix: str = "fix copier.yml") -> Any:
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
            many = isinstance(pin, list) and (self.has_choices or type_name == "bool")
            fix_pin = f"fix smoke.yaml pin.{self.name}"
            if self.multiselect:
                items = pin if isinstance(pin, list) else [pin]
                candidates: list[Any] = [[self._cast(type_name, v, fix_pin) for v in items]]
            else:
                candidates = [self._cast(type_name, v, fix_pin) for v in (pin if many else [pin])]
        elif options or (self.has_choices and ask):
            candidates = options
        elif default is MISSING:
            raise VariantError(f"question {self.name!r} in copier.yml has no default and no "
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


def _load_documents(path: Path, root: Path) -> list[Any]:
    class Loader(BoundedLoader):
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        pattern = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        if PurePosixPath(pattern).is_absolute():
            raise yaml.YAMLError(f"!include {pattern}: must be relative to the template")
        found: list[Any] = []
        for match in sorted(root.glob(pattern)):
            if not match.resolve().is_relative_to(root):
                raise yaml.YAMLError(f"!include {pattern}: outside the template")
            found.extend(_flatten(yaml.load_all(read_bounded(match), Loader=Loader)))
        return found

    Loader.add_constructor("!include", include)
    return _flatten(yaml.load_all(read_bounded(path), Loader=Loader))


def _flatten(documents: Any) -> list[Any]:
    flat: list[Any] = []
    for document in documents:
        if isinstance(document, list):
            flat.extend(_flatten(document))
        elif document is not None:
            flat.append(document)
    return flat


def load_config(template: Path) -> dict[str, Any]:
    """The merged ``copier.yml`` of ``template`` (settings and questions, in file order)."""
    found = [p for p in (template / "copier.yml", template / "copier.yaml") if p.is_file()]
    if not found:
        raise VariantError(f"{template}: no copier.yml; point freshboot at a Copier template")
    if len(found) > 1:
        raise VariantError(f"{template}: both copier.yml and copier.yaml exist; keep one")
    path = found[0]
    try:
        documents = _load_documents(path, template.resolve())
    except (yaml.YAMLError, OSError) as error:
        detail = " ".join(str(error).split())
        raise VariantError(f"{path}: invalid YAML ({detail}); fix the file") from None
    merged: dict[str, Any] = {}
    for document in documents:
        if not isinstance(document, Mapping):
            raise VariantError(
                f"{path}: expected a mapping of questions, got "
                f"{type(document).__name__}; fix the file"
            )
        merged.update(document)
    return merged


def load_questions(template: Path) -> tuple[list[Question], Renderer]:
    """The template's questions in file order, and the Jinja renderer to resolve them with."""
    config = load_config(template)
    envops = config.get("_envops") or {}
    if not isinstance(envops, Mapping):
        raise VariantError("copier.yml _envops must be a mapping; fix copier.yml")
    questions = [
        Question(str(name), spec if isinstance(spec, Mapping) else {"default": spec})
        for name, spec in config.items()
        if not str(name).startswith("_")
    ]
    return questions, Renderer(template.resolve(), envops)
