"""The mock refuses browser pages from foreign origins (inspector/docs/protocol.md, "Browser origins (mock only)").

Real sockets: websockets' client sending ``origin=``, and raw HTTP for header shapes
a library would not produce (two Origin headers, odd case, no port).
"""

import asyncio
import json
import logging

import pytest
from websockets.exceptions import InvalidStatus

from inspector.mock.server import MockConfig, MockServer

PATH = "/api/v2/realtime"
BODY_403 = b'{"error":"forbidden","code":"origin_not_allowed","status":403}'

LOOPBACK = [
    "http://127.0.0.1", "http://127.0.0.1:5173", "https://127.0.0.1:8443", "http://localhost",
    "http://localhost:3000", "https://localhost", "http://[::1]", "http://[::1]:8080", "HTTP://LocalHost:3000",
]
FOREIGN = [
    "http://evil.test", "http://evil.test:8000", "https://example.com", "http://127.0.0.1.evil.test",
    "http://localhost.evil.test:3000", "http://127.0.0.2:8000", "http://0.0.0.0:8000", "null",
    "file://", "chrome-extension://abcdefghijklmnop", "ws://127.0.0.1:9", "http://user@127.0.0.1",
    "not an origin", "", "http://127.0.0.1:99999",
]


def assert_403(status, headers, body, help_url="/docs/protocol.md"):
    assert status == 403
    assert headers["content-type"] == "application/json"
    assert body == BODY_403
    assert headers["link"] == f'<{help_url}>; rel="help"'


async def refused_with(kit, url, origin, token):
    with pytest.raises(InvalidStatus) as info:
        async with kit.connect(url, token=token, origin=origin):
            pass
    return info.value.response


@pytest.mark.parametrize("origin", [None, *LOOPBACK])
def test_no_origin_and_loopback_pages_may_connect(kit, origin):
    async def go():
        async with MockServer(MockConfig()) as server:
            async with kit.connect(server.url, origin=origin) as ws:
                await kit.subscribe(ws, "t")
            async with kit.connect(server.control_url, origin=origin) as ctl:
                await ctl.send('{"op":"stats"}')
                return json.loads(await kit.recv(ctl))["ok"]
    assert kit.run(go()) is True


@pytest.mark.parametrize("origin", FOREIGN)
def test_foreign_origins_get_403_on_both_paths(kit, origin):
    async def go():
        async with MockServer(MockConfig()) as server:
            return [await kit.http(server.port, path, {"Origin": origin, "Authorization": f"Bearer {kit.TOKEN}",
                                                       **kit.UPGRADE})
                    for path in (PATH, "/mock/control", PATH + "?token=x")]
    for status, headers, body in kit.run(go()):
        assert_403(status, headers, body)


def test_websockets_client_sees_the_403(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            return [await refused_with(kit, url, "http://evil.test:8000", kit.TOKEN)
                    for url in (server.url, server.control_url)]
    for response in kit.run(go()):
        assert response.status_code == 403
        assert response.body == BODY_403


def test_origin_is_checked_before_the_token(kit):
    # a foreign page learns nothing about tokens: no token, a wrong one and a right one look alike
    async def go():
        async with MockServer(MockConfig(tokens=frozenset({kit.TOKEN}))) as server:
            out = []
            for auth in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {kit.TOKEN}"}):
                out.append(await kit.http(server.port, PATH, {"Origin": "https://example.com", **auth}))
            return out
    for status, headers, body in kit.run(go()):
        assert_403(status, headers, body)


def test_the_403_links_to_the_configured_help(kit):
    async def go():
        async with MockServer(MockConfig(help_url="https://docs.example/p")) as server:
            return await kit.http(server.port, PATH, {"Origin": "http://evil.test", **kit.UPGRADE})
    assert_403(*kit.run(go()), help_url="https://docs.example/p")


def test_two_origin_headers_are_refused(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            lines = [f"GET {PATH}?token=t HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
                     "Origin: http://127.0.0.1:3000", "Origin: http://evil.test"]
            lines += [f"{k}: {v}" for k, v in kit.UPGRADE.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            status = await reader.readline()
            writer.close()
            return status
    assert kit.run(go()).startswith(b"HTTP/1.1 403 ")


def test_allowed_origins_are_exact_up_to_case_and_default_port(kit):
    config = MockConfig(allow_origins=("http://Evil.test:80", "https://app.example:8443"))

    async def go():
        async with MockServer(config) as server:
            for origin in ("http://evil.test", "HTTP://EVIL.TEST", "https://app.example:8443"):
                async with kit.connect(server.url, origin=origin) as ws:
                    await kit.subscribe(ws, "t")
            return [(await refused_with(kit, server.url, origin, kit.TOKEN)).status_code
                    for origin in ("https://evil.test", "http://evil.test:8000", "https://app.example",
                                   "http://sub.evil.test")]
    assert kit.run(go()) == [403, 403, 403, 403]


def test_star_allows_every_origin(kit):
    async def go():
        async with MockServer(MockConfig(allow_origins=("*",))) as server:
            for origin in ("http://evil.test:8000", "null"):
                async with kit.connect(server.url, origin=origin) as ws:
                    await kit.subscribe(ws, "t")
            return True
    assert kit.run(go())


def test_the_docs_path_ignores_origin(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            return await kit.http(server.port, "/docs/protocol.md", {"Origin": "http://evil.test"})
    status, _headers, body = kit.run(go())
    assert status == 200 and b"Browser origins" in body


def test_the_embedded_mock_thread_refuses_foreign_origins_by_default(kit, mock_server):
    server = mock_server()  # MockServerThread, as the app's mock panel runs it

    async def go():
        response = await refused_with(kit, server.url, "http://evil.test:8000", kit.TOKEN)
        async with kit.connect(server.url, origin="http://localhost:5173") as ws:
            await kit.subscribe(ws, "t")
        return response
    assert kit.run(go()).status_code == 403


def test_a_refusal_is_logged_once_per_origin_without_the_token(kit, caplog):
    secret = "s3cr3t-origin-tok"
    caplog.set_level(logging.DEBUG, logger="inspector.mock")

    async def go():
        async with MockServer(MockConfig()) as server:
            for _ in range(3):
                await refused_with(kit, server.url + f"?token={secret}", "http://evil.test:8000", None)
            await kit.http(server.port, "/mock/control", {"Origin": "https://b.test", "Authorization":
                                                          f"Bearer {secret}"})
    kit.run(go())
    records = [r for r in caplog.records if r.name == "inspector.mock"]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert warnings == [
        "refused /api/v2/realtime from origin 'http://evil.test:8000': 403 origin_not_allowed "
        "(allow it with --allow-origin)",
        "refused /mock/control from origin 'https://b.test': 403 origin_not_allowed (allow it with --allow-origin)",
    ]
    assert sum("evil.test" in r.getMessage() for r in records) == 3  # the repeats at DEBUG
    assert all(secret not in r.getMessage() for r in caplog.records)
