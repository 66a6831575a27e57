"""Logging: plain lines on stderr, set up by the command line (never at import).

Libraries' INFO lines that repeat ours are hidden (their warnings show), and two messages
taskiq logs on every normal stop are dropped: the app logs one line of its own for each.
"""

from __future__ import annotations

import asyncio
import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("uvicorn", "taskiq", "alembic")


class QuietStop(logging.Filter):
    """Drops the warning taskiq logs on every normal stop of its receiver loop."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record."""
        text = record.getMessage()
        return not (text.startswith("The listen") and "task was cancelled" in text)


class QuietCancel(logging.Filter):
    """taskiq logs a job cancelled at stop as an error with a traceback; jobs.py logs one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record that is not about a cancelled job."""
        exc = record.exc_info[0] if record.exc_info else None
        return not (exc is not None and issubclass(exc, asyncio.CancelledError))


def configure_logging(level: int = logging.INFO) -> None:
    """Plain log lines on stderr: no colours, one line per event."""
    logging.basicConfig(level=level, format=LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("taskiq.receiver").addFilter(QuietStop())
    logging.getLogger("taskiq.receiver.receiver").addFilter(QuietCancel())
