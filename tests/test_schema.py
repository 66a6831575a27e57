"""smoke.yaml's JSON Schema (`freshboot schema`) and the loader agree: every documented example
and shipped smoke.yaml passes both; every invalid case below is refused by both."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from scaffolder.errors import VariantError
from smoke_tests.schema import schema
from smoke_tests.spec import SpecError, load_spec, parse_spec
from tests.helpers import ROOT, freshboot, variants_of

VALIDATOR = jsonschema.Draft7Validator(schema(), format_checker=jsonschema.FormatChecker())
# A template for the loader's checks that need one (axes, pin, exclude, ids): one question.
COPIER_YML = "q:\n  type: str\n  default: a\n  choices: [a, b]\n"
BASE = "run: [[app]]\nready: {http: /}\n"


def _doc_blocks() -> list[tuple[str, str]]:
    """The yaml blocks of docs/smoke-yaml.md and README.md that are smoke.yaml files (not a
    copier.yml, whose keys start with `_`), named `file#n`."""
    found = []
    for doc in (ROOT / "docs" / "smoke-yaml.md", ROOT / "README.md"):
        blocks = re.findall(r"^```yaml\n(.*?)^```", doc.read_text(), re.MULTILINE | re.DOTALL)
        for n, text in enumerate(blocks, 1):
            data = yaml.safe_load(text)
            if isinstance(data, dict) and not any(str(k).startswith("_") for k in data):
                found.append((f"{doc.name}#{n}", text))
    return found


SHIPPED = sorted(
    [ROOT / "template" / "smoke.yaml", *(ROOT / "tests" / "templates").glob("*/smoke.yaml")]
)
EXAMPLES = [(str(p.relative_to(ROOT)), p.read_text()) for p in SHIPPED] + _doc_blocks()


def _loader_refuses(tmp_path: Path, text: str) -> str:
    """The loader's message for this smoke.yaml ('' when it takes it): the spec's own checks,
    then the matrix's (scaffolder.variants), as `freshboot variants` runs them."""
    (tmp_path / "copier.yml").write_text(COPIER_YML)
    (tmp_path / "smoke.yaml").write_text(text)
    try:
        variants_of(tmp_path, load_spec(tmp_path).matrix)
    except (SpecError, VariantError) as exc:
        return str(exc)
    return ""


def _schema_errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(yaml.safe_load(text))]


def test_the_schema_is_a_valid_json_schema_and_the_command_prints_it() -> None:
    jsonschema.Draft7Validator.check_schema(schema())
    done = freshboot("schema")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == schema()


def test_every_example_is_collected() -> None:
    names = [name for name, _ in EXAMPLES]
    assert "template/smoke.yaml" in names
    assert len([n for n in names if n.startswith("tests/templates/")]) >= 6
    assert any(n.startswith("README.md#") for n in names)
    assert any(n.startswith("smoke-yaml.md#") for n in names)


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_example_passes_both(name: str, text: str) -> None:
    assert _schema_errors(text) == []
    path = ROOT / name
    if path.is_file():  # a shipped template: its own copier.yml and matrix
        variants_of(path.parent, load_spec(path.parent).matrix)
    else:  # a documented snippet: the spec's checks (its questions are the reader's)
        parse_spec(yaml.safe_load(text), Path(name))


