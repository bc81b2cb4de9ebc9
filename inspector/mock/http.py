"""The mock server's HTTP side: token extraction, the 401/403/404 answers, log redaction.

Everything here runs during the opening handshake, before a WebSocket exists.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from inspector.protocol.urls import CONTROL_PATH as CONTROL_PATH  # the mock serves where clients look

REALTIME_PATH = "/api/v2/realtime"
DOCS_PATH = "/docs/protocol.md"

# The protocol document ships inside the package, so that an installed mock can serve
# it and the Link header of every 401 resolves against the server that sent it.
_DOCS_PACKAGE, _DOCS_DIR, _DOCS_NAME = "inspector", "docs", "protocol.md"


def split_path(path: str) -> tuple[str, dict[str, list[str]]]:
    """The path without query, and the parsed query."""
    parts = urlsplit(path)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


def token_from_request(request: Request) -> str | None:
    """The token from ``Authorization: Bearer`` (preferred) or ``?token=``; None when absent or empty."""
    auth = request.headers.get("Authorization")
    if auth:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    _, query = split_path(request.path)
    for value in query.get("token", []):
        if value:
            return value
    return None


def wants_upgrade(request: Request) -> bool:
    upgrade = request.headers.get("Upgrade", "")
    return any(p.strip().lower() == "websocket" for p in upgrade.split(","))


def json_response(status: int, phrase: str, body: dict[str, Any], extra: Sequence[tuple[str, str]] = ()) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = Headers([
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Connection", "close"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        *extra,
    ])
    return Response(status, phrase, headers, data)


def unauthorized(code: str, help_url: str) -> Response:
    """A 401 exactly as docs/protocol.md's "HTTP answers" has it, with the Link header to the documentation."""
    return json_response(401, "Unauthorized", {"error": "unauthorized", "code": code, "status": 401},
                         [("Link", f'<{help_url}>; rel="help"')])


def forbidden_origin(help_url: str) -> Response:
    """The 403 for a browser page whose origin may not use the mock.

    See docs/protocol.md, "Browser origins (mock only)".
    """
    return json_response(403, "Forbidden", {"error": "forbidden", "code": "origin_not_allowed", "status": 403},
                         [("Link", f'<{help_url}>; rel="help"')])


def not_found(path: str) -> Response:
    return json_response(404, "Not Found", {"error": "not_found", "status": 404, "path": path[:200]})


def docs_response() -> Response:
    """The protocol document as text, or a 404 when this install has no copy of it."""
    try:
        data = resources.files(_DOCS_PACKAGE).joinpath(_DOCS_DIR).joinpath(_DOCS_NAME).read_bytes()
    except OSError:
        return not_found(DOCS_PATH)
    headers = Headers([
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Connection", "close"),
        ("Content-Type", "text/markdown; charset=utf-8"),
        ("Content-Length", str(len(data))),
    ])
    return Response(200, "OK", headers, data)
