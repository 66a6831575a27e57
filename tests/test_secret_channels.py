"""Every secret masked in every output: one run plants a secret in each place a secret can come
from, and every channel (stdout, stderr, logs, JSON, JUnit, Markdown, the GitHub step summary,
HTML) is searched for each of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import write_template

NAMED = "tok-named-4f9a2c71"  # API_TOKEN: masked by its name
MARKED = "marked-7be01d55"  # OTHER: {value: ..., secret: true}
QUERY = "qpw-93c1e8aa"  # ?password= in a URL the app prints
WITH = "withpw-5d2e9b"  # the password of a --with URL (reason and repro line)

APP = f"""\
import sys, os
print("token", os.environ["API_TOKEN"], "other", os.environ["OTHER"], flush=True)
print("db postgresql://db.local/app?sslmode=require&password={QUERY}", flush=True)
print("Error: " + os.environ["API_TOKEN"], flush=True)
sys.exit(3)
"""
SMOKE = """\
install: []
run: [[python, app.py]]
env:
  PORT: "{{ port }}"
  API_TOKEN: "NAMED"
  OTHER: {value: "MARKED", secret: true}
  PLAIN_KEY_FLAG: "true"
ready: {http: /health, timeout: 5}
fail_on: ['^Error:']
stop: {signal: SIGINT, grace: 3}
""".replace("NAMED", NAMED).replace("MARKED", MARKED)


def _channels(tmp_path: Path, *extra: str) -> dict[str, str]:
    template = write_template(tmp_path / "template", "", SMOKE, {"app.py": APP})
    out = tmp_path / "out"
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "smoke_tests", "smoke", "--template", str(template),
         "--out", str(out), "--json", str(tmp_path / "r.json"),
         "--junit", str(tmp_path / "r.xml"), "--markdown", str(tmp_path / "r.md"),
         "--html", str(tmp_path / "r.html"), *extra],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    found = {"stdout": done.stdout, "stderr": done.stderr}
    for path in [*out.rglob("*.log"), summary, *tmp_path.glob("r.*")]:
        if path.is_file():
            found[str(path)] = path.read_text(errors="replace")
    assert {str(tmp_path / f"r.{ext}") for ext in ("json", "xml", "md", "html")} <= set(found)
    assert str(summary) in found, sorted(found)
    assert any(p.endswith(".log") for p in found), sorted(found)
    return found


def test_env_and_query_secrets_are_masked_everywhere(tmp_path: Path) -> None:
    channels = _channels(tmp_path)
    assert "Error: ***" in channels[str(tmp_path / "r.json")]  # the run did show the line
    assert "true" in "".join(channels.values())  # short values of key-like names stay
    for secret in (NAMED, MARKED, QUERY):
        leaks = [name for name, text in channels.items() if secret in text]
        assert not leaks, f"{secret} in {leaks}"


def test_with_url_password_is_masked_in_the_repro_line(tmp_path: Path) -> None:
    url = f"tinypkg @ http://user:{WITH}@127.0.0.1:9/tinypkg-1.0-py3-none-any.whl"
    channels = _channels(tmp_path, "--with", url)
    assert "--with" in channels[str(tmp_path / "r.json")]
    leaks = [name for name, text in channels.items() if WITH in text]
    assert not leaks, f"{WITH} in {leaks}"


def test_password_like_query_parameters_are_masked() -> None:
    from smoke_tests import redact

    url = "postgresql://app@db/app?sslmode=require&password=pq-1a2b3c&sslpassword=ssl-9z8y"
    shown = redact.redact(f"connecting to {url}: refused")
    assert shown == (
        "connecting to postgresql://app@db/app?sslmode=require&password=***&sslpassword=***: "
        "refused"
    )
    for name in ("passwd", "pwd", "token", "secret", "key", "api_key", "PASSWORD"):
        assert redact.redact(f"/x?{name}=v4lue-{name}&a=1") == f"/x?{name}=***&a=1"
    redact.remember_url("postgresql://app@db/app?password=remembered-77f1")
    assert redact.redact("libpq said remembered-77f1") == "libpq said ***"


def test_secret_env_form_is_checked_naming_the_line(tmp_path: Path) -> None:
    import pytest

    from smoke_tests.spec import SpecError, load_spec

    base = "run: [[app]]\nready: {http: /}\nenv:\n  PLAIN: x\n"
    (tmp_path / "smoke.yaml").write_text(base + "  TOKEN_B: {value: abc, secret: true}\n")
    spec = load_spec(tmp_path)
    assert spec.env == {"PLAIN": "x", "TOKEN_B": "abc"}
    assert spec.secrets == {"TOKEN_B"}
    for bad, message in [
        (
            "  B: {value: abc, secret: maybe}\n",
            "smoke.yaml:5: env.B.secret: expected true or false",
        ),
        ("  B: {value: abc, hidden: true}\n", "smoke.yaml:5: env.B.hidden: unknown key"),
        ("  B: {secret: true}\n", "smoke.yaml:5: env.B: expected a non-empty string"),
    ]:
        (tmp_path / "smoke.yaml").write_text(base + bad)
        with pytest.raises(SpecError, match=message.replace(".", r"\.")):
            load_spec(tmp_path)
