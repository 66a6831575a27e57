"""What copier left unrendered in a generated project, told apart from other tools' braces.

Real projects are full of `{{`/`{%` that are not Copier's: Django and Jinja HTML templates,
GitHub Actions `${{ }}`, justfiles, go-task and Helm files, Python f-strings. So a marker counts
only when it is an expression over the template's own variables (its questions, computed values,
`_copier_conf`, `_folder_name`, ...), in the template's own `_envops` delimiters: the trace of a
file whose `.jinja` suffix was forgotten, or of a file or folder whose templated name was not
rendered. Text that is not valid Jinja is lexed as far as it goes, never an error.
"""

from __future__ import annotations

import fnmatch
import heapq
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from jinja2 import Environment, meta

from scaffolder.model import TemplateModel

MAX_BYTES = 1 << 20  # read at most this much of each file
SPEC_FILE = "smoke.yaml"  # freshboot's own file, copied along when a template has no _subdirectory
_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__"}
_BUILTINS = frozenset({"_folder_name", "_external_data"})  # and every name starting `_copier`
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "elif", "recursive"}
    | {"true", "false", "none", "True", "False", "None"}
)
_DECLARING_TAGS = frozenset({"block", "endblock", "macro", "endmacro", "import", "from"})
_MAX_MARKER = 1000  # characters from delimiter to delimiter; longer is not one expression


class MarkerScan:
    """The template's delimiters and variable names, ready to scan generated projects."""

    def __init__(self, model: TemplateModel) -> None:
        self.names = model.variables
        self.env: Environment = model.renderer.env
        default = Environment()
        # A templated name in the default braces in a template with other delimiters is a
        # name copier never rendered: names are checked in both.
        self._name_envs: list[Environment] = [self.env]
        if _delimiters(default) != _delimiters(self.env):
            self._name_envs.append(default)
        words = sorted(self.names | _BUILTINS, key=len, reverse=True)
        # Only a marker that mentions one of these words can read one: the rest need no parse.
        self._mentions = re.compile(
            r"(?<!\w)(?:_copier\w*|" + "|".join(map(re.escape, words)) + r")(?!\w)"
        )
        self._seen: dict[tuple[int, str], bool] = {}

    def own(self, name: str) -> bool:
        """Whether `name` is one of the template's variables (or copier's own)."""
        return name in self.names or name in _BUILTINS or name.startswith("_copier")

    def expression(self, marker: str, env: Environment | None = None) -> bool:
        """Whether one marker (delimiters included) reads a variable of the template."""
        env = env or self.env
        if not self._mentions.search(marker):
            return False
        key = (id(env), marker)
        if key not in self._seen:
            self._seen[key] = any(self.own(name) for name in referenced(env, marker))
        return self._seen[key]

    def text(self, text: str) -> tuple[int, str] | None:
        """The first line (number, text) holding an unrendered expression, if any."""
        for begin, end in _markers(text, self.env):
            if begin > 0 and text[begin - 1] == "$":
                continue  # `${{ }}`: GitHub Actions' own expressions
            if self.expression(text[begin:end]):
                first = text.rfind("\n", 0, begin) + 1
                last = text.find("\n", begin)
                line = text[first : len(text) if last < 0 else last]
                return text.count("\n", 0, first) + 1, line.strip()[:120]
        return None

    def name(self, name: str) -> str | None:
        """The unrendered marker in a file or folder name, if it holds one."""
        for env in self._name_envs:
            for begin, end in _markers(name, env):
                if self.expression(name[begin:end], env):
                    return name[begin:end]
        return None

    def project(self, project: Path, ignore: Sequence[str] = ()) -> list[str]:
        """Every file or folder that still holds an unrendered expression, one line each:
        `path:line: text` for a file's first one, `path: name holds ...` for a name."""
        found = []
        for relative, is_dir in _walk(project, ignore):
            marker = self.name(relative.name)
            if marker is not None:
                kind = "folder" if is_dir else "file"
                found.append(f"{relative}: {kind} name holds unrendered {marker}")
                continue
            if is_dir or relative.as_posix() == SPEC_FILE:
                continue
            text = _read_text(project / relative)
            hit = self.text(text) if text is not None else None
            if hit is not None:
                found.append(f"{relative}:{hit[0]}: {hit[1]}")
        return found


