"""The client through an HTTP CONNECT proxy named by the environment, against the real mock.

The proxy here is a small real one on 127.0.0.1: it reads the CONNECT request, may ask
for credentials (407), and then pipes bytes both ways to the mock. The client dials a
host name that is not loopback (loopback never goes through a proxy), which only the
proxy resolves.
"""

from __future__ import annotations

import asyncio
import base64

import pytest

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.protocol.events import State

TOKEN = "proxy-test-token-1c"


class ConnectProxy:
    def __init__(self, target_port: int, credentials: str | None = None) -> None:
        self.target_port = target_port
        self.credentials = credentials
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task] = set()

    async def __aenter__(self) -> "ConnectProxy":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.server is not None
        self.server.close()
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        auth = f"{self.credentials}@" if self.credentials else ""
        return f"http://{auth}127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        if self.credentials:
            expected = base64.b64encode(self.credentials.encode()).decode()
            if f"Proxy-Authorization: Basic {expected}".encode() not in head:
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                writer.close()
                return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.ensure_future(self._pipe(src, dst))
            self._pipes.add(task)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            dst.close()


@pytest.fixture
def clean_proxy_env(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ws_proxy", "wss_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "WS_PROXY", "WSS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("credentials", [None, "proxy-user:proxy-s3cret"])
def test_connects_through_the_environments_http_proxy(mock_server, kit, clean_proxy_env, credentials):
    srv = mock_server()

    async def go():
        async with ConnectProxy(srv.port, credentials) as proxy:
            clean_proxy_env.setenv("http_proxy", proxy.url)
            url = f"ws://mock.test:{srv.port}/api/v2/realtime"
            client = RealtimeClient(ClientConfig(url, TokenSource.literal(TOKEN), auto_reconnect=False))
            seen: list = []
            client.add_listener(seen.append)
            client.subscribe("t")
            client.start()
            await client.wait_state(State.OPEN, 5)
            await client.wait_event(lambda e: getattr(e, "state", None) == "active", 5)
            await client.stop()
            return proxy.requests, seen
    requests, seen = kit.run(go())
    assert requests and requests[0].startswith(f"CONNECT mock.test:{srv.port} HTTP/1.1\r\n".encode())
    assert ("proxy-s3cret" not in repr(seen)) and TOKEN not in repr(seen)


def test_a_proxy_that_refuses_says_so_in_one_line_without_its_credentials(mock_server, kit, clean_proxy_env):
    srv = mock_server()

    async def go():
        async with ConnectProxy(srv.port, "proxy-user:right-pass") as proxy:
            clean_proxy_env.setenv("http_proxy", proxy.url.replace("right-pass", "wrong-pass"))
            url = f"ws://mock.test:{srv.port}/api/v2/realtime"
            client = RealtimeClient(ClientConfig(url, TokenSource.literal(TOKEN), auto_reconnect=False))
            client.start()
            ev = await client.wait_state(State.CLOSED, 5)
            await client.stop()
            return ev
    ev = kit.run(go())
    assert "407" in ev.message and "proxy" in ev.message and "\n" not in ev.message
    assert "wrong-pass" not in ev.message and "proxy-user" not in ev.message


def test_loopback_never_goes_through_the_proxy(mock_server, kit, clean_proxy_env):
    srv = mock_server()

    async def go():
        async with ConnectProxy(srv.port) as proxy:
            clean_proxy_env.setenv("http_proxy", proxy.url)
            client = RealtimeClient(ClientConfig(srv.url, TokenSource.literal(TOKEN), auto_reconnect=False))
            client.start()
            await client.wait_state(State.OPEN, 5)
            await client.stop()
            return proxy.requests
    assert kit.run(go()) == []
