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

from inspector.mock.http import split_path
from inspector.proxy.upgrade import BadHead, RequestHead, parse_request

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
    head: RequestHead
    body: bytes

    def header(self, name: str) -> str | None:
        return self.head.get(name)

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, f"the body is not JSON ({exc})") from None


Handler = Callable[[HttpRequest], Awaitable[tuple[int, Any]]]


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest:
    raw = await reader.readuntil(b"\r\n\r\n")
    try:
        head = parse_request(raw[:-4])  # the head as the proxy reads a client's upgrade
    except BadHead as exc:
        raise HttpError(400, str(exc)) from None
    length = (head.get("Content-Length") or "0").strip()
    if not length.isdigit():
        raise HttpError(400, "Content-Length is not a number")
    if int(length) > MAX_BODY:
        raise HttpError(413, "the body is too large")
    body = await reader.readexactly(int(length)) if int(length) else b""
    path, query = split_path(head.target)
    return HttpRequest(head.method.upper(), path, query, head, body)


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
            sent = (request.header("Authorization") or "").encode("latin-1")  # the bytes as they came
            if token is not None and not hmac.compare_digest(sent, f"Bearer {token}".encode()):
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
