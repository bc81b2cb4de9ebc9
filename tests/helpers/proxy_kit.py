"""Both ends of a proxied connection at the byte level, on 127.0.0.1: a raw upstream that
answers the upgrade and keeps every frame it gets, a raw client, and a running proxy."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from typing import Any

from inspector.client.model import ConnectOptions
from inspector.proxy.server import ProxyConfig, ProxyServer
from inspector.proxy.upstream import Upstream
from inspector.proxy.wire import FrameSplitter, RawFrame

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


class RawEnd:
    """One end's stream after the upgrade: frames read as they come, bytes written as given."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.splitter = FrameSplitter()
        self.frames: list[RawFrame] = []

    async def read_frames(self, count: int, within: float = 5.0) -> list[RawFrame]:
        async with asyncio.timeout(within):
            while len(self.frames) < count:
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError(f"EOF after {len(self.frames)} of {count} frames")
                self.frames += self.splitter.feed(data)
        got, self.frames = self.frames[:count], self.frames[count:]
        return got

    async def read_eof(self, within: float = 5.0) -> list[RawFrame]:
        """Every frame until the stream ends (the proxy closed it)."""
        async with asyncio.timeout(within):
            while data := await self.reader.read(65536):
                self.frames += self.splitter.feed(data)
        self.writer.close()
        got, self.frames = self.frames, []
        return got

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def abort(self) -> None:
        self.writer.transport.abort()


class RawUpstream:
    """A server that answers every upgrade with 101 (or ``refuse``: a full HTTP answer)."""

    def __init__(self, refuse: bytes | None = None) -> None:
        self.refuse = refuse
        self.requests: list[bytes] = []
        self.ends: asyncio.Queue[RawEnd] = asyncio.Queue()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> RawUpstream:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for w in self._writers:
            w.transport.abort()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        if self.refuse is not None:
            writer.write(self.refuse)
            writer.close()
            return
        key = next(line.split(":", 1)[1].strip() for line in head.decode().split("\r\n")
                   if line.lower().startswith("sec-websocket-key:"))
        writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept_key(key)}\r\nX-Upstream: raw\r\n\r\n").encode())
        await self.ends.put(RawEnd(reader, writer))

    async def next_end(self, within: float = 5.0) -> RawEnd:
        return await asyncio.wait_for(self.ends.get(), within)


async def raw_client(port: int, target: str = "/api/v2/realtime?token=secret-tok",
                     headers: tuple[tuple[str, str], ...] = ()) -> tuple[RawEnd, bytes]:
    """A client past the upgrade (or refused: then the answer's bytes tell)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", *(f"{k}: {v}" for k, v in headers)]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    return RawEnd(reader, writer), head


@contextlib.asynccontextmanager
async def running_proxy(upstream_url: str, options: ConnectOptions | None = None,
                        **config: object) -> AsyncIterator[ProxyServer]:
    server = ProxyServer(ProxyConfig(upstream=Upstream.make(upstream_url, options or ConnectOptions()),
                                     **config))  # type: ignore[arg-type]
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def raw_pair(**config: object) -> AsyncIterator[tuple[ProxyServer, RawEnd, RawEnd]]:
    """A raw client and a raw upstream paired through a running proxy (both ends aborted after)."""
    async with RawUpstream() as up, running_proxy(up.url, **config) as proxy:
        client_end, _ = await raw_client(proxy.port)
        server_end = await up.next_end()
        try:
            yield proxy, client_end, server_end
        finally:
            client_end.abort()
            server_end.abort()


def record_two_pairs(mock_url: str, record: str, kit: Any) -> None:
    """``proxy --record`` in a process of its own: two clients in turn (pairs 1 and 2), each
    subscribing and sending a PING whose PONG comes back."""
    import signal

    from cli_proc import Proc

    proc = Proc("proxy", "--listen", "127.0.0.1:0", "--upstream", mock_url, "--quiet", "--record", record)
    try:
        port = int(proc.until("listening on ").split()[2].rsplit(":", 1)[1])

        async def body() -> None:
            for n, topic in ((1, "orders.eu"), (2, "prices.gbp")):
                async with kit.connect(f"ws://127.0.0.1:{port}/api/v2/realtime") as ws:
                    await kit.subscribe(ws, topic)
                    await ws.send(b"\x20pair %d" % n)
                    assert await kit.recv(ws) == b"\x21pair %d" % n

        kit.run(body())
    finally:
        proc.p.send_signal(signal.SIGTERM)
        rc, _, err = proc.finish()
    assert rc == 0, err
