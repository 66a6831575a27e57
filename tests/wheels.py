"""Wheels of a tiny package in versions 1.0 to 1.6, written by hand (faster than building
seven), and a template whose project depends on it: for bisect, horizons and version diffs."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.helpers import http_app

SMOKE = """\
install: [[uv, pip, install, .]]
run: [[python, app.py]]
env: {PORT: "{{ port }}"}
ready: {http: /, timeout: 15}
fail_on: ['^Error:', 'Traceback \\(most recent call last\\)']
probes:
  - {get: /, expect: {status: 200}}
stop: {signal: SIGINT, grace: 5, exit: 0}
"""
PACKAGE = "freshboot-bisect-probe"
MODULE = "freshboot_bisect_probe"
PYPROJECT = """\
[project]
name = "demo"
version = "1.0"
dependencies = ["freshboot-bisect-probe>=1.0"]
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[tool.hatch.build.targets.wheel]
packages = ["demo"]
"""


def write_wheels(
    folder: Path,
    versions: range = range(7),
    breaks: range = range(4, 7),
    also: tuple[str, ...] = (),
) -> Path:
    """Wheels of a tiny package in versions 1.0 to 1.6, written by hand; in 1.x for x in
    `breaks` importing it fails (so the app does not start). `also`: more versions
    (pre-releases, say) that import fine."""
    folder.mkdir(parents=True, exist_ok=True)
    for minor, version in [*((m, f"1.{m}") for m in versions), *((7, v) for v in also)]:
        info = f"{MODULE}-{version}.dist-info"
        code = f"VERSION = {version!r}\n"
        if minor in breaks and version not in also:
            code += f"raise RuntimeError('{PACKAGE} {version} broke start-up')\n"
        files = {
            f"{MODULE}/__init__.py": code,
            f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: {version}\n",
            f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n",
        }
        record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
        with zipfile.ZipFile(folder / f"{MODULE}-{version}-py3-none-any.whl", "w") as wheel:
            for name, text in {**files, f"{info}/RECORD": record}.items():
                wheel.writestr(name, text)
    return folder


def package_template(root: Path, smoke_extra: str = "") -> Path:
    """A template whose project depends on the package (>=1.0) and imports it at start."""
    (root / "project" / "demo").mkdir(parents=True)
    (root / "copier.yml").write_text("_subdirectory: project\nname: {type: str, default: demo}\n")
    (root / "smoke.yaml").write_text(SMOKE + smoke_extra)
    app = http_app("{'version': probe.VERSION}", f"import {MODULE} as probe")
    (root / "project" / "app.py").write_text(app)
    (root / "project" / "demo" / "__init__.py").write_text("")
    (root / "project" / "pyproject.toml").write_text(PYPROJECT)
    return root
