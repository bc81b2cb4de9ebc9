"""Frames through the proxy, byte for byte, against the real mock and a raw upstream."""

from __future__ import annotations

import asyncio
import json

from proxy_kit import RawUpstream, raw_client, running_proxy

from inspector.proxy.wire import RawFrame, encode


def test_a_client_talks_to_the_mock_through_the_proxy(mock_server, kit) -> None:
    mock = mock_server(**kit.FAST)
    lines: list[str] = []

    async def body() -> None:
        async with running_proxy(mock.url, emit=lines.append, as_json=True) as proxy:
            url = f"ws://127.0.0.1:{proxy.port}/api/v2/realtime"
            async with kit.connect(url) as ws:
                sync = await kit.subscribe(ws, "orders.eu")
                assert sync["topic"] == "orders.eu"
                await ws.send(b"\x20ab")  # the protocol's PING: the mock answers PONG
                assert await kit.recv(ws) == b"\x21ab"

    kit.run(body())
    records = [json.loads(line) for line in lines]
    frames = [r for r in records if r["event"] == "frame"]
    assert [(r["direction"], r["kind"]) for r in frames[:4]] == [
        ("c2s", "SUBSCRIBE"), ("s2c", "EVENT"), ("c2s", "PING"), ("s2c", "PONG")]
    assert frames[0]["body"] == {"topic": "orders.eu"} and frames[0]["dir"] == "out"
    assert all(r["upstream"] == f"127.0.0.1:{mock.port}" for r in records)
    assert kit.TOKEN not in "\n".join(lines)


def test_the_upgrade_is_passed_on_and_the_answer_comes_back() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy:
            client, head = await raw_client(proxy.port, headers=(
                ("Authorization", "Bearer abc"), ("Origin", "http://app.test"), ("Sec-WebSocket-Protocol", "v2"),
                ("Sec-WebSocket-Extensions", "permessage-deflate"), ("Keep-Alive", "300"), ("X-Tenant", "acme")))
            end = await up.next_end()
            request = up.requests[0].decode()
            assert request.startswith("GET /api/v2/realtime?token=secret-tok HTTP/1.1\r\n")
            for line in ("Authorization: Bearer abc", "Origin: http://app.test", "Sec-WebSocket-Protocol: v2",
                         "X-Tenant: acme", f"Host: {up.url.removeprefix('ws://')}"):
                assert line in request
            assert "Extensions" not in request and "Keep-Alive" not in request
            assert head.startswith(b"HTTP/1.1 101") and b"X-Upstream: raw" in head
            client.abort()
            end.abort()

    asyncio.run(body())


def test_frames_keep_opcode_fragmentation_and_payload_both_ways() -> None:
    c2s = [RawFrame(0x1, b"he", fin=False, masked=True), RawFrame(0x9, b"p", masked=True),
           RawFrame(0x0, b"llo", masked=True), RawFrame(0x2, b"\x20x" * 40000, masked=True)]
    s2c = [RawFrame(0x2, b"\x10{}", fin=False), RawFrame(0x0, b"", fin=True), RawFrame(0xA, b"")]

    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            await client.send(b"".join(encode(f, True) for f in c2s))
            assert await server.read_frames(len(c2s)) == c2s
            await server.send(b"".join(encode(f, False) for f in s2c))
            assert await client.read_frames(len(s2c)) == s2c
            await client.send(encode(RawFrame(0x8, b"\x03\xe8bye", masked=True), True))
            assert await server.read_frames(1) == [RawFrame(0x8, b"\x03\xe8bye", masked=True)]
            await server.send(encode(RawFrame(0x8, b"\x03\xe8bye"), False))
            server.writer.close()
            assert await client.read_eof() == [RawFrame(0x8, b"\x03\xe8bye")]

    asyncio.run(body())
