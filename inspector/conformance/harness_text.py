"""A harness failure in words a user reads: never an exception's class name."""

from __future__ import annotations

from urllib.parse import urlsplit

from inspector.client.failures import classify

UNEXPECTED = "an unexpected error (the debug log has the details)"


def plain_reason(exc: BaseException, host: str = "", port: int | None = None) -> str:
    """One line for ``exc``: the client's failure line for network errors, else its first line."""
    if isinstance(exc, (OSError, TimeoutError)):
        return classify(exc, host, port).message
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else UNEXPECTED


def harness_failure(exc: BaseException) -> str:
    return f"the harness failed: {plain_reason(exc)}"


def connect_failure(url: str, exc: BaseException) -> str:
    """The failure line of a connect to ``url`` (the same one ``tail`` shows)."""
    parts = urlsplit(url)
    return plain_reason(exc, parts.hostname or "", parts.port or (443 if parts.scheme == "wss" else 80))
