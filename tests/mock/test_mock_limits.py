"""Limits and closes (inspector/docs/protocol.md, "Limits and closes"), one row each."""

import asyncio

import pytest

from inspector.mock.server import MockConfig, MockServer


def test_ninth_connection_per_token_is_accepted_then_closed_1008(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            open_ = [await kit.connect(server.url).__aenter__() for _ in range(8)]
            ninth = await kit.connect(server.url)  # the upgrade succeeds
            code = await kit.expect_close(ninth)
            other_token = await kit.connect(server.url, token="someone-else")
            await kit.subscribe(other_token, "t")
            await kit.subscribe(open_[0], "t")  # the eight stay usable
            # freeing one slot lets a new connection in
            await open_[7].close()
            await kit.until(lambda: server.stats()["connections"] == 8, "the closed one dropped")
            again = await kit.connect(server.url)
            await kit.subscribe(again, "t2")
            stats = server.stats()
            for ws in [*open_, again, other_token]:
                await ws.close()
            return code, stats
    code, stats = kit.run(go())
    assert code == (1008, "connection limit")
    assert stats["connections"] == 9  # 7 + again + other token


def test_idle_without_subscription_from_connect(kit):
    async def go():
        async with MockServer(MockConfig(idle_timeout=0.3)) as server, kit.connect(server.url) as ws:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            code = await kit.expect_close(ws)
            return code, loop.time() - t0
    code, took = kit.run(go())
    assert code == (1008, "idle without subscription") and took >= 0.25


async def idle_timer_ran_out(kit, url: str) -> None:
    """A witness connection, made now, is closed idle: an idle timer armed before it has run out too."""
    async with kit.connect(url) as witness:
        assert await kit.expect_close(witness) == (1008, "idle without subscription")


def test_subscription_prevents_idle_close(kit):
    async def go():
        async with MockServer(MockConfig(idle_timeout=0.1)) as server, kit.connect(server.url) as ws:
            await kit.subscribe(ws, "t")
            await idle_timer_ran_out(kit, server.url)
            return await kit.answered_next(ws)
    assert kit.run(go())


def test_idle_counts_from_the_unsubscribe_that_left_none(kit):
    async def go():
        async with MockServer(MockConfig(idle_timeout=0.15)) as server, kit.connect(server.url) as ws:
            await kit.subscribe(ws, "a")
            await kit.subscribe(ws, "b")
            await idle_timer_ran_out(kit, server.url)  # longer than idle_timeout, but subscribed
            await ws.send(b"\x02{\"topic\": \"a\"}")
            assert await kit.answered_next(ws)  # the server has read the unsubscribe
            await idle_timer_ran_out(kit, server.url)  # still one subscription left
            assert await kit.answered_next(ws)
            loop = asyncio.get_running_loop()
            await ws.send(b"\x02{\"topic\": \"b\"}")
            t0 = loop.time()
            code = await kit.expect_close(ws)
            return code, loop.time() - t0
    code, took = kit.run(go())
    # counted from the unsubscribe that left none, not from the connect
    assert code == (1008, "idle without subscription") and took >= 0.12


def test_token_expiry_closes_4401(kit):
    async def go():
        async with MockServer(MockConfig(token_ttl=0.3)) as server, kit.connect(server.url) as ws:
            await kit.subscribe(ws, "t")
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            code = await kit.expect_close(ws)
            return code, loop.time() - t0
    code, took = kit.run(go())
    assert code == (4401, "token expired") and took >= 0.2


def test_expire_tokens_now(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as a,
            kit.connect(server.url, token="b") as b,
        ):
            n = await server.expire_tokens()
            return n, await kit.expect_close(a), await kit.expect_close(b)
    assert kit.run(go()) == (2, (4401, "token expired"), (4401, "token expired"))


def test_stop_closes_every_connection_1001_server_restart(kit):
    async def go():
        server = MockServer(MockConfig())
        await server.start()
        a = await kit.connect(server.url).__aenter__()
        b = await kit.connect(server.url, token="other").__aenter__()
        await kit.subscribe(a, "t")
        control = await kit.connect(server.control_url).__aenter__()
        stopping = asyncio.ensure_future(server.stop())
        codes = [await kit.expect_close(ws) for ws in (a, b, control)]
        await stopping
        return codes
    assert kit.run(go()) == [(1001, "server restart")] * 3


def test_message_over_64_kib_closes_1009(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as ws,
            kit.connect(server.url) as bystander,
        ):
            await kit.subscribe(bystander, "t")
            await ws.send(b"\x01" + b" " * 65536)  # 65537 bytes
            code = await kit.expect_close(ws)
            await bystander.send(b"\x20ok")
            return code, await kit.recv(bystander)
    (code, _reason), pong = kit.run(go())
    assert code == 1009 and pong == b"\x21ok"


def test_message_of_exactly_64_kib_is_accepted(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as ws:
            await ws.send(b"\x01" + b" " * 65535)  # 65536 bytes: a bad_frame, not a close
            return await kit.recv_json(ws, 0xFF)
    assert kit.run(go())["code"] == "bad_frame"


class _Broken(MockServer):
    def handle_frame(self, conn, message):
        if message == b"\x20boom":
            raise RuntimeError("simulated bug")
        super().handle_frame(conn, message)


def test_unexpected_failure_closes_1011_and_server_lives_on(kit):
    async def go():
        async with _Broken(MockConfig()) as server, kit.connect(server.url) as ws, kit.connect(server.url) as other:
            await kit.subscribe(other, "t")
            await ws.send(b"\x20boom")
            code = await kit.expect_close(ws)
            await other.send(b"\x20alive")
            pong = await kit.recv(other)
            return code, pong, server.stats()["connections"]
    code, pong, conns = kit.run(go())
    assert code == (1011, "internal error") and pong == b"\x21alive" and conns == 1


def test_internal_error_fault_closes_all_1011(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as ws:
            return await server.internal_error(), await kit.expect_close(ws)
    assert kit.run(go()) == (1, (1011, "internal error"))


def test_close_all_with_any_code(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as ws:
            n = await server.close_all(4000, "custom")
            return n, await kit.expect_close(ws), server.stats()["connections"]
    n, code, after = kit.run(go())
    assert (n, code) == (1, (4000, "custom"))
    assert after == 0


def test_slow_consumer_is_closed_1008_and_others_keep_going(kit):
    async def go():
        cfg = MockConfig(max_queue_bytes=256 * 1024)
        async with MockServer(cfg) as server:
            gone = []
            server.listeners.append(lambda e, info: e == "disconnect" and gone.append(info["close_reason"]))
            # max_queue=1: the client library stops reading the socket once one message waits
            async with kit.connect(server.url, max_queue=1) as slow, kit.connect(server.url) as fast:
                await kit.subscribe(slow, "t")
                await kit.subscribe(fast, "t")
                await kit.recv_json(slow)  # fast's join; from here on the slow one never reads
                payload = {"pad": "x" * 60000}
                got = 0
                for _ in range(300):  # ~18 MB: more than socket buffers and the queue bound together
                    server.publish("t", payload)
                    while got < 300:
                        try:
                            frame = await kit.recv(fast, 0.001)
                        except TimeoutError:
                            break
                        got += frame[0] == 0x10
                while got < 300:
                    got += (await kit.recv(fast))[0] == 0x10
                reasons = [c.close_reason for c in server._conns if c.closing] + gone
                return got, reasons
    got, reasons = kit.run(go())
    assert got == 300
    assert reasons == ["slow consumer"]


def test_listeners_see_connect_and_disconnect_without_tokens(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            seen = []
            server.listeners.append(lambda event, info: seen.append((event, info)))
            server.listeners.append(lambda event, info: 1 / 0)  # a broken observer changes nothing
            async with kit.connect(server.url) as ws:
                await kit.subscribe(ws, "t")
            await kit.until(lambda: seen[-1][0] == "disconnect", "the disconnect")
            return seen
    seen = kit.run(go())
    events = [e for e, _ in seen]
    assert events[0] == "connect" and events[-1] == "disconnect" and "subscribe" in events
    assert all(kit.TOKEN not in repr(info) for _, info in seen)
    assert seen[0][1]["token"] == "token-1" and seen[0][1]["member"].startswith("c-")


@pytest.mark.parametrize("n", [2])
def test_stats_counts(kit, n):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as a, kit.connect(server.url) as b:
            await kit.subscribe(a, "x", "data")
            await kit.subscribe(b, "x")
            await kit.subscribe(b, "y")
            server.add_member("y")
            return server.stats()
    s = kit.run(go())
    assert (s["connections"], s["subscriptions"], s["topics"], s["members"]) == (n, 3, 2, 4)
    assert s["per_topic"]["y"] == {"subscribers": 1, "members": 2, "seq": 0}
    assert s["frames_in"] == 3 and s["frames_out"] >= 3
    assert {c["token"] for c in s["per_connection"]} == {"token-1"}
    assert kit.TOKEN not in repr(s)
