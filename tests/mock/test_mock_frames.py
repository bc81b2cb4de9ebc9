"""Frames, ERROR codes, filters, presence and seq against the real mock server."""

import json
import time

import pytest

from inspector.mock.server import MockConfig, MockServer


def scenario(kit, body, **config):
    """Run ``body(server, ws)`` with one connected client."""
    async def go():
        async with MockServer(MockConfig(**config)) as server, kit.connect(server.url) as ws:
            return await body(server, ws)
    return kit.run(go())


async def error_for(kit, ws, message):
    await ws.send(message)
    return await kit.recv_json(ws, 0xFF)


# ---------------------------------------------------------------- ERROR codes, one row each

@pytest.mark.parametrize("message, why", [
    (b"", "empty frame"),
    ("\x01{\"topic\":\"a\"}", "text frame"),
    (b"\x01[1,2]", "JSON array"),
    (b"\x01not json", "not JSON"),
    (b"\x01\xff\xfe", "not UTF-8"),
    (b"\x01{}", "missing topic"),
    (b"\x01{\"topic\": 5}", "ill-typed topic"),
    (b"\x01{\"topic\": \"a\", \"filter\": 3}", "ill-typed filter"),
    (b"\x01{\"topic\": \"a\", \"id\": -1}", "id out of range"),
    (b"\x02{\"id\": \"x\", \"topic\": \"a\"}", "ill-typed id"),
    (b"\x20" + b"x" * 65, "PING over 64 bytes"),
])
def test_bad_frame_keeps_connection_open(kit, message, why):
    async def body(server, ws):
        err = await error_for(kit, ws, message)
        await kit.subscribe(ws, "still.open")
        return err
    err = scenario(kit, body)
    assert err["code"] == "bad_frame" and err["ref"] is None and err["message"]


def test_bad_frame_ref_is_the_request_id_when_readable(kit):
    async def body(server, ws):
        return await error_for(kit, ws, b"\x01{\"id\": 41, \"topic\": 7}")
    err = scenario(kit, body)
    assert (err["code"], err["ref"]) == ("bad_frame", 41)


@pytest.mark.parametrize("first", [0x00, 0x03, 0x11, 0x22, 0x7A, 0xFE])
def test_unknown_kind(kit, first):
    async def body(server, ws):
        err = await error_for(kit, ws, bytes((first,)) + b"{}")
        await kit.subscribe(ws, "still.open")
        return err
    err = scenario(kit, body)
    assert err["code"] == "unknown_kind" and err["ref"] is None
    assert f"0x{first:02X}" in err["message"]


@pytest.mark.parametrize("message", [
    b"\x10{\"topic\":\"a\",\"type\":\"message\",\"seq\":1,\"ts\":1,\"data\":1}", b"\x10", b"\xff{\"code\":\"x\"}"])
def test_unexpected_kind_for_event_or_error_from_client(kit, message):
    async def body(server, ws):
        err = await error_for(kit, ws, message)
        await kit.subscribe(ws, "still.open")
        return err
    err = scenario(kit, body)
    assert err["code"] == "unexpected_kind" and err["ref"] is None


@pytest.mark.parametrize("topic", ["", "Orders", "a b", "ü", "x" * 256, "orders/eu"])
def test_invalid_topic(kit, topic):
    async def body(server, ws):
        sub = await error_for(kit, ws, b"\x01" + json.dumps({"id": 7, "topic": topic}).encode())
        unsub = await error_for(kit, ws, b"\x02" + json.dumps({"id": 8, "topic": topic}).encode())
        return sub, unsub, server.stats()["subscriptions"]
    sub, unsub, subs = scenario(kit, body)
    assert (sub["code"], sub["ref"]) == ("invalid_topic", 7)
    assert (unsub["code"], unsub["ref"]) == ("invalid_topic", 8)
    assert subs == 0


def test_topic_of_255_characters_is_valid(kit):
    async def body(server, ws):
        return await kit.subscribe(ws, "a" * 255)
    assert scenario(kit, body)["topic"] == "a" * 255


def test_invalid_filter_names_the_position(kit):
    async def body(server, ws):
        err = await error_for(kit, ws, b"\x01" + json.dumps({"id": 3, "topic": "a", "filter": "data.total >"}).encode())
        err2 = await error_for(kit, ws, b"\x01" + json.dumps({"topic": "a", "filter": "data.[?"}).encode())
        return err, err2, server.stats()["subscriptions"]
    err, err2, subs = scenario(kit, body)
    assert (err["code"], err["ref"]) == ("invalid_filter", 3)
    assert "position 12" in err["message"]
    assert err2["code"] == "invalid_filter" and err2["ref"] is None and "position" in err2["message"]
    assert subs == 0  # the subscription was not made


