"""Server PING after silence, missed PONGs, 1008 "pong timeout" — timers scaled to 0.2 s / 0.1 s (QUICK: halved)."""

import asyncio
import itertools

from websockets.exceptions import ConnectionClosed

from inspector.mock.server import MockConfig, MockServer

# where nothing races the PINGs (none answered, or each at once): half the intervals again
QUICK = {"ping_interval": 0.1, "pong_timeout": 0.05}


def with_client(kit, body, **config):
    cfg = dict(kit.FAST, idle_timeout=30)
    cfg.update(config)

    async def go():
        async with MockServer(MockConfig(**cfg)) as server, kit.connect(server.url) as ws:
            return await body(server, ws, asyncio.get_running_loop())
    return kit.run(go())


def test_server_pings_with_8_byte_body_after_silence(kit):
    async def body(server, ws, loop):
        t0 = loop.time()
        frame = await kit.recv(ws, 2)
        return frame, loop.time() - t0
    frame, waited = with_client(kit, body)
    assert frame[0] == 0x20 and len(frame) == 9
    assert waited >= 0.15


def test_server_pings_again_every_interval_while_silent(kit):
    async def body(server, ws, loop):
        pings = []
        t0 = loop.time()
        while len(pings) < 3:
            frame = await kit.recv(ws, 2)
            pings.append((frame, loop.time() - t0))
        return pings
    pings = with_client(kit, body, pong_timeout=5)
    assert len({p[0] for p in pings}) == 3  # fresh bodies
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(pings)]
    assert all(g >= 0.15 for g in gaps)


def test_traffic_from_the_client_postpones_the_ping(kit):
    async def body(server, ws, loop):
        # keep talking every 0.1 s for 0.5 s: no server PING may arrive meanwhile
        for _ in range(5):
            await ws.send(b"\x21keepalive")  # a PONG nobody asked for is harmless traffic
            if not await kit.no_frame(ws, 0.1):
                return False
        return (await kit.recv(ws, 2))[0] == 0x20
    assert with_client(kit, body)


def test_three_missed_pongs_close_1008_pong_timeout(kit):
    async def body(server, ws, loop):
        t0 = loop.time()
        code, reason = await kit.expect_close(ws, 3)
        return code, reason, loop.time() - t0
    code, reason, took = with_client(kit, body, **QUICK)
    assert (code, reason) == (1008, "pong timeout")
    assert took >= QUICK["ping_interval"] * 3  # three intervals before the third ping went unanswered


def test_answered_pings_keep_the_connection_open(kit):
    async def body(server, ws, loop):
        answered = 0
        while answered < 6:  # twice the misses that would close it
            frame = await kit.recv(ws, 1)
            if frame[0] == 0x20:
                await ws.send(b"\x21" + frame[1:])
                answered += 1
        return await kit.answered_next(ws, b"still-here")
    assert with_client(kit, body, **QUICK)


def test_any_pong_resets_the_missed_count(kit):
    async def body(server, ws, loop):
        # miss two, then answer with a PONG of the wrong body, then miss two more: still open
        seen = 0
        while seen < 2:
            if (await kit.recv(ws, 2))[0] == 0x20:
                seen += 1
        conn = next(iter(server._conns))
        await kit.until(lambda: conn.missed == 2, "the second PING missed too")
        await ws.send(b"\x21not-the-body")
        assert await kit.answered_next(ws)  # the server has read the PONG before this PING
        return conn.missed
    assert with_client(kit, body) == 0


def test_missed_count_follows_max_missed_pongs(kit):
    async def body(server, ws, loop):
        pings = 0
        try:
            while True:
                pings += (await kit.recv(ws, 3))[0] == 0x20
        except ConnectionClosed as exc:
            return exc.rcvd.code, exc.rcvd.reason, pings
    for limit in (1, 2):
        code, reason, pings = with_client(kit, body, max_missed_pongs=limit, **QUICK)
        assert (code, reason) == (1008, "pong timeout")
        assert pings == limit  # closed when the limit-th PING goes unanswered, before another is sent
