"""The opening handshake through the proxy: refusals come back unchanged, an unreachable
upstream is a 502 with tail's failure line, and handshake faults."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from proxy_kit import RawUpstream, raw_client, running_proxy

from inspector.proxy.rule_text import parse_rule


def _split(answer: bytes) -> tuple[int, bytes, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head, body


async def _answer(port: int, **kw: object) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v2/realtime?token=nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    try:
        return await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        return b"RESET"
    finally:
        writer.close()


def test_the_mocks_401_comes_back_unchanged_with_its_body_and_link(mock_server, kit) -> None:
    mock = mock_server(tokens=frozenset({"right"}))

    async def body() -> tuple[bytes, bytes]:
        direct = await _answer(mock.port)
        async with running_proxy(mock.url) as proxy:
            return direct, await _answer(proxy.port)

    direct, proxied = kit.run(body())
    status, head, payload = _split(proxied)
    assert status == 401 and b"\r\nLink: " in head
    assert json.loads(payload)["code"] == "invalid_token"
    assert payload == _split(direct)[2]


def test_an_unreachable_upstream_is_a_502_with_tails_failure_line() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # nothing listens here once closed

    async def body() -> bytes:
        async with running_proxy(f"ws://127.0.0.1:{port}/api/v2/realtime") as proxy:
            return await _answer(proxy.port)

    status, head, payload = _split(asyncio.run(body()))
    assert status == 502 and b"application/json" in head
    assert json.loads(payload) == {"error": "bad_gateway", "message": f"connection refused by 127.0.0.1:{port}"}


@pytest.mark.parametrize(("rule", "status"), [
    ("on=handshake -> status code=503 body=later", 503),
    ("on=handshake -> status", 401),
])
def test_a_handshake_rule_answers_for_the_upstream(rule: str, status: int) -> None:
    async def body() -> bytes:
        async with RawUpstream() as up, running_proxy(up.url, rules=[parse_rule(rule)]) as proxy:
            answer = await _answer(proxy.port)
            assert up.requests == []
            return answer

    got, _, payload = _split(asyncio.run(body()))
    assert got == status and json.loads(payload)["error"] == "proxy_fault"


def test_refuse_drops_the_connection_and_accept_close_ends_it_after_101() -> None:
    async def body() -> tuple[bytes, bytes]:
        rules = [parse_rule("on=handshake conn=1 -> refuse"), parse_rule("on=handshake conn=2 -> accept_close")]
        async with RawUpstream() as up, running_proxy(up.url, rules=rules) as proxy:
            refused = await _answer(proxy.port)
            accepted = await _answer(proxy.port)
            assert up.requests == []
            return refused, accepted

    refused, accepted = asyncio.run(body())
    assert refused in (b"", b"RESET")  # dropped before any answer
    assert accepted.startswith(b"HTTP/1.1 101") and accepted.endswith(b"\r\n\r\n")


def test_only_the_nth_connection_is_refused() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url, rules=[parse_rule("on=handshake nth=2 -> refuse")]) as p:
            first, head = await raw_client(p.port)
            assert head.startswith(b"HTTP/1.1 101")
            assert await _answer(p.port) in (b"", b"RESET")
            third, head = await raw_client(p.port)
            assert head.startswith(b"HTTP/1.1 101")
            first.abort()
            third.abort()

    asyncio.run(body())


def test_an_unusable_proxy_in_the_environment_is_a_502_on_every_connection(monkeypatch) -> None:
    # looked up once, when the proxy starts: each connection still says why it cannot go through
    for name in ("no_proxy", "NO_PROXY", "ws_proxy", "WS_PROXY", "https_proxy", "HTTPS_PROXY", "http_proxy",
                 "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("socks_proxy", "socks5://127.0.0.1:1")

    async def body() -> list[bytes]:
        async with running_proxy("ws://127.0.0.1:9/api/v2/realtime") as proxy:
            return [await _answer(proxy.port), await _answer(proxy.port)]

    for answer in asyncio.run(body()):
        status, _, payload = _split(answer)
        assert status == 502
        assert json.loads(payload)["message"] == "the socks proxy in the environment is not supported (HTTP only)"


def test_the_environments_proxy_is_looked_up_when_the_proxy_starts(monkeypatch) -> None:
    for name in ("no_proxy", "NO_PROXY", "socks_proxy", "ws_proxy", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]

    async def body() -> bytes:
        async with running_proxy(f"ws://127.0.0.1:{port}/api/v2/realtime") as proxy:
            monkeypatch.setenv("socks_proxy", "socks5://127.0.0.1:1")  # too late: the route is chosen
            return await _answer(proxy.port)

    status, _, payload = _split(asyncio.run(body()))
    assert status == 502 and json.loads(payload)["message"] == f"connection refused by 127.0.0.1:{port}"