# Each invalid case once per key (the tests of each key hold the loader's exact messages).
INVALID: list[str] = [
    "ready: {http: /}\n",  # no run, here or in an axis value
    BASE + "run_: [[app]]\n",  # an unknown top-level key
    "run: [[app]]\n",  # no ready
    "run: [[app]]\nready: {timeout: 3}\n",  # ready without http
    BASE.replace("{http: /}", "{http: /, every: 1}"),
    BASE + "stop: {grace: soon}\n",
    BASE + "stop: {signal: SIGNOPE}\n",
    BASE + "stop: {exit: zero}\n",
    BASE + "stop: {when: later}\n",
    BASE + "fail_on: ['(unclosed']\n",
    BASE + "fail_on: '^Error'\n",
    BASE + "probes:\n  - {get: /, post: /}\n",
    BASE + "probes:\n  - {expect: {status: 200}}\n",
    BASE + "probes:\n  - {get: /, expect: {body: x}}\n",
    BASE + "probes:\n  - {get: /, expect: {status: ok}}\n",
    BASE + "probes:\n  - {get: /, expect: {text: {regex: '(unclosed'}}}\n",
    BASE + "probes:\n  - {get: /, expect: {text: {regex: '[z-a]'}}}\n",
    BASE + "probes:\n  - {get: /, expect: {text: {pattern: x}}}\n",
    BASE + "probes:\n  - {get: /, until: {text: ''}}\n",
    BASE + "probes:\n  - {get: /, expect: {headers: [x]}}\n",
    BASE + "probes:\n  - {get: /, timeout: -1}\n",
    BASE + "probes:\n  - {get: /, save: [id]}\n",
    BASE + "workdir: /srv/app\n",
    BASE + "workdir: ../elsewhere\n",
    BASE + "workdir: ''\n",
    BASE + "install:\n  - {command: [x], when: 'true'}\n",
    BASE + "install: app\n",
    BASE + "setup:\n  - {command: [x], cwd: /tmp}\n",
    BASE + "setup: [{when: 'true'}]\n",
    BASE + "setup: [{command: [a], unless: x}]\n",
    BASE + "setup: [[]]\n",
    BASE + "setup: [{command: a}]\n",
    "run: [{command: [app], cwd: /srv}]\nready: {http: /}\n",
    BASE + "axes:\n  m:\n    v:\n      run: [{command: [x], cwd: ..}]\n",
    BASE + "axes:\n  m:\n    v:\n      run: [{cwd: x}]\n",
    BASE + "axes:\n  m:\n    v: {restart: true}\n",
    BASE + "axes:\n  m: []\n",
    BASE + "axes:\n  m: {}\n",
    BASE + "axes:\n  m: chosen\n",
    BASE + "env: {A: ''}\n",
    BASE + "env: [A=1]\n",
    BASE + "port: 0\n",
    BASE + "port: '8000'\n",
    BASE + "port: 70000\n",
    BASE + "python: 3.10\n",
    BASE + "python: latest\n",
    BASE + "python: ['3.12', '3.12']\n",
    BASE + "python: ['3.12', '>=3.13,']\n",
    BASE + "python: ['3.12']\naxes: {python: [a, b]}\n",
    BASE + "axes:\n  v:\n    a: {python: 'three'}\n",
    BASE + "resolution: lowest\n",
    BASE + "resolution: [highest, highest]\n",
    BASE + "axes:\n  v:\n    a: {resolution: newest}\n",
    BASE + "services: {mysql: {}}\n",
    BASE + "services: {redis: {version: '7'}}\n",
    BASE + "services: {postgres: {version: 16.1}}\n",
    BASE + "services: {postgres: {version: newest}}\n",
    BASE + "services: {redis: {env: {URL: ''}}}\n",
    BASE + "generate: {markers: maybe}\n",
    BASE + "generate: {ignore: '*.html'}\n",
    BASE + "generate: {ignore: ['']}\n",
    BASE + "generate: {bogus: 1}\n",
    BASE + "tasks: sometimes\n",
    BASE + "exclude: [{}]\n",
    BASE + "include: [{}]\n",
    BASE + "ids: {q: [a]}\n",
    BASE + "pin: [q]\n",
]


@pytest.mark.parametrize("text", INVALID)
def test_every_invalid_case_is_refused_by_both(tmp_path: Path, text: str) -> None:
    assert _loader_refuses(tmp_path, text), "the loader takes it"
    assert _schema_errors(text), "the schema takes it"


# What only the loader can see: a schema cannot normalise a path or know the template.
LOADER_ONLY: list[str] = [
    BASE + "install:\n  - {command: [x], cwd: a/../../b}\n",  # leaves the project after `..`
    BASE + "pin: {nope: 1}\n",  # names no question of the template
    BASE + "python: '==3.12.0abc!!'\n",  # shaped like a specifier, but not one
]


@pytest.mark.parametrize("text", LOADER_ONLY)
def test_what_only_the_loader_refuses(tmp_path: Path, text: str) -> None:
    assert _loader_refuses(tmp_path, text)
    assert _schema_errors(text) == []


def test_a_schema_error_names_the_key() -> None:
    """What an editor shows: the path of the bad key."""
    errors: list[Any] = list(VALIDATOR.iter_errors(yaml.safe_load(BASE + "stop: {grace: soon}\n")))
    assert [list(e.absolute_path) for e in errors] == [["stop", "grace"]]