def test_invalid_filter_leaves_existing_subscription_unchanged(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "a", "data.x == `1`")
        await error_for(kit, ws, b"\x01" + json.dumps({"topic": "a", "filter": "(("}).encode())
        server.publish("a", {"x": 2})
        server.publish("a", {"x": 1})
        return await kit.recv_json(ws)
    assert scenario(kit, body)["data"] == {"x": 1}


def test_subscription_limit_on_the_65th_distinct_topic(kit):
    async def body(server, ws):
        for i in range(64):
            await kit.subscribe(ws, f"t{i}")
        err = await error_for(kit, ws, b"\x01{\"id\": 65, \"topic\": \"t64\"}")
        # re-subscribing an existing topic still works at the limit (it counts once)
        await kit.subscribe(ws, "t3", "data")
        return err, server.stats()["subscriptions"]
    err, subs = scenario(kit, body)
    assert (err["code"], err["ref"]) == ("subscription_limit", 65)
    assert subs == 64


def test_not_subscribed(kit):
    async def body(server, ws):
        err = await error_for(kit, ws, b"\x02{\"id\": 9, \"topic\": \"never\"}")
        await kit.subscribe(ws, "still.open")
        return err
    err = scenario(kit, body)
    assert (err["code"], err["ref"]) == ("not_subscribed", 9)


# ---------------------------------------------------------------- subscriptions, filters, seq

def test_event_body_shape(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "orders.eu")
        before = int(time.time() * 1000)
        delivered, seq = server.publish("orders.eu", {"id": "o-1", "total": 250})
        return await ws.recv(), delivered, seq, before
    raw, delivered, seq, before = scenario(kit, body)
    assert raw[0] == 0x10
    event = json.loads(raw[1:])
    assert list(event) == ["topic", "type", "seq", "ts", "data"]
    assert event["type"] == "message" and event["seq"] == seq == 1 and delivered == 1
    assert isinstance(event["ts"], int) and before - 5 <= event["ts"] <= before + 5000
    assert event["data"] == {"id": "o-1", "total": 250}


def test_filter_delivers_truthy_only_and_seq_counts_before_filtering(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "orders.eu", "data.total > `100` && data.region == 'eu'")
        results = [server.publish("orders.eu", d) for d in (
            {"total": 50, "region": "eu"}, {"total": 150, "region": "us"}, {"total": 250, "region": "eu"})]
        got = await kit.recv_json(ws)
        assert await kit.answered_next(ws)  # nothing more was delivered
        return results, got
    results, got = scenario(kit, body)
    assert results == [(0, 1), (0, 2), (1, 3)]
    assert got["seq"] == 3 and got["data"]["total"] == 250


@pytest.mark.parametrize("expr, delivered", [
    ("data.v", False),            # null
    ("data.empty_s", False),      # ""
    ("data.empty_l", False),      # []
    ("data.empty_o", False),      # {}
    ("data.f", False),            # false
    ("data.zero", True),          # 0 is truthy in JMESPath
    ("topic", True),              # filters see the whole body
    ("type == 'message'", True),
    ("seq == `1`", True),
    ("ts > `0`", True),
])
def test_jmespath_truthiness(kit, expr, delivered):
    async def body(server, ws):
        await kit.subscribe(ws, "t", expr)
        return server.publish("t", {"empty_s": "", "empty_l": [], "empty_o": {}, "f": False, "zero": 0})
    assert scenario(kit, body)[0] == (1 if delivered else 0)


def test_empty_filter_means_every_event(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "t", "")
        server.publish("t", None)
        return await kit.recv_json(ws)
    assert scenario(kit, body)["data"] is None


