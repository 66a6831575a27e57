"""The errors a user can fix. Each is printed at start as one line: `Error: <Name>: <message>`."""


class AppError(Exception):
    """Base of every start-up problem we report without a traceback."""


class ConfigError(AppError):
    """The configuration is missing or wrong; the message names the file, key and fix."""
