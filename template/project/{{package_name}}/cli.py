"""Command line: `<app> start [--worker | --server-and-worker] [-e ENV] [-p PORT] [-b HOST]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from . import APP_NAME, __version__
from .errors import AppError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("uvicorn", "taskiq")  # their INFO lines repeat ours; warnings still show


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(prog=APP_NAME, description="Run the web service.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    start = commands.add_parser(
        "start",
        help="start the server (default), the worker, or both",
        description="Start the HTTP server; with --worker only the queue worker; "
        "with --server-and-worker both in one process.",
    )
    mode = start.add_mutually_exclusive_group()
    mode.add_argument("--worker", action="store_true", help="run only the queue worker")
    mode.add_argument(
        "--server-and-worker", action="store_true", help="run the server and the worker"
    )
    start.add_argument("-e", "--environment", help="config/<ENVIRONMENT>.yaml (default: APP_ENV)")
    start.add_argument("-p", "--port", type=int, help="port to listen on (default: PORT)")
    start.add_argument("-b", "--binding", help="address to listen on (default: BINDING)")
    return parser


def configure_logging() -> None:
    """Plain log lines on stderr: no colours, one line per event."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; start-up errors are one `Error: <Name>: <message>` line, status 1."""
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        from .config import load_config
        from .runtime import start

        config = load_config(args.environment, port=args.port, binding=args.binding)
        worker = args.worker or args.server_and_worker
        asyncio.run(start(config, server=not args.worker, worker=worker))
    except AppError as exc:
        print(f"Error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the signal handlers were in place
        return 130
    return 0
