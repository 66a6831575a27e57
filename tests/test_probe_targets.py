"""Probes stay on the app: `ready.http` and probe targets are paths; a URL to another host is
refused when smoke.yaml is loaded, and a probe that renders into one is an ERROR of smoke.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from smoke_tests.spec import SpecError, load_spec
from tests.helpers import TINY, http_app, smoke_json, write_template

VALID = (TINY / "smoke.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("http: /health", "http: http://example.invalid/health", "ready.http"),
        ("http: /health", "http: //example.invalid/health", "ready.http"),
        ("- get: /work", "- get: https://example.invalid/work", "probes[1].get"),
        ("- get: /work", "- get: '//example.invalid/work'", "probes[1].get"),
    ],
)
def test_absolute_urls_are_refused_naming_the_line(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    (tmp_path / "smoke.yaml").write_text(VALID.replace(old, new))
    line = next(i for i, text in enumerate(VALID.splitlines(), 1) if old in text)
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    message = str(caught.value)
    assert f"smoke.yaml:{line}: {key}: " in message
    assert "is a URL; give a path on the app" in message


def test_a_probe_rendered_into_a_url_is_an_error_of_smoke_yaml(tmp_path: Path) -> None:
    template = write_template(
        tmp_path / "template",
        "target:\n  type: str\n  default: http://127.0.0.1:9/elsewhere\n",
        "install: []\nrun: [[python, app.py]]\nenv: {PORT: '{{ port }}'}\n"
        "ready: {http: /, timeout: 10}\n"
        "probes:\n  - get: '{{ target }}'\n    expect: {status: 200}\n"
        "stop: {signal: SIGINT, grace: 3}\n",
        {"app.py": http_app("{'ok': True}")},
    )
    _, results = smoke_json(template, tmp_path)
    [result] = results.values()
    assert result["status"] == "ERROR", result
    assert result["reason"].startswith("smoke.yaml: probe GET {{ target }}: rendered"), result
    assert "is a URL" in result["reason"]
