"""Shared fixtures for the tests that talk to the mock: real mock servers on 127.0.0.1, port 0, scaled timers.

- ``mock_server(**config) -> MockServerThread``: a started server on its own thread (stopped at
  teardown); usable from any event loop, e.g. a test's ``asyncio.run``.
- ``kit``: small async helpers (connect, recv, expect_close, raw HTTP) shared by the net tests.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import Callable

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread

TOKEN = "test-token-7f3a"
# Timers scaled from 30 s / 10 s / 60 s so liveness and idle tests take a fraction of a second.
FAST = {"ping_interval": 0.2, "pong_timeout": 0.1, "idle_timeout": 0.6}


def run(coro, timeout: float = 30):
    """Run one async test body with an overall timeout."""
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


def connect(url: str, token: str | None = TOKEN, auth: str = "header", **kwargs):
    """A websockets client the way the protocol wants it (no library keepalive, no compression)."""
    headers = {}
    if token is not None and auth == "header":
        headers["Authorization"] = f"Bearer {token}"
    elif token is not None:
        url += ("&" if "?" in url else "?") + "token=" + token
    options = {"ping_interval": None, "compression": None, "open_timeout": 5, "close_timeout": 2,
               "max_size": None, "max_queue": None}
    options.update(kwargs)
    return ws_connect(url, additional_headers=headers, **options)


# The waits' defaults are safety nets: each returns as soon as its frame comes, and a loaded machine can
# stall a test process for seconds.
async def recv(ws, timeout: float = 10.0) -> bytes | str:
    return await asyncio.wait_for(ws.recv(), timeout)


async def recv_json(ws, kind: int = 0x10, timeout: float = 10.0) -> dict:
    """The next frame, which must be of ``kind``, with its JSON body."""
    data = await recv(ws, timeout)
    assert isinstance(data, bytes) and data[:1] == bytes((kind,)), data
    return json.loads(data[1:])


async def subscribe(ws, topic: str, filter: str | None = None, id: int | None = None) -> dict:
    """Subscribe and return the presence sync that confirms it."""
    body: dict = {"topic": topic}
    if id is not None:
        body["id"] = id
    if filter is not None:
        body["filter"] = filter
    await ws.send(b"\x01" + json.dumps(body).encode())
    sync = await recv_json(ws)
    assert sync["type"] == "presence" and sync["data"]["action"] == "sync", sync
    return sync


async def expect_close(ws, timeout: float = 10.0) -> tuple[int | None, str]:
    """Read (ignoring frames) until the server closes; returns the close code and reason."""
    async def drain():
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as exc:
            return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, "")
    return await asyncio.wait_for(drain(), timeout)


async def no_frame(ws, within: float = 0.15) -> bool:
    """True when nothing arrives within ``within`` seconds."""
    try:
        await asyncio.wait_for(ws.recv(), within)
    except TimeoutError:
        return True
    return False


async def answered_next(ws, body: bytes = b"marker") -> bool:
    """True when the next frame is the PONG to a PING sent now. The server answers in order, so
    anything it was to send for the client's earlier frames would have come first."""
    await ws.send(b"\x20" + body)
    return await recv(ws) == b"\x21" + body


async def until(predicate: Callable[[], object], what: str = "condition", within: float = 15.0) -> None:
    """Poll ``predicate`` on the running loop until it holds; fail after ``within`` seconds (a safety net:
    it returns as soon as the condition holds, and a loaded machine can take seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.01)


async def http(port: int, path: str, headers: dict[str, str] | None = None, host: str = "127.0.0.1"):
    """One raw HTTP/1.1 GET; returns (status, headers with lower-case names, body bytes)."""
    reader, writer = await asyncio.open_connection(host, port)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), parsed, body


UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def make_config(**overrides) -> MockConfig:
    return MockConfig(**overrides)


@pytest.fixture
def kit():
    return types.SimpleNamespace(
        TOKEN=TOKEN, FAST=FAST, UPGRADE=UPGRADE, run=run, connect=connect, recv=recv, recv_json=recv_json,
        subscribe=subscribe, expect_close=expect_close, no_frame=no_frame, http=http, config=make_config,
        answered_next=answered_next, until=until,
    )


@pytest.fixture
def mock_server():
    """Factory: ``mock_server(**MockConfig fields)`` -> a started MockServerThread, stopped at teardown."""
    started: list[MockServerThread] = []

    def make(**overrides) -> MockServerThread:
        thread = MockServerThread(MockConfig(**overrides))
        thread.start()
        started.append(thread)
        return thread

    yield make
    for thread in started:
        thread.stop()
