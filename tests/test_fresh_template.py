"""The bundled template, booted for real in every worker mode, and the regression we exist
to catch (a rewrite that makes every worker mode demand a queue provider) caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import TEMPLATE, leftovers, require_binary, smoke_json

pytestmark = pytest.mark.slow

CHECK_FILE = Path("project/{{package_name}}/workers.py")
CHECK = "config.workers.mode is WorkerMode.BackgroundQueue and config.queue is None"
REGRESSION = "config.queue is None"


def _variant_ids(results: dict[str, dict[str, str]], mode: str) -> list[str]:
    return sorted(v for v in results if mode in v)


def test_every_variant_passes(tmp_path: Path) -> None:
    require_binary("redis-server", "apt-get install -y redis-server")
    done, results = smoke_json(TEMPLATE, tmp_path)
    assert done.returncode == 0, done.stdout
    assert len(results) >= 4
    assert {r["status"] for r in results.values()} == {"PASS"}, done.stdout
    stages = ["render", "services", "environment", "boot", "checks", "stop"]
    for variant, result in results.items():
        # Production follows the README's release steps (doctor, db migrate) before start.
        setup = ["setup"] if variant.endswith("-prod") else []
        assert list(result["timings"]) == [*stages[:3], *setup, *stages[3:]], variant
    assert leftovers(tmp_path / "tmp") == []


def test_queue_provider_regression_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "template"
    shutil.copytree(TEMPLATE, broken)
    source = broken / CHECK_FILE
    text = source.read_text()
    assert text.count(CHECK) == 1, f"{CHECK_FILE} no longer holds the queue-provider check"
    source.write_text(text.replace(CHECK, REGRESSION))

    done, results = smoke_json(broken, tmp_path, "-k", "not redis")

    assert done.returncode == 1, done.stdout
    by_mode = {
        "async": ("FAIL", "boot"),
        "blocking": ("FAIL", "boot"),
        "queue": ("PASS", "done"),
    }
    for mode, (status, phase) in by_mode.items():
        ids = _variant_ids(results, mode)
        assert ids, f"no {mode} variant in {sorted(results)}"
        for variant in ids:
            result = results[variant]
            assert (result["status"], result["phase"]) == (status, phase), result
            if status == "FAIL":
                assert result["reason"].startswith("Error: QueueProviderMissing"), result
                assert "Traceback" not in "\n".join(result["excerpt"])
    assert leftovers(tmp_path / "tmp") == []
