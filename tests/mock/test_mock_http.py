"""HTTP answers on /api/v2/realtime (inspector/docs/protocol.md, "HTTP answers"), over raw sockets."""

import json
import logging

import pytest
from websockets.exceptions import InvalidStatus

from inspector.mock.server import MockConfig, MockServer

PATH = "/api/v2/realtime"


def body_of(code):
    return {"error": "unauthorized", "code": code, "status": 401}


async def answer(kit, path, headers=None, **config):
    async with MockServer(MockConfig(tokens=frozenset({kit.TOKEN}), **config)) as server:
        return await kit.http(server.port, path, headers)


def assert_401(status, headers, body, code, help_url="/docs/protocol.md"):
    assert status == 401
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == body_of(code)
    assert headers["link"] == f'<{help_url}>; rel="help"'


@pytest.mark.parametrize("upgrade", [False, True], ids=["plain", "with-upgrade"])
def test_no_token_is_401_missing_token(kit, upgrade):
    status, headers, body = kit.run(answer(kit, PATH, kit.UPGRADE if upgrade else None))
    assert_401(status, headers, body, "missing_token")
    # the body is byte for byte the reference's probe output
    assert body == b'{"error":"unauthorized","code":"missing_token","status":401}'


def test_empty_token_counts_as_missing(kit):
    status, headers, body = kit.run(answer(kit, PATH + "?token=", {"Authorization": "Bearer ", **kit.UPGRADE}))
    assert_401(status, headers, body, "missing_token")


@pytest.mark.parametrize("where", ["header", "query"])
def test_wrong_token_is_401_invalid_token(kit, where):
    headers = dict(kit.UPGRADE)
    path = PATH
    if where == "header":
        headers["Authorization"] = "Bearer nope"
    else:
        path += "?token=nope"
    status, h, body = kit.run(answer(kit, path, headers))
    assert_401(status, h, body, "invalid_token")


@pytest.mark.parametrize("where", ["header", "query"])
def test_valid_token_without_upgrade_is_401_upgrade_required(kit, where):
    headers, path = {}, PATH
    if where == "header":
        headers["Authorization"] = f"Bearer {kit.TOKEN}"
    else:
        path += f"?token={kit.TOKEN}"
    status, h, body = kit.run(answer(kit, path, headers))
    assert_401(status, h, body, "upgrade_required")


def test_token_is_checked_before_the_upgrade_header(kit):
    # neither token nor upgrade: the token problem wins; bad token and no upgrade: likewise
    _status, _h, body = kit.run(answer(kit, PATH))
    assert json.loads(body)["code"] == "missing_token"
    _status, _h, body = kit.run(answer(kit, PATH, {"Authorization": "Bearer nope"}))
    assert json.loads(body)["code"] == "invalid_token"


@pytest.mark.parametrize("where", ["header", "query"])
def test_valid_token_and_upgrade_is_101(kit, where):
    headers, path = dict(kit.UPGRADE), PATH
    if where == "header":
        headers["Authorization"] = f"Bearer {kit.TOKEN}"
    else:
        path += f"?token={kit.TOKEN}"

    async def go():
        async with MockServer(MockConfig(tokens=frozenset({kit.TOKEN}))) as server:
            import asyncio
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            status_line = await asyncio.wait_for(reader.readline(), 3)
            writer.close()
            return status_line
    assert kit.run(go()).startswith(b"HTTP/1.1 101 ")


def test_any_nonempty_token_is_accepted_without_a_token_list(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            async with kit.connect(server.url, token="whatever-1") as ws:
                await kit.subscribe(ws, "t")
            async with kit.connect(server.url, token="other-2", auth="query") as ws:
                await kit.subscribe(ws, "t")
            return True
    assert kit.run(go())


def test_client_sees_the_401_on_upgrade(kit):
    async def go():
        async with MockServer(MockConfig(tokens=frozenset({kit.TOKEN}))) as server:
            with pytest.raises(InvalidStatus) as info:
                async with kit.connect(server.url, token="bad"):
                    pass
            return info.value.response
    response = kit.run(go())
    assert response.status_code == 401
    assert json.loads(response.body) == body_of("invalid_token")


def test_help_url_is_configurable(kit):
    status, h, body = kit.run(answer(kit, PATH, help_url="https://docs.example/protocol"))
    assert_401(status, h, body, "missing_token", "https://docs.example/protocol")


@pytest.mark.parametrize("path", ["/", "/api/v2/other", "/api/v2/realtime/x", "/favicon.ico?token=x"])
def test_other_paths_are_404_json(kit, path):
    status, h, body = kit.run(answer(kit, path, {"Authorization": f"Bearer {kit.TOKEN}", **kit.UPGRADE}))
    assert status == 404
    assert h["content-type"] == "application/json"
    obj = json.loads(body)
    assert obj["status"] == 404 and obj["error"] == "not_found"


def test_control_channel_takes_the_same_token(kit):
    status, h, body = kit.run(answer(kit, "/mock/control", kit.UPGRADE))
    assert_401(status, h, body, "missing_token")
    status, h, body = kit.run(answer(kit, "/mock/control?token=bad", kit.UPGRADE))
    assert_401(status, h, body, "invalid_token")


def test_help_link_resolves_on_the_mock(kit):
    status, h, body = kit.run(answer(kit, "/docs/protocol.md"))
    # 200 with the project's protocol document, or a JSON 404 when this install has none
    assert status in (200, 404)
    if status == 200:
        assert h["content-type"].startswith("text/markdown") and body


def test_tokens_never_reach_the_server_logs_at_debug(kit, caplog):
    secret = "s3cr3t-tok-9f8e7d"
    caplog.set_level(logging.DEBUG)

    async def go():
        async with MockServer(MockConfig(tokens=frozenset({secret}))) as server:
            async with kit.connect(server.url, token=secret) as ws:
                await kit.subscribe(ws, "t")
            async with kit.connect(server.url, token=secret, auth="query") as ws:
                await kit.subscribe(ws, "t")
            async with kit.connect(server.control_url, token=secret, auth="query") as ctl:
                await ctl.send('{"op": "stats"}')
                await kit.recv(ctl)
            await kit.http(server.port, f"{PATH}?token={secret}x")  # a rejected one too
            await kit.http(server.port, PATH, {"Authorization": f"Bearer {secret}x"})
    kit.run(go())
    # the test's own client library logs its request; only the server side is under test
    server_side = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    text = "\n".join(r.getMessage() for r in server_side)
    assert "GET /api/v2/realtime?token=***" in text  # the request line was logged, redacted
    assert secret not in text
    assert all(secret not in repr(r.args) for r in server_side)
