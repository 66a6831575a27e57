"""One `copier copy` in a process of its own, run by scaffolder.render for a template whose
tasks run: copier prints the tasks' output to the process's own stdout and stderr, which here
go to the variant's log, never to freshboot's terminal; it sees exactly the environment it is given;
and it can be killed with everything it started.

Run as a script (`python -I -u copy_child.py REQUEST`), so it imports only the standard library
and copier. REQUEST is a JSON file naming the operation (copy or update), template, destination,
answers and ref, and the file this writes the outcome to:
`{"kind": "ok" | "task" | "unsafe" | "copier", ...}`.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import re
import shlex
import shutil
import signal
import subprocess
import sys
import traceback
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError


def main(argv: list[str]) -> int:
    """Render as requested and write the outcome; exit 0 whenever there is an outcome."""
    # Default dispositions for copier and the tasks it starts (Python ignores SIGPIPE).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    _die_with_parent()
    request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    outcome = bake(request) if request["operation"] == "cookiecutter" else copy(request)
    Path(request["result"]).write_text(json.dumps(outcome), encoding="utf-8")
    return 0


def _die_with_parent() -> None:
    """SIGKILL when freshboot dies (see smoke_tests.signals): a killed run leaves no render."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def copy(request: dict[str, Any]) -> dict[str, Any]:
    """copier.run_copy (or run_update), trusted and with tasks unless the request says
    otherwise; its failure as data: a task's command and exit status, or a message."""
    import copier
    from copier.errors import CopierError, DirtyLocalWarning, TaskError, UnsafeTemplateError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DirtyLocalWarning)  # testing the working tree
            if request["operation"] == "update":
                copier.run_update(
                    request["dest"], vcs_ref=request["vcs_ref"], defaults=True, overwrite=True,
                    skip_answered=True, conflict="inline", unsafe=request.get("unsafe", True),
                    skip_tasks=request.get("skip_tasks", False), quiet=False,
                )  # fmt: skip
            else:
                copier.run_copy(
                    request["template"], request["dest"], data=request["answers"],
                    vcs_ref=request["vcs_ref"], defaults=True, unsafe=request.get("unsafe", True),
                    skip_tasks=request.get("skip_tasks", False), quiet=False,
                    cleanup_on_error=True,
                )  # fmt: skip
    except TaskError as exc:
        command = exc.cmd if isinstance(exc.cmd, str) else shlex.join(map(str, exc.cmd))
        return {"kind": "task", "command": command, "status": exc.returncode}
    except UnsafeTemplateError as exc:
        return {"kind": "unsafe", "message": str(exc)}
    except (CopierError, ValueError, subprocess.CalledProcessError, TemplateError) as exc:
        return {"kind": "copier", "message": describe(exc, request.get("template"))}
    return {"kind": "ok"}


def bake(request: dict[str, Any]) -> dict[str, Any]:
    """cookiecutter with the answers as its extra context and no questions (unless
    `interactive`), its hooks unless `skip_tasks`, its user config ignored, the project moved
    to `dest` (which may exist empty); its failure as data, as `copy` gives copier's."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    dest = Path(request["dest"])
    staging = dest.parent / f".{dest.name}.cookiecutter"
    # Its replay file and clones stay out of the user's HOME; the failure is reported once,
    # as data, without the traceback its logger adds.
    config = {"replay_dir": str(staging / "replay"), "cookiecutters_dir": str(staging / "repos")}
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    try:
        made = cookiecutter(
            request["template"], no_input=not request.get("interactive", False),
            extra_context=request["answers"], output_dir=str(staging / "out"),
            accept_hooks=not request.get("skip_tasks", False), default_config=config,
        )  # fmt: skip
        if dest.exists():
            dest.rmdir()  # empty, as render_project requires
        Path(made).rename(dest)
    except FailedHookException as exc:
        hook = _hook_name(exc.__traceback__) or "hook"
        files = [p.name for p in Path(request["template"], "hooks").glob(f"{hook}.*")]
        status = re.search(r"exit status: (-?\d+)", str(exc))
        return {"kind": "task", "command": f"hooks/{min(files, default=hook)}",
                "status": int(status[1]) if status else 1, "what": "cookiecutter hook"}  # fmt: skip
    except (CookiecutterException, ValueError, TemplateError) as exc:  # the template's fault
        return {"kind": "copier", "message": describe(exc, request.get("template"))}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"kind": "ok"}


def _hook_name(tb: TracebackType | None) -> str | None:
    """The hook that failed, as cookiecutter's own frame holds it (its message does not)."""
    while tb is not None:
        name = tb.tb_frame.f_locals.get("hook_name")
        if isinstance(name, str):
            return name
        tb = tb.tb_next
    return None


def describe(exc: BaseException, template: str | Path | None) -> str:
    """One line: the error, after the template file and line it is at when it is Jinja's
    (a syntax error, an undefined variable), as a path inside the template where it can."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, TemplateError):
        return text
    where: tuple[str, int | None] | None = None
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        where = (exc.filename, exc.lineno)
    else:  # Jinja rewrites tracebacks: the template's own frame names its file and line
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if not f.filename.endswith(".py") and not f.filename.startswith("<")
        ]
        where = (frames[-1].filename, frames[-1].lineno) if frames else None
    if where is None:
        return text
    return f"{_inside(Path(where[0]), template)}:{where[1]}: {text}"


def _inside(path: Path, template: str | Path | None) -> str:
    """`path` as it is inside the template (copier renders a git template from a clone)."""
    if template is not None:
        for i in range(1, len(path.parts)):
            tail = Path(*path.parts[i:])
            if (Path(template) / tail).is_file():
                return str(tail)
    return str(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
