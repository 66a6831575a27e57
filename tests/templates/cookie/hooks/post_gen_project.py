"""Removes what the answers do not need, as published cookiecutter templates do."""

from pathlib import Path

if "{{ cookiecutter.with_jobs }}" != "True":
    Path("jobs.py").unlink()
Path("hooked.txt").write_text("{{ cookiecutter.project_slug }}\n", encoding="utf-8")
print("post-gen hook: done")
