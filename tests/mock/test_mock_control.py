"""The /mock/control channel (inspector/docs/protocol.md, "Mock server control channel"), one row each."""

import asyncio
import json

import pytest

from inspector.mock.server import MockConfig, MockServer


def control(kit, requests, subscribe=None, **config):
    """Send each request (str, bytes or a dict) on the control channel; return the replies."""
    async def go():
        async with (
            MockServer(MockConfig(**config)) as server,
            kit.connect(server.url) as ws,
            kit.connect(server.control_url, auth="query") as ctl,
        ):
            if subscribe:
                await kit.subscribe(ws, *subscribe)
            replies = []
            for req in requests:
                await ctl.send(req if isinstance(req, (str, bytes)) else json.dumps(req))
                raw = await kit.recv(ctl)
                assert isinstance(raw, str)  # replies are text frames
                replies.append(json.loads(raw))
            return replies
    return kit.run(go())


def test_publish_reports_delivered_and_seq(kit):
    replies = control(kit, [
        {"op": "publish", "topic": "orders.eu", "data": {"total": 50}},
        {"op": "publish", "topic": "orders.eu", "data": {"total": 250}},
        {"op": "publish", "topic": "other", "data": [1, 2]},
    ], subscribe=("orders.eu", "data.total > `100`"))
    assert replies == [{"ok": True, "delivered": 0, "seq": 1}, {"ok": True, "delivered": 1, "seq": 2},
                       {"ok": True, "delivered": 0, "seq": 1}]


def test_published_event_reaches_the_subscriber(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as ws,
            kit.connect(server.control_url) as ctl,
        ):
            await kit.subscribe(ws, "t")
            await ctl.send(json.dumps({"op": "publish", "topic": "t", "data": {"a": "ü"}}))
            reply = json.loads(await kit.recv(ctl))
            return reply, await kit.recv_json(ws)
    reply, event = kit.run(go())
    assert reply == {"ok": True, "delivered": 1, "seq": 1}
    assert event["data"] == {"a": "ü"} and event["seq"] == 1 and event["type"] == "message"


def test_stats(kit):
    replies = control(kit, [{"op": "stats"}], subscribe=("t",))
    stats = replies[0]
    assert stats["ok"] is True and stats["connections"] == 1 and stats["subscriptions"] == 1
    assert stats["per_connection"][0]["subscriptions"] == {"t": ""}
    assert kit.TOKEN not in json.dumps(stats)


def test_close_closes_every_realtime_connection(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as a,
            kit.connect(server.url) as b,
            kit.connect(server.control_url) as ctl,
        ):
            await ctl.send(json.dumps({"op": "close", "code": 4000, "reason": "bye"}))
            reply = json.loads(await kit.recv(ctl))
            codes = [await kit.expect_close(a), await kit.expect_close(b)]
            await ctl.send(json.dumps({"op": "stats"}))  # the control channel itself stays open
            after = json.loads(await kit.recv(ctl))
            return reply, codes, after["connections"]
    reply, codes, after = kit.run(go())
    assert reply == {"ok": True, "closed": 2}
    assert codes == [(4000, "bye")] * 2 and after == 0


@pytest.mark.parametrize("request_", [
    "not json", "[1]", "{}", '{"op": "nope"}', '{"op": 5}', b'{"op": "stats"}',
    '{"op": "publish", "topic": "Bad Topic", "data": 1}', '{"op": "publish", "data": 1}',
    '{"op": "publish", "topic": "t"}', '{"op": "close"}', '{"op": "close", "code": "1000"}',
    '{"op": "close", "code": 1005}', '{"op": "close", "code": 1000, "reason": 5}',
    '{"op": "close", "code": 1000, "reason": "' + "x" * 124 + '"}',
    '{"op": "publish", "topic": "t", "data": NaN}',
], ids=lambda r: str(r)[:30])
def test_anything_else_is_ok_false_with_error(kit, request_):
    replies = control(kit, [request_, {"op": "stats"}])
    bad, stats = replies
    assert bad["ok"] is False and isinstance(bad["error"], str) and bad["error"]
    assert stats["ok"] is True  # one bad request does not end the channel


def test_control_connections_do_not_count_toward_the_token_limit(kit):
    async def go():
        async with (
            MockServer(MockConfig(max_connections_per_token=1)) as server,
            kit.connect(server.control_url),
            kit.connect(server.control_url) as c2,
            kit.connect(server.url) as ws,
        ):
            await kit.subscribe(ws, "t")
            await c2.send('{"op": "stats"}')
            return json.loads(await kit.recv(c2))["connections"]
    assert kit.run(go()) == 1


class _BrokenStats(MockServer):
    def stats(self):
        raise RuntimeError("simulated bug")


def test_a_failing_request_is_answered_and_the_channel_stays(kit):
    async def go():
        async with _BrokenStats(MockConfig()) as server, kit.connect(server.control_url) as ctl:
            await ctl.send('{"op": "stats"}')
            bad = json.loads(await kit.recv(ctl))
            await ctl.send('{"op": "publish", "topic": "t", "data": 1}')
            return bad, json.loads(await kit.recv(ctl))
    bad, good = kit.run(go())
    assert bad["ok"] is False and "internal error" in bad["error"]
    assert good == {"ok": True, "delivered": 0, "seq": 1}


def test_publish_flood_through_control_arrives_complete_and_in_order(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as ws,
            kit.connect(server.control_url) as ctl,
        ):
            await kit.subscribe(ws, "flood")
            n = 2000

            async def publisher():
                for i in range(n):
                    await ctl.send(json.dumps({"op": "publish", "topic": "flood", "data": i}))
                    assert json.loads(await kit.recv(ctl))["ok"] is True

            task = asyncio.ensure_future(publisher())
            seqs = [(await kit.recv_json(ws))["seq"] for _ in range(n)]
            await task
            return seqs
    assert kit.run(go()) == list(range(1, 2001))
