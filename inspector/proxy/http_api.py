"""A small HTTP/1.1 server for the control API: one request per connection, JSON in and out.

A token, when set, is required as ``Authorization: Bearer TOKEN`` (compared in constant time).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1 << 20


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, f"the body is not JSON ({exc})") from None


Handler = Callable[[HttpRequest], Awaitable[tuple[int, Any]]]


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest:
    head = await reader.readuntil(b"\r\n\r\n")
    first, *lines = head[:-4].decode("latin-1").split("\r\n")
    parts = first.split(" ")
    if len(parts) != 3:
        raise HttpError(400, "malformed request line")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise HttpError(413, "the body is too large")
    body = await reader.readexactly(length) if length else b""
    url = urlsplit(parts[1])
    return HttpRequest(parts[0].upper(), url.path, parse_qs(url.query), headers, body)


def _answer(status: int, body: Any) -> bytes:
    if status == 204 or body is None:
        data, kind = b"", "application/json"
    elif isinstance(body, str):
        data, kind = body.encode(), "text/plain; charset=utf-8"
    else:
        data, kind = json.dumps(body).encode(), "application/json"
    phrase = HTTPStatus(status).phrase
    return (f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {kind}\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n").encode() + data


async def serve_http(handler: Handler, host: str, port: int, token: str | None) -> asyncio.Server:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_request(reader), 10)
            if token is not None and not hmac.compare_digest(request.headers.get("authorization", ""),
                                                             f"Bearer {token}"):
                raise HttpError(401, "this control API wants 'Authorization: Bearer' with its --control-token")
            status, body = await handler(request)
        except HttpError as exc:
            status, body = exc.status, {"error": str(exc), "status": exc.status}
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError, ConnectionError):
            writer.close()
            return
        writer.write(_answer(status, body))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()

    return await asyncio.start_server(on_connect, host, port)
