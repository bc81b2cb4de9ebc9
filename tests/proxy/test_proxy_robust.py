"""Violations are shown and forwarded (or, with strict, answered); either side dying ends
the other within a second; any frame sequence arrives identical both ways."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proxy_kit import RawUpstream, raw_client, running_proxy

from inspector.proxy.wire import RawFrame, encode


def test_a_violation_is_logged_and_forwarded_as_is() -> None:
    lines: list[str] = []
    bad = RawFrame(0x3, b"odd")  # a reserved opcode from the server

    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url, emit=lines.append, as_json=True) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            await server.send(encode(bad, False))
            assert await client.read_frames(1) == [bad]
            client.abort()
            server.abort()

    asyncio.run(body())
    frame = next(json.loads(line) for line in lines if '"event":"frame"' in line)
    assert frame["kind"] == "WS_RESERVED"
    assert frame["violation"] == {"code": 1002, "reason": "server sent a frame with the reserved opcode 0x3"}


def test_strict_closes_the_violating_side_with_its_code_and_the_other_with_1001() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url, strict=True) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            await client.send(encode(RawFrame(0x1, b"\xc3\x28", masked=True), True))  # invalid UTF-8
            assert await server.read_eof() == [RawFrame(0x8, b"\x03\xe9the client broke the protocol", masked=True)]
            assert await client.read_eof() == [
                RawFrame(0x8, b"\x03\xefclient sent a text message that is not UTF-8 "
                              b"(invalid continuation byte at position 0)")]

    asyncio.run(body())


def _ends_within_a_second(kill_client: bool, half_frame: bool = False) -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            dying, other = (client, server) if kill_client else (server, client)
            if half_frame:
                await dying.send(encode(RawFrame(0x2, b"x" * 100, masked=kill_client), kill_client)[:20])
            dying.abort()
            assert await other.read_eof(within=1.0) == []

    asyncio.run(body())


def test_the_client_dying_ends_the_upstream_connection_within_a_second() -> None:
    _ends_within_a_second(kill_client=True)


def test_the_server_dying_mid_frame_ends_the_client_connection_within_a_second() -> None:
    _ends_within_a_second(kill_client=False, half_frame=True)


def test_no_pair_is_left_once_both_sides_are_gone() -> None:
    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            assert len(proxy.pairs) == 1
            client.abort()
            await server.read_eof(within=1.0)
            await asyncio.wait_for(proxy.wait_pairs(), 1)

    asyncio.run(body())


_data = st.builds(lambda op, payload, fin: RawFrame(op, payload, fin), st.sampled_from([0x0, 0x1, 0x2]),
                  st.binary(max_size=300), st.booleans())
_control = st.builds(lambda op, payload: RawFrame(op, payload), st.sampled_from([0x9, 0xA]), st.binary(max_size=125))
_frames = st.lists(st.one_of(_data, _control, st.builds(lambda n: RawFrame(0x2, b"\x10" * n), st.sampled_from(
    [125, 126, 65535, 65536, 70000]))), max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c2s=_frames, s2c=_frames)
def test_any_frame_sequence_arrives_identical_both_ways(c2s: list[RawFrame], s2c: list[RawFrame]) -> None:
    masked = [RawFrame(f.opcode, f.payload, f.fin, f.rsv, True) for f in c2s]

    async def body() -> None:
        async with RawUpstream() as up, running_proxy(up.url) as proxy:
            client, _ = await raw_client(proxy.port)
            server = await up.next_end()
            await client.send(b"".join(encode(f, True) for f in masked))
            await server.send(b"".join(encode(f, False) for f in s2c))
            assert await server.read_frames(len(masked)) == masked
            assert await client.read_frames(len(s2c)) == s2c
            client.abort()
            server.abort()

    asyncio.run(body())

