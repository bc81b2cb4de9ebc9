"""Each action on a live pair: against the mock as upstream, and against a raw upstream for
what only bytes show."""

from __future__ import annotations

import asyncio
import json

from proxy_kit import raw_pair, running_proxy
from websockets.exceptions import ConnectionClosed

from inspector.proxy.rule_text import parse_rule
from inspector.proxy.wire import RawFrame, encode

MESSAGES = "filter=\"type == 'message'\""  # EVENTs that are messages, not the subscription's presence sync


def _through_mock(mock_server, kit, rules: list[str], script) -> None:
    mock = mock_server()

    async def body() -> None:
        async with running_proxy(mock.url, rules=[parse_rule(r) for r in rules]) as proxy, \
                kit.connect(f"ws://127.0.0.1:{proxy.port}/api/v2/realtime") as ws:
            await kit.subscribe(ws, "orders.eu")
            await script(ws, lambda total: mock.call(mock.server.publish, "orders.eu", {"total": total}))

    kit.run(body())


async def _totals(kit, ws, count: int) -> list[int]:
    return [(await kit.recv_json(ws))["data"]["total"] for _ in range(count)]


def test_drop_the_nth_event(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        for total in (1, 2, 3):
            publish(total)
        assert await _totals(kit, ws, 2) == [1, 3]

    _through_mock(mock_server, kit, [f"dir=s2c kind=EVENT topic=orders.* {MESSAGES} nth=2 -> drop"], script)


def test_delay_keeps_the_order(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for total in (1, 2, 3):
            publish(total)
        assert await _totals(kit, ws, 3) == [1, 2, 3]
        assert loop.time() - start >= 0.15

    _through_mock(mock_server, kit, [f"dir=s2c kind=EVENT {MESSAGES} nth=1 -> delay ms=150"], script)


def test_delay_with_reorder_lets_later_frames_overtake(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        for total in (1, 2, 3):
            publish(total)
        assert await _totals(kit, ws, 3) == [2, 3, 1]

    _through_mock(mock_server, kit, [f"dir=s2c kind=EVENT {MESSAGES} nth=1 -> delay ms=300 reorder=true"], script)


def test_replace_with_a_merge_patch(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        publish(7)
        got = await kit.recv_json(ws)
        assert got["data"] == {"total": 0, "patched": True} and got["topic"] == "orders.eu"

    patch = """patch='{"data":{"total":0,"patched":true}}'"""
    _through_mock(mock_server, kit, [f"kind=EVENT {MESSAGES} -> replace {patch}"], script)


def test_inject_back_to_the_sender_before_the_frame_goes_on(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        await ws.send(b"\x20hi")
        assert await kit.recv(ws) == b"\x21injected"
        assert await kit.recv(ws) == b"\x21hi"  # the mock's own answer

    _through_mock(mock_server, kit, ["dir=c2s kind=PING -> inject to=sender hex=21696e6a6563746564"], script)


def test_stop_forwarding_pongs_starves_the_client(mock_server, kit) -> None:
    async def script(ws, publish) -> None:
        await ws.send(b"\x20hi")
        publish(5)
        assert (await kit.recv_json(ws))["data"]["total"] == 5  # the PONG sent before it never came

    _through_mock(mock_server, kit, ["dir=s2c kind=PONG -> drop"], script)


def test_close_clean_with_a_code_and_abrupt(mock_server, kit) -> None:
    async def clean(ws, publish) -> None:
        publish(1)
        assert await kit.expect_close(ws) == (1011, "boom")

    _through_mock(mock_server, kit, [f"kind=EVENT {MESSAGES} -> close code=1011 reason=boom"], clean)

    async def abrupt(ws, publish) -> None:
        publish(1)
        try:
            await kit.recv(ws)
        except ConnectionClosed as exc:
            assert exc.rcvd is None  # no close frame: the client sees 1006
        else:
            raise AssertionError("the connection stayed open")

    _through_mock(mock_server, kit, [f"kind=EVENT {MESSAGES} -> close abrupt=true"], abrupt)


def _raw(rules: list[str], script) -> None:
    async def body() -> None:
        async with raw_pair(rules=[parse_rule(r) for r in rules]) as (_, client, server):
            await script(client, server)

    asyncio.run(body())


def test_fragment_into_n_byte_continuations() -> None:
    async def script(client, server) -> None:
        await server.send(encode(RawFrame(0x2, b"\x10abcdefg"), False))
        assert await client.read_frames(3) == [RawFrame(0x2, b"\x10ab", fin=False), RawFrame(0x0, b"cde", fin=False),
                                               RawFrame(0x0, b"fg")]

    _raw(["dir=s2c -> fragment size=3"], script)


def test_corrupt_an_unmasked_client_frame_and_a_reserved_opcode() -> None:
    async def script(client, server) -> None:
        await client.send(encode(RawFrame(0x2, b"\x20a", masked=True), True))
        assert await server.read_frames(1) == [RawFrame(0x2, b"\x20a", masked=False)]
        await server.send(encode(RawFrame(0x2, b"\x21a"), False))
        assert await client.read_frames(1) == [RawFrame(0x3, b"\x21a")]

    _raw(["dir=c2s -> corrupt mode=unmasked", "dir=s2c -> corrupt mode=opcode"], script)


def test_blackhole_onwards_still_answering_the_servers_pings() -> None:
    async def script(client, server) -> None:
        await client.send(encode(RawFrame(0x2, b"\x01{}", masked=True), True))
        await server.send(encode(RawFrame(0x2, b"\x20p1"), False) + encode(RawFrame(0x9, b"w"), False))
        assert await client.read_frames(2) == [RawFrame(0x2, b"\x20p1"), RawFrame(0x9, b"w")]
        await client.send(encode(RawFrame(0x2, b"\x21p1", masked=True), True))
        assert await server.read_frames(2) == [RawFrame(0x2, b"\x21p1", masked=True), RawFrame(0xA, b"w", masked=True)]

    _raw(["dir=c2s nth=1 -> blackhole pings=true"], script)


def test_the_json_log_names_the_action(mock_server, kit) -> None:
    mock = mock_server(**kit.FAST)
    lines: list[str] = []

    async def body() -> None:
        async with running_proxy(mock.url, rules=[parse_rule("kind=SUBSCRIBE -> pass")], emit=lines.append,
                                 as_json=True) as proxy, \
                kit.connect(f"ws://127.0.0.1:{proxy.port}/api/v2/realtime") as ws:
            await kit.subscribe(ws, "orders.eu")

    kit.run(body())
    subscribe = next(json.loads(line) for line in lines if '"kind":"SUBSCRIBE"' in line)
    assert subscribe["action"] == "pass" and subscribe["direction"] == "c2s"
