"""Answers to copier's `secret: true` questions are never shown: not in `freshboot variants`
(any format), not in variant ids, not in any log, report, reason, excerpt or message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import freshboot, http_app, smoke_json, write_template

KEYS = ("key-alpha-111", "key-beta-222", "key-gamma-333")
VARIANTS_YML = f"""\
region: {{type: str, choices: [eu, us]}}
api_key:
  type: str
  secret: true
  default: {KEYS[0]}
  choices: [{", ".join(KEYS)}]
  validator: "{{% if api_key == '{KEYS[2]}' %}}{{{{ api_key }}}} is revoked{{% endif %}}"
api_url: {{type: str, when: false, default: "https://bot:{{{{ api_key }}}}@api.example/v1"}}
"""


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("secrets") / "tpl"
    return write_template(root, VARIANTS_YML, "run: [x]\nready: {http: /}\n", {})


@pytest.mark.parametrize("form", ["table", "json", "github"])
def test_variants_output_never_shows_a_secret_answer(keyed: Path, form: str) -> None:
    done = freshboot("variants", "--template", keyed, "--format", form)
    assert done.returncode == 0, done.stderr
    for key in KEYS:
        assert key not in done.stdout
        assert key not in done.stderr
    # the revoked key vanished: said once, without its value, in the validator's words too
    assert done.stderr.splitlines() == [
        "freshboot: warning: api_key=*** is in no variant: api_key=***: *** is revoked"
    ]
    if form == "github":
        ids = [row["variant"] for row in json.loads(done.stdout)["include"]]
        assert ids == ["default", "api-key-2", "us", "us-api-key-2"]  # never a slug of the key
    elif form == "json":
        rows = json.loads(done.stdout)
        assert {row["answers"]["api_key"] for row in rows} == {"***"}
        assert {row["computed"]["api_url"] for row in rows} == {"https://bot:***@api.example/v1"}
    else:
        assert "api_key=*** " in done.stdout.splitlines()[0] + " "


APP = http_app(
    '{"ok": True, "token": sys.argv[1], "db": os.environ["DB_PASSWORD"]}',
    imports="import sys",
    before_start='print("starting with password", sys.argv[1], flush=True)',
)
SECRET = "changethis-Pg-S3cret"
SMOKE_YML = f"""\
name: {{type: str, default: demo}}
postgres_password: {{type: str, secret: true, default: {SECRET}}}
ci: {{type: str, choices: [none, github]}}
ci_token_env:
  type: str
  default: ""
  validator: "{{% if ci == 'github' and not ci_token_env %}}github needs a token name{{% endif %}}"
"""
SMOKE = """\
run: [[python, app.py, "{{ postgres_password }}"]]
env: {PORT: "{{ port }}", DB_PASSWORD: "{{ postgres_password }}"}
setup:
  - [sh, -c, 'echo "migrating with $DB_PASSWORD"']
  - [echo, "password: {{ postgres_password }}"]
ready: {http: /, timeout: 15}
probes:
  - {get: "/?password={{ postgres_password }}", expect: {status: 200, json: {ok: false}}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""


def test_a_smoke_run_masks_a_secret_answer_in_every_channel(tmp_path: Path) -> None:
    template = write_template(tmp_path / "tpl", SMOKE_YML, SMOKE, {"app.py": APP})
    junit, markdown = tmp_path / "r.xml", tmp_path / "r.md"
    done, results = smoke_json(
        template, tmp_path, "--junit", str(junit), "--markdown", str(markdown)
    )
    result = results["default"]
    assert (result["status"], result["phase"]) == ("FAIL", "probe"), result
    # the app did get the secret (it answered with it), and it shows masked
    assert result["reason"].startswith("GET /?password=***: answered HTTP 200 ")
    assert '"token": "***", "db": "***"' in result["reason"]
    assert "starting with password ***" in result["excerpt"]
    log = (tmp_path / "out" / "default.log").read_text()
    assert "migrating with ***" in log
    assert "$ echo password: ***" in log
    written = {
        "stdout": done.stdout,
        "stderr": done.stderr,
        "junit": junit.read_text(),
        "markdown": markdown.read_text(),
        "json": (tmp_path / "results.json").read_text(),
    }
    written |= {str(p): p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert [where for where, text in written.items() if SECRET in text] == []
    assert (
        "freshboot: warning: ci='github' is in no variant: ci_token_env='': github needs a "
        "token name" in done.stderr.splitlines()
    )


def test_errors_about_a_secret_question_do_not_quote_its_values(tmp_path: Path) -> None:
    smoke = "run: [x]\nready: {http: /}\npin: {api_key: key-wrong-999}\n"
    template = write_template(tmp_path / "tpl", VARIANTS_YML, smoke, {})
    done = freshboot("variants", "--template", template)
    assert done.returncode == 2
    assert done.stderr == (
        "freshboot: error: copier.yml and smoke.yaml allow no valid variant (e.g. api_key=***: "
        "not one of the choices ***); relax the validators, pin or exclude\n"
    )