def referenced(env: Environment, marker: str) -> set[str]:
    """The top-level names a marker reads: Jinja's own analysis when it parses alone (`{{ x }}`,
    `{% set %}`), else its tokens (a block tag such as `{% if x %}`, or not Jinja at all)."""
    try:
        return set(meta.find_undeclared_variables(env.parse(marker)))
    except Exception:  # not a complete Jinja template: lex it instead
        return _lexed_names(env, marker)


def _lexed_names(env: Environment, marker: str) -> set[str]:
    """Names read as variables: not attributes (`.x`), filters (`|x`), tests (`is x`),
    keyword arguments or assignment targets (`x=`), nor what a block tag declares."""
    tokens: list[tuple[str, str]] = []
    try:
        for _, kind, value in env.lex(marker):
            if kind != "whitespace":
                tokens.append((kind, value))
    except Exception:  # not Jinja past this point: keep what lexed
        pass
    block = bool(tokens) and tokens[0][0] == "block_begin"
    tag = tokens[1][1] if block and len(tokens) > 1 and tokens[1][0] == "name" else ""
    if tag in _DECLARING_TAGS or tag.startswith("end"):
        return set()
    declared: set[str] = set()
    names: set[str] = set()
    targets = tag in {"for", "set", "with"}  # names before `in` / `=` are declared
    for i, (kind, value) in enumerate(tokens):
        if block and i == 1:
            continue  # the tag itself
        if targets and ((kind == "name" and value == "in") or (kind, value) == ("operator", "=")):
            targets = False
            continue
        if kind != "name" or value in _KEYWORDS:
            continue
        if targets:
            declared.add(value)
            continue
        before = tokens[i - 1] if i else ("", "")
        after = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if before in {("operator", "."), ("operator", "|")} or after == ("operator", "="):
            continue
        if before == ("name", "is") or (before == ("name", "not") and _test_not(tokens, i)):
            continue
        names.add(value)
    return names - declared


def _test_not(tokens: list[tuple[str, str]], i: int) -> bool:
    """`x is not y`: y is a test name."""
    return i >= 2 and tokens[i - 2] == ("name", "is")


def _delimiters(env: Environment) -> tuple[str, ...]:
    return (
        env.variable_start_string,
        env.variable_end_string,
        env.block_start_string,
        env.block_end_string,
    )


def _markers(text: str, env: Environment) -> Iterator[tuple[int, int]]:
    """(start, end) of each `{{ ... }}` and `{% ... %}` (the env's delimiters), in order."""
    vs, ve, bs, be = _delimiters(env)
    return heapq.merge(_spans(text, vs, ve), _spans(text, bs, be))


def _spans(text: str, opening: str, closing: str) -> Iterator[tuple[int, int]]:
    """Each opening delimiter with the first closing one after it, at most _MAX_MARKER
    characters on. Linear whatever the text: no span is searched for twice."""
    position = 0
    while (begin := text.find(opening, position)) >= 0:
        end = text.find(closing, begin + len(opening))
        if end < 0:
            return
        if end - begin <= _MAX_MARKER:
            yield begin, end + len(closing)
            position = end + len(closing)
        else:  # every opening before end - _MAX_MARKER has this same, too distant, closing
            position = max(begin + 1, end - _MAX_MARKER)


def _walk(project: Path, ignore: Sequence[str]) -> Iterator[tuple[Path, bool]]:
    """Relative paths of every folder and regular file (symlinks not followed), minus `ignore`
    globs (fnmatch, against the path from the project root; a folder matches as `dir/`)."""
    for folder, dirs, files in os.walk(project):
        base = Path(folder).relative_to(project)
        kept = []
        for name in sorted(dirs):
            relative = base / name
            if name in _SKIP_DIRS or _ignored(f"{relative.as_posix()}/", ignore):
                continue
            kept.append(name)
            yield relative, True
        dirs[:] = kept
        for name in sorted(files):
            relative = base / name
            if not _ignored(relative.as_posix(), ignore):
                yield relative, False


def _ignored(relative: str, ignore: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in ignore)


def _read_text(path: Path) -> str | None:
    """The first MAX_BYTES of a regular file as text; None for anything else (a symlink, a
    device, a FIFO) or a binary file (a NUL byte)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(MAX_BYTES)
    except OSError:
        return None
    finally:
        os.close(fd)
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")
