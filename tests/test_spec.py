"""smoke.yaml errors name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from smoke_tests.spec import SpecError, load_spec
from tests.helpers import TEMPLATE, TINY

VALID = (TINY / "smoke.yaml").read_text()
GRACE_LINE = VALID.splitlines().index("  grace: 3") + 1
END_LINE = len(VALID.splitlines()) + 1


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "smoke.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize("template", [TEMPLATE, TINY])
def test_shipped_specs_load(template: Path) -> None:
    spec = load_spec(template)
    assert spec.ready_path.startswith("/")
    assert spec.probes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID + "bogus: 1\n", f"smoke.yaml:{END_LINE}: bogus: unknown key"),
        (VALID.replace("grace: 3", "grace: soon"), f"smoke.yaml:{GRACE_LINE}: stop.grace: expected a non-negative number, got 'soon'"),
        (VALID.replace("fail_on: ['^Error:']", "fail_on: ['(unclosed']"), "fail_on[0]: invalid regular expression"),
        (VALID.replace("signal: SIGINT", "signal: SIGNOPE"), "stop.signal: unknown signal 'SIGNOPE'"),
        (VALID.replace("run: [[python, app.py]]", ""), "'run' is missing"),
        ("run: [[a]\n", "smoke.yaml:2: invalid YAML"),
        (VALID.replace("  - get: /work\n", "  - get: /work\n    post: /work\n"), "probes[1]: give exactly one of get/post/put/delete"),
    ],
)  # fmt: skip
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(_write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"smoke\.yaml: not found"):
        load_spec(tmp_path)


def test_axis_values_override_run_env_probes_and_stop(tmp_path: Path) -> None:
    text = VALID + (
        "axes:\n"
        "  profile:\n"
        "    plain: {}\n"
        "    managed:\n"
        "      env: {MODE: managed}\n"
        "      probes: [{get: /other, expect: {status: 204}}]\n"
        "      stop: {signal: SIGTERM, exit: -15}\n"
    )
    spec = load_spec(_write(tmp_path, text))
    plain, managed = spec.with_axes({"profile": "plain"}), spec.with_axes({"profile": "managed"})
    assert plain.probes == spec.probes
    assert (plain.stop.signal.name, plain.stop.exit, plain.stop.grace) == ("SIGINT", 0, 3)
    assert [p.path for p in managed.probes] == ["/other"]
    assert (managed.stop.signal.name, managed.stop.exit, managed.stop.grace) == ("SIGTERM", -15, 3)
    assert managed.env["MODE"] == "managed"
    assert managed.run == spec.run
