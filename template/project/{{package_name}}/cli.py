"""The command line (see APP_NAME); run it from the project folder, it reads config/ there.

- `start [-e ENV] [-p PORT] [-b HOST]`: the HTTP server; with `--worker`,
  `--server-and-worker` or `--all`, the other start modes
- `doctor [-e ENV]`: check the configuration and the services it names
- `db migrate [-e ENV]`: apply pending migrations (with a database)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from . import APP_NAME, __version__, database
from .errors import AppError
from .logs import configure_logging


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Run the web service.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    start = commands.add_parser(
        "start",
        help="start the server (default), the worker, or both",
        description="Start the HTTP server; with --worker only the queue worker; with "
        "--server-and-worker both in one process; with --all also the scheduler.",
    )
    mode = start.add_mutually_exclusive_group()
    mode.add_argument("--worker", action="store_true", help="run only the queue worker")
    mode.add_argument(
        "--server-and-worker", action="store_true", help="run the server and the worker"
    )
    mode.add_argument(
        "--all", action="store_true", help="run the server, the worker and the scheduler"
    )
    _environment_option(start)
    start.add_argument("-p", "--port", type=int, help="port to listen on (default: from config)")
    start.add_argument("-b", "--binding", help="address to listen on (default: from config)")
    doctor = commands.add_parser(
        "doctor",
        help="check the configuration and the services it names",
        description="Check the configuration and the services it names; exit 1 if one fails.",
    )
    _environment_option(doctor)
    database.add_commands(commands, _environment_option)
    return parser


def _environment_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-e", "--environment", help="config/ENVIRONMENT.yaml (default: APP_ENV, else development)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors are one `Error: <Name>: <message>` line and status 1."""
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        if args.command == "doctor":
            from .doctor import doctor

            return doctor(args.environment)
        if args.command == "db":
            return database.run_command(args)
        from .config import load_config
        from .runtime import start

        config = load_config(args.environment, port=args.port, binding=args.binding)
        asyncio.run(
            start(
                config,
                server=not args.worker,
                worker=args.worker or args.server_and_worker or args.all,
                scheduler=args.all,
            )
        )
    except AppError as exc:
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the signal handlers were in place
        return 130
    return 0
