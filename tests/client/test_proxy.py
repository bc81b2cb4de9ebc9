"""The client through an HTTP CONNECT proxy named by the environment, against the real mock.

The proxy here is a small real one on 127.0.0.1: it reads the CONNECT request, may ask
for credentials (407), and then pipes bytes both ways to the mock. The client dials a
host name that is not loopback (loopback never goes through a proxy), which only the
proxy resolves.
"""

from __future__ import annotations

import pytest
from connect_proxy import ConnectProxy

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.protocol.events import State

TOKEN = "proxy-test-token-1c"


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