def test_unfiltered_subscriber_sees_no_gaps_filtered_one_does(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as a, kit.connect(server.url) as b:
            await kit.subscribe(a, "n")
            await kit.subscribe(b, "n", "data.i > `2`")
            await kit.recv_json(a)  # b's join
            for i in range(5):
                server.publish("n", {"i": i})
            seqs_a = [(await kit.recv_json(a))["seq"] for _ in range(5)]
            seqs_b = [(await kit.recv_json(b))["seq"] for _ in range(2)]
            return seqs_a, seqs_b
    assert kit.run(go()) == ([1, 2, 3, 4, 5], [4, 5])


def test_seq_is_per_topic(kit):
    async def body(server, ws):
        return [server.publish(t, 1)[1] for t in ("a", "b", "a", "a", "b")]
    assert scenario(kit, body) == [1, 1, 2, 3, 2]


def test_resubscribe_replaces_the_filter_and_counts_once(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "t", "data == `1`")
        sync = await kit.subscribe(ws, "t", "data == `2`")
        server.publish("t", 1)
        server.publish("t", 2)
        got = await kit.recv_json(ws)
        return sync, got, server.stats()
    sync, got, stats = scenario(kit, body)
    assert got["data"] == 2 and got["seq"] == 2
    assert stats["subscriptions"] == 1
    assert len(sync["data"]["members"]) == 1  # no second membership


def test_unsubscribe_stops_delivery(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "t")
        await ws.send(b"\x02{\"id\": 2, \"topic\": \"t\"}")
        await kit.subscribe(ws, "other")  # orders the UNSUBSCRIBE before the publish
        return server.publish("t", 1)
    assert scenario(kit, body) == (0, 1)


def test_identical_filters_share_one_evaluation(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as a, kit.connect(server.url) as b:
            await kit.subscribe(a, "t", "data.x")
            await kit.subscribe(b, "t", "data.x")
            await kit.recv_json(a)  # join
            groups = server._topics["t"].groups()
            return len(groups), len(groups[0][1]), server.publish("t", {"x": 1})
    assert kit.run(go()) == (1, 2, (2, 1))


# ---------------------------------------------------------------- presence

def test_presence_sync_join_leave(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as a:
            sync_a = await kit.subscribe(a, "room")
            async with kit.connect(server.url) as b:
                sync_b = await kit.subscribe(b, "room")
                join = await kit.recv_json(a)
                await b.send(b"\x02{\"topic\": \"room\"}")
                leave1 = await kit.recv_json(a)
                await kit.subscribe(b, "room")
                await kit.recv_json(a)  # join again
            leave2 = await kit.recv_json(a)  # b disconnected
            return sync_a, sync_b, join, leave1, leave2
    sync_a, sync_b, join, leave1, leave2 = kit.run(go())
    me = sync_a["data"]["members"][0]
    assert me.startswith("c-") and int(me[2:], 16) >= 0
    assert "seq" not in sync_a and isinstance(sync_a["ts"], int)
    other = [m for m in sync_b["data"]["members"] if m != me]
    assert len(sync_b["data"]["members"]) == 2 and len(other) == 1
    assert join["data"] == {"action": "join", "member": other[0], "members": 2}
    assert leave1["data"] == {"action": "leave", "member": other[0], "members": 1}
    assert leave2["data"] == {"action": "leave", "member": other[0], "members": 1}
    assert join["type"] == "presence" and join["topic"] == "room"


def test_presence_is_never_filtered(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as a, kit.connect(server.url) as b:
            await kit.subscribe(a, "room", "data.never_there")
            await kit.subscribe(b, "room")
            return await kit.recv_json(a)
    assert kit.run(go())["data"]["action"] == "join"


def test_virtual_members_join_and_leave(kit):
    async def body(server, ws):
        await kit.subscribe(ws, "chat.lobby")
        member = server.add_member("chat.lobby")
        join = await kit.recv_json(ws)
        server.remove_member("chat.lobby", member)
        leave = await kit.recv_json(ws)
        return member, join, leave, server.members("chat.lobby")
    member, join, leave, members = scenario(kit, body)
    assert member.startswith("c-")
    assert join["data"] == {"action": "join", "member": member, "members": 2}
    assert leave["data"] == {"action": "leave", "member": member, "members": 1}
    assert len(members) == 1


def test_sync_lists_virtual_members(kit):
    async def body(server, ws):
        m = server.add_member("chat.lobby")
        sync = await kit.subscribe(ws, "chat.lobby")
        return m, sync
    m, sync = scenario(kit, body)
    assert m in sync["data"]["members"] and len(sync["data"]["members"]) == 2


# ---------------------------------------------------------------- PING / PONG

@pytest.mark.parametrize("payload", [b"", b"\x00", b"rtt-1234", bytes(range(64))])
def test_client_ping_is_answered_by_pong_with_same_body(kit, payload):
    async def body(server, ws):
        await ws.send(b"\x20" + payload)
        return await kit.recv(ws)
    assert scenario(kit, body) == b"\x21" + payload


def test_answer_pings_off_leaves_client_pings_unanswered(kit):
    async def body(server, ws):
        server.answer_pings = False
        await ws.send(b"\x20abc")
        await kit.subscribe(ws, "after.the.ping")  # its sync is the next frame: no PONG came before it
        server.answer_pings = True
        await ws.send(b"\x20abd")
        return await kit.recv(ws)
    assert scenario(kit, body) == b"\x21abd"


def test_client_pong_is_accepted_silently(kit):
    async def body(server, ws):
        await ws.send(b"\x21whatever")
        return await kit.answered_next(ws)  # nothing came for the PONG
    assert scenario(kit, body)


def test_latency_delays_frames_and_keeps_order(kit):
    async def body(server, ws):
        import asyncio
        server.latency = 0.2
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for i in range(3):
            await ws.send(b"\x20" + bytes([i]))
        got = [await kit.recv(ws) for _ in range(3)]
        return got, loop.time() - t0
    got, elapsed = scenario(kit, body)
    assert got == [b"\x21\x00", b"\x21\x01", b"\x21\x02"]
    assert elapsed >= 0.19
