"""The control API: driven by a real Toxiproxy client (toxiproxy-python) for Toxiproxy's
routes and toxics, and over plain HTTP for the proxy's own routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import toxiproxy  # the [test] extra's toxiproxy-python: a real Toxiproxy client
from proxy_kit import RawEnd, RawUpstream, raw_client, raw_pair, running_proxy

from inspector.proxy.control import Control
from inspector.proxy.http_api import serve_http
from inspector.proxy.rule_text import parse_rule
from inspector.proxy.server import ProxyServer
from inspector.proxy.wire import RawFrame, encode


@contextlib.asynccontextmanager
async def controlled(server: ProxyServer, token: str | None = None) -> AsyncIterator[int]:
    control = Control("realtime", server)
    http = await serve_http(control.handle, "127.0.0.1", 0, token)
    try:
        yield http.sockets[0].getsockname()[1]
    finally:
        http.close()
        await http.wait_closed()
        await control.close()


def _client(port: int):
    client = toxiproxy.Toxiproxy()
    client.update_api_consumer("127.0.0.1", port)
    return client


async def _call(port: int, method: str, path: str, body: object = None,
                headers: dict[str, str] | None = None) -> tuple[int, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = b"" if body is None else json.dumps(body).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Content-Length: {len(data)}\r\n\r\n".encode() + data)
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload) if payload else None


def test_a_toxiproxy_client_lists_creates_and_poisons_proxies() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy, controlled(proxy) as port:
            client = _client(port)
            proxies = await asyncio.to_thread(client.proxies)
            assert list(proxies) == ["realtime"] and proxies["realtime"].listen == f"127.0.0.1:{proxy.port}"
            assert b"version" in await asyncio.to_thread(client.version)
            made = await asyncio.to_thread(client.create, up.url.removeprefix("ws://"), "second")
            assert made.name == "second" and made.enabled
            realtime = proxies["realtime"]
            await asyncio.to_thread(realtime.add_toxic, type="latency", attributes={"latency": 200})
            await asyncio.to_thread(realtime.add_toxic, type="drop", stream="upstream", name="no_pings",
                                    attributes={"kind": "PING"})
            toxics = await asyncio.to_thread(realtime.toxics)
            assert sorted(toxics) == ["latency_downstream", "no_pings"]

            client_end, _ = await raw_client(proxy.port)
            server_end = await up.next_end()
            loop = asyncio.get_running_loop()
            start = loop.time()
            await server_end.send(encode(RawFrame(0x2, b"\x10{}"), False))
            assert await client_end.read_frames(1) == [RawFrame(0x2, b"\x10{}")]
            assert loop.time() - start >= 0.2
            await client_end.send(encode(RawFrame(0x2, b"\x20p", masked=True), True) +
                                  encode(RawFrame(0x2, b"\x01{}", masked=True), True))
            assert await server_end.read_frames(1) == [RawFrame(0x2, b"\x01{}", masked=True)]  # the PING dropped

            await asyncio.to_thread(realtime.destroy_toxic, "no_pings")
            await asyncio.to_thread(client.reset)
            assert await asyncio.to_thread(realtime.toxics) == {}
            await asyncio.to_thread(made.destroy)
            assert list(await asyncio.to_thread(client.proxies)) == ["realtime"]
            client_end.abort()
            server_end.abort()

    asyncio.run(body())


def _with_toxics(toxics: list[dict[str, object]], script: Callable[[RawEnd, RawEnd], Awaitable[None]]) -> None:
    """A pair through the proxy with these toxics added by the Toxiproxy client, then ``script``."""
    async def body() -> None:
        async with raw_pair() as (proxy, client_end, server_end), controlled(proxy) as port:
            realtime = (await asyncio.to_thread(_client(port).proxies))["realtime"]
            for toxic in toxics:
                await asyncio.to_thread(realtime.add_toxic, **toxic)
            await script(client_end, server_end)

    asyncio.run(body())


@pytest.mark.parametrize(("toxic", "attributes"), [("limit_data", {"bytes": 10}), ("reset_peer", {"timeout": 0}),
                                                  ("timeout", {"timeout": 50})])
def test_tcp_toxics_that_end_the_connection(toxic: str, attributes: dict[str, int]) -> None:
    async def script(client_end: RawEnd, server_end: RawEnd) -> None:
        with contextlib.suppress(ConnectionResetError):  # reset_peer may have reset it already
            await server_end.send(encode(RawFrame(0x2, b"\x10" + b"x" * 30), False))
        try:
            got = await client_end.read_eof(within=2)
        except ConnectionResetError:
            got = []
        assert got == []  # nothing whole got through, and the connection ended

    _with_toxics([{"type": toxic, "attributes": attributes}], script)


def test_slicer_and_bandwidth_cut_and_pace_the_bytes() -> None:
    frame = RawFrame(0x2, b"\x10" + b"y" * 200)

    async def script(client_end: RawEnd, server_end: RawEnd) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await server_end.send(encode(frame, False))
        assert await client_end.read_frames(1) == [frame]
        assert loop.time() - start >= 0.2  # 202 bytes at 1 KB/s

    _with_toxics([{"type": "slicer", "attributes": {"average_size": 4, "size_variation": 0, "delay": 1000}},
                  {"type": "bandwidth", "attributes": {"rate": 1}}], script)


def test_own_routes_list_connections_add_rules_inject_and_close() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy, controlled(proxy, token="ctl-secret") as port:
            auth = {"Authorization": "Bearer ctl-secret"}
            assert (await _call(port, "GET", "/connections"))[0] == 401
            assert (await _call(port, "GET", "/connections", headers={"Authorization": "Bearer clé"}))[0] == 401
            assert (await _call(port, "GET", "/connections", headers={"X-Bad ": "x"}))[0] == 400  # a space: malformed
            client_end, _ = await raw_client(proxy.port)
            server_end = await up.next_end()
            status, conns = await _call(port, "GET", "/connections", headers=auth)
            assert status == 200 and [c["id"] for c in conns] == [1]
            status, made = await _call(port, "POST", "/rules", {"rule": "dir=s2c kind=EVENT -> drop"}, auth)
            assert status == 201
            assert (await _call(port, "POST", "/rules", {"rule": "frob=1 -> drop"}, auth))[0] == 400
            await server_end.send(encode(RawFrame(0x2, b"\x10{}"), False))
            assert (await _call(port, "POST", "/connections/1/inject", {"to": "client", "hex": "2161"}, auth))[0] == 204
            assert await client_end.read_frames(1) == [RawFrame(0x2, b"\x21a")]  # the EVENT was dropped
            assert (await _call(port, "DELETE", f"/rules/{made['id']}", None, auth))[0] == 204
            assert (await _call(port, "GET", "/rules", None, auth))[1] == []
            close = {"code": 4000, "reason": "bye"}
            assert (await _call(port, "POST", "/connections/1/close", close, auth))[0] == 204
            assert await client_end.read_eof() == [RawFrame(0x8, b"\x0f\xa0bye")]
            server_end.abort()

    asyncio.run(body())


def test_slow_close_holds_the_close_back() -> None:
    async def script(client_end: RawEnd, server_end: RawEnd) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        server_end.abort()
        assert await client_end.read_eof() == []
        assert loop.time() - start >= 0.3

    _with_toxics([{"type": "slow_close", "attributes": {"delay": 300}}], script)


def test_held_frames_wait_while_the_rest_flows_and_go_on_edited() -> None:
    async def body() -> None:
        async with raw_pair(rules=[parse_rule("dir=s2c -> hold")]) as (proxy, client_end, server_end), \
                controlled(proxy) as port:
            await server_end.send(encode(RawFrame(0x2, b'\x10{"a":1}'), False) + encode(RawFrame(0x2, b"\x20p"), False)
                                  + encode(RawFrame(0x9, b"w"), False))
            # PINGs are never held unless a rule names their kind
            assert await client_end.read_frames(2) == [RawFrame(0x2, b"\x20p"), RawFrame(0x9, b"w")]
            status, held = await _call(port, "GET", "/held")
            assert status == 200 and [(h["id"], h["kind"], h["direction"]) for h in held] == [(1, "EVENT", "s2c")]
            assert (await _call(port, "POST", "/held/1/forward", {"patch": {"a": 2}}))[0] == 204
            assert await client_end.read_frames(1) == [RawFrame(0x2, b'\x10{"a":2}')]
            await server_end.send(encode(RawFrame(0x2, b"\x10{}"), False) + encode(RawFrame(0x9, b"x"), False))
            assert await client_end.read_frames(1) == [RawFrame(0x9, b"x")]  # so the EVENT before it is held
            assert [h["id"] for h in (await _call(port, "GET", "/held"))[1]] == [2]
            client_end.abort()  # its pair ends: the held frame is discarded
            await asyncio.wait_for(proxy.wait_pairs(), 2)
            assert (await _call(port, "GET", "/held"))[1] == []
            assert (await _call(port, "POST", "/held/2/forward"))[0] == 404

    asyncio.run(body())
