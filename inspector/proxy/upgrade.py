"""The opening handshake through the proxy, as bytes: the client's request read and passed
on, the upstream's answer read, and the proxy's own answers (400, 502, handshake faults).

Passed on as the client sent it: method, request target (path and query, the token too),
header order and every end-to-end header (Authorization, Origin, Sec-WebSocket-Key and
-Protocol, cookies). Dropped: hop-by-hop headers (RFC 9110 7.6.1) and
Sec-WebSocket-Extensions, so no extension (compression) makes frames unreadable.
``Host`` names the upstream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_HEAD = 64 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                         "te", "trailer", "transfer-encoding", "upgrade", "host", "sec-websocket-extensions"})


class BadHead(ValueError):
    """Not an HTTP/1.1 head the proxy can pass on (one line saying why)."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


@dataclass(frozen=True, slots=True)
class ResponseHead:
    status: int
    headers: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def _lines(head: bytes) -> list[str]:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        raise BadHead("the head is not text") from None
    return text.split("\r\n")


def _headers(lines: Iterable[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for line in lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadHead(f"a malformed header line {line[:40]!r}")
        out.append((name, value.strip()))
    return tuple(out)


def parse_request(head: bytes) -> RequestHead:
    """The request head up to (not including) its blank line."""
    first, *rest = _lines(head)
    parts = first.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadHead("the request line is not 'METHOD TARGET HTTP/1.1'")
    return RequestHead(parts[0], parts[1], _headers(rest))


def parse_response(head: bytes) -> ResponseHead:
    first, *rest = _lines(head)
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BadHead("the upstream's status line is not HTTP/1.x")
    return ResponseHead(int(parts[1]), _headers(rest))


def is_upgrade(req: RequestHead) -> bool:
    return (req.method == "GET" and (req.get("Upgrade") or "").lower() == "websocket"
            and req.get("Sec-WebSocket-Key") is not None)


def upstream_request(req: RequestHead, host: str, extra: Iterable[tuple[str, str]] = (),
                     origin: str | None = None, subprotocols: tuple[str, ...] = ()) -> bytes:
    """The request the upstream gets: the client's, less hop-by-hop headers, to ``host``.

    ``extra`` (-H) replaces a header of the same name; ``origin`` and ``subprotocols`` (the
    upstream options) replace the client's Origin and Sec-WebSocket-Protocol when given.
    """
    extra = list(extra)
    if origin is not None:
        extra.append(("Origin", origin))
    if subprotocols:
        extra.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    replaced = {name.lower() for name, _ in extra}
    dropped = _HOP_BY_HOP | {n.strip().lower() for n in (req.get("Connection") or "").split(",")} | replaced
    lines = [f"{req.method} {req.target} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade"]
    lines += [f"{k}: {v}" for k, v in req.headers if k.lower() not in dropped]
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response(status: int, body: dict[str, Any] | bytes, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """A complete HTTP answer that closes the connection (JSON for a dict body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Status"
    lines = [f"HTTP/1.1 {status} {phrase}"]
    if not isinstance(body, bytes):
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in headers]
    lines += [f"Content-Length: {len(data)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def bad_gateway(message: str) -> bytes:
    """502: the upstream could not be reached; ``message`` is the failure line ``tail`` prints."""
    return response(502, {"error": "bad_gateway", "message": message})
