"""TLS on both legs: a wss:// listener and a wss:// upstream checked with --cacert; an
upstream certificate the proxy does not trust is a 502 with tail's line."""

from __future__ import annotations

import asyncio
import json
import ssl

from proxy_kit import running_proxy

from inspector.client.model import ConnectOptions


def test_wss_in_and_out(mock_server, kit, certs) -> None:
    mock = mock_server(ssl_context=certs.context())
    client_tls = ssl.create_default_context(cafile=certs.ca)

    async def body() -> None:
        async with running_proxy(mock.url, ConnectOptions(cacert=certs.ca), ssl_context=certs.context()) as proxy, \
                kit.connect(f"wss://127.0.0.1:{proxy.port}/api/v2/realtime", ssl=client_tls) as ws:
            await kit.subscribe(ws, "orders.eu")
            await ws.send(b"\x20tls")
            assert await kit.recv(ws) == b"\x21tls"

    assert mock.url.startswith("wss://")
    kit.run(body())


def test_an_untrusted_upstream_certificate_is_a_502_with_tails_line(mock_server, kit, certs) -> None:
    mock = mock_server(ssl_context=certs.context())

    async def body() -> bytes:
        async with running_proxy(mock.url) as proxy:  # the system's trust store: the test CA is not in it
            return await _upgrade(proxy.port)

    head, _, payload = kit.run(body()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502")
    assert json.loads(payload)["message"].startswith("TLS certificate verify failed: unknown CA")


async def _upgrade(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v2/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
