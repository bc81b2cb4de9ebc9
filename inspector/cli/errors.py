"""The one error type of the command line."""


class CliError(Exception):
    """A problem to report as one line (exit 2), never as a traceback."""
