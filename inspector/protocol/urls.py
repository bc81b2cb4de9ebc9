"""The URLs a session dials: the token in the query for query auth, and the mock's control channel.

Pure string work, shared by every way of connecting, so that each one carries the token
the same way and finds the control channel in the same place.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

CONTROL_PATH = "/mock/control"
TOKEN_PARAM = "token"
AUTH_MODES = ("header", "query")
_CONTROL_SCHEMES = {"ws": "ws", "http": "ws", "wss": "wss", "https": "wss"}


def with_token(url: str, token: str) -> str:
    """``url`` with ``token=<token>`` as its last query pair. A ``token`` pair already there is
    dropped; every other pair stays as written, in its order."""
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and not _is_token_pair(pair)]
    kept.append(f"{TOKEN_PARAM}={quote(token, safe='')}")
    return urlunsplit(parts._replace(query="&".join(kept)))


def _is_token_pair(pair: str) -> bool:
    return unquote_plus(pair.partition("=")[0]) == TOKEN_PARAM


def dial(url: str, token: str, auth: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL and extra headers of an upgrade carrying ``token``: in the query (``auth="query"``)
    or as ``Authorization: Bearer`` (``auth="header"``); "" for no token at all."""
    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be 'header' or 'query', not {auth!r}")
    if not token:
        return url, []
    if auth == "query":
        return with_token(url, token), []
    return url, [("Authorization", f"Bearer {token}")]


def control_url(url: str) -> str:
    """The mock's control channel on the host and port of a ws://, wss://, http:// or https://
    URL (no credentials, path or query of the original). ValueError for any other URL."""
    parts = urlsplit(url)
    parts.port  # noqa: B018 - raises ValueError on a bad port
    scheme = _CONTROL_SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise ValueError("not a ws:// URL")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((scheme, netloc, CONTROL_PATH, "", ""))
