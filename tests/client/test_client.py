"""The client engine against the real mock server (same loop, 127.0.0.1, port 0, scaled timers)."""

from __future__ import annotations

import asyncio
import json

import pytest
from net_kit import run
from websockets.asyncio.server import serve

from inspector.client.engine import ClientConfig, NotConnected, RealtimeClient, TopicError
from inspector.client.tokens import TokenSource
from inspector.mock.server import MockConfig, MockServer
from inspector.protocol.events import (
    IN,
    OUT,
    FrameSeen,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    State,
    StateChanged,
    StopReason,
    SubscriptionChanged,
    SubState,
)
from inspector.protocol.filters import FilterError
from inspector.protocol.frames import DecodeError, Error, Event, Pong, Subscribe, try_decode

TOKEN = "client-test-token-5d1c"



class Events(list):
    def states(self, state=None):
        return [e for e in self if isinstance(e, StateChanged) and (state is None or e.state is state)]

    def frames(self, direction=None):
        return [e for e in self if isinstance(e, FrameSeen) and (direction is None or e.direction == direction)]

    def of(self, cls):
        return [e for e in self if isinstance(e, cls)]


def make_client(url: str, token: TokenSource | None = None, conn_id: str = "c1", **kw):
    kw.setdefault("backoff_initial", 0.02)
    kw.setdefault("backoff_cap", 0.2)
    client = RealtimeClient(ClientConfig(url, token or TokenSource.literal(TOKEN), **kw), conn_id)
    events = Events()
    client.add_listener(events.append)
    return client, events


async def sub_state(client: RealtimeClient, topic: str, state: SubState):
    return await client.wait_event(
        lambda e: isinstance(e, SubscriptionChanged) and e.topic == topic and e.state is state, 3)


async def round_trip(client: RealtimeClient) -> None:
    """A PING answered: the server has read everything the client sent before it."""
    payload = client.ping()
    await client.wait_event(lambda e: isinstance(e, FrameSeen) and e.frame == Pong(payload), 3)


async def count_reached(client: RealtimeClient, events: Events, cls: type, n: int) -> None:
    """Wait (3 s at most) until ``events`` holds ``n`` events of ``cls``, checked as each one arrives."""
    if len(events.of(cls)) < n:
        await client.wait_event(lambda e: isinstance(e, cls) and len(events.of(cls)) >= n, 3)


def decoded(ev: FrameSeen):
    """The client leaves message EVENTs undecoded (frame None): decode them here."""
    return ev.frame if ev.frame is not None else try_decode(ev.data)


async def message_on(client: RealtimeClient, topic: str) -> Event:
    ev = await client.wait_event(lambda e: isinstance(e, FrameSeen) and isinstance(decoded(e), Event)
                                 and decoded(e).topic == topic and decoded(e).type == "message", 3)
    return decoded(ev)


@pytest.mark.parametrize("auth", ["header", "query"])
def test_subscribe_with_filter_receives_matching_events(auth):
    async def body():
        async with MockServer(MockConfig(tokens=frozenset({TOKEN}))) as srv:
            client, events = make_client(srv.url, auth=auth)
            client.subscribe("orders.eu", "data.total > `100`")
            client.start()
            await sub_state(client, "orders.eu", SubState.ACTIVE)
            assert client.subscriptions["orders.eu"].state is SubState.ACTIVE
            srv.publish("orders.eu", {"total": 5})
            srv.publish("orders.eu", {"total": 250})
            ev = await message_on(client, "orders.eu")
            assert ev.data == {"total": 250} and ev.seq == 2  # seq counted before filtering
            out = [e.frame for e in events.frames(OUT)]
            assert out[0] == Subscribe("orders.eu", "data.total > `100`", out[0].id) and out[0].id is not None
            assert client.stats.frames_in >= 2 and client.stats.bytes_out > 0
            await client.stop()
            assert client.state is State.STOPPED
            closed = events.states(State.CLOSED)[-1]
            assert closed.code == 1000
    run(body())


def test_subscriptions_restored_after_1001_restart():
    async def body():
        srv = MockServer(MockConfig())
        await srv.start()
        port = srv.port
        client, events = make_client(srv.url)
        tapped: list = []
        client.add_tap(tapped.extend)  # before start: it must survive the reconnect too
        client.subscribe("orders.eu", "data.total > `100`")
        client.subscribe("chat")
        client.start()
        await sub_state(client, "chat", SubState.ACTIVE)
        await srv.stop()  # 1001 "server restart" to every connection
        await client.wait_state(State.WAITING, 3)
        closed = events.states(State.CLOSED)[0]
        assert closed.code == 1001 and closed.reason == "server restart"
        srv2 = MockServer(MockConfig(port=port))
        await srv2.start()
        try:
            await client.wait_state(State.OPEN, 5)
            await sub_state(client, "orders.eu", SubState.ACTIVE)
            if client.subscriptions["chat"].state is not SubState.ACTIVE:
                await sub_state(client, "chat", SubState.ACTIVE)
            srv2.publish("orders.eu", {"total": 1})
            srv2.publish("orders.eu", {"total": 101})
            ev = await message_on(client, "orders.eu")
            assert ev.data == {"total": 101}  # the filter came back with the subscription
            resent = [e.frame for e in events.frames(OUT) if isinstance(e.frame, Subscribe)]
            assert [(f.topic, f.filter) for f in resent[2:]] == [("orders.eu", "data.total > `100`"), ("chat", None)]
            await client.stop()
        finally:
            await srv2.stop()
        assert tapped == as_triples(events)  # as_triples: see the add_tap tests below
        states = [ev.state for ev in tapped[2::3] if isinstance(ev, StateChanged)]
        assert states.count(State.OPEN) == 2 and State.WAITING in states
    run(body())


def test_4401_with_command_token_reconnects_with_a_new_token(tmp_path):
    counter = tmp_path / "n"
    counter.write_text("0")
    cmd = f'n=$(( $(cat "{counter}") + 1 )); echo $n > "{counter}"; echo "cmd-token-$n"'

    async def body():
        async with MockServer(MockConfig(tokens=frozenset({"cmd-token-1", "cmd-token-2"}))) as srv:
            client, events = make_client(srv.url, TokenSource.command(cmd))
            client.subscribe("ticker")
            client.start()
            await sub_state(client, "ticker", SubState.ACTIVE)
            assert counter.read_text().strip() == "1"
            await srv.expire_tokens()
            closed = await client.wait_state(State.CLOSED, 3)
            assert closed.code == 4401
            await client.wait_state(State.OPEN, 5)
            await sub_state(client, "ticker", SubState.ACTIVE)
            assert counter.read_text().strip() == "2"  # cmd-token-2 is the only other one accepted
            assert not events.states(State.STOPPED)
            await client.stop()
    run(body())


def test_4401_with_literal_token_stops_and_asks():
    async def body():
        async with MockServer(MockConfig(token_ttl=0.2)) as srv:
            client, events = make_client(srv.url)
            client.start()
            stopped = await client.wait_state(State.STOPPED, 3)
            assert stopped.code == 4401 and stopped.message == "token expired; enter a fresh token"
            assert stopped.stop is StopReason.TOKEN_EXPIRED
            assert len(events.states(State.CONNECTING)) == 1
    run(body())


def test_4401_when_the_command_gives_the_same_token_stops():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url, TokenSource.command("echo same-token-abc"))
            client.start()
            await client.wait_state(State.OPEN, 3)
            await srv.expire_tokens()
            stopped = await client.wait_state(State.STOPPED, 3)
            assert stopped.code == 4401 and "same token" in stopped.message
            assert stopped.stop is StopReason.TOKEN_EXPIRED
            assert len(events.states(State.CONNECTING)) == 1
    run(body())


def test_1008_stops_without_retry():
    async def body():
        async with MockServer(MockConfig(idle_timeout=0.2)) as srv:  # no subscription: 1008 idle
            client, events = make_client(srv.url)
            client.start()
            stopped = await client.wait_state(State.STOPPED, 3)
            assert stopped.code == 1008 and "idle without subscription" in stopped.message
            assert stopped.stop is StopReason.SERVER_STOPPED
            await asyncio.wait_for(client.wait_closed(), 3)  # the session ended: nothing left to reconnect
            assert len(events.states(State.CONNECTING)) == 1 and not client.running
    run(body())


def test_connection_limit_1008_stops():
    async def body():
        async with MockServer(MockConfig(max_connections_per_token=1)) as srv:
            first, _ = make_client(srv.url, conn_id="a")
            first.start()
            await first.wait_state(State.OPEN, 3)
            second, _events = make_client(srv.url, conn_id="b")
            second.start()
            stopped = await second.wait_state(State.STOPPED, 3)
            assert stopped.code == 1008 and stopped.reason == "connection limit"
            assert first.state is State.OPEN
            await first.stop()
    run(body())


@pytest.mark.parametrize("auth", ["header", "query"])
def test_http_401_invalid_token_stops_with_the_json_code(auth):
    async def body():
        async with MockServer(MockConfig(tokens=frozenset({"only-this-one"}))) as srv:
            client, events = make_client(srv.url, auth=auth)
            client.start()
            stopped = await client.wait_state(State.STOPPED, 3)
            assert stopped.http_status == 401 and stopped.http_code == "invalid_token"
            assert "401 invalid_token" in stopped.message and stopped.stop is StopReason.HTTP_REFUSED
            assert len(events.states(State.CONNECTING)) == 1 and not events.states(State.WAITING)
    run(body())


def test_missing_token_stops_before_connecting(monkeypatch):
    monkeypatch.delenv("RT_TEST_NO_SUCH_VAR", raising=False)

    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url, TokenSource.env("RT_TEST_NO_SUCH_VAR"))
            client.start()
            stopped = await client.wait_state(State.STOPPED, 3)
            assert "RT_TEST_NO_SUCH_VAR is not set" in stopped.message and stopped.stop is StopReason.NO_TOKEN
            assert not events.states(State.CONNECTING)
    run(body())


def test_server_close_1000_does_not_reconnect():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url)
            client.start()
            await client.wait_state(State.OPEN, 3)
            await srv.close_all(1000, "bye")
            stopped = await client.wait_state(State.STOPPED, 3)
            assert stopped.code == 1000 and stopped.stop is StopReason.SERVER_DONE
            await asyncio.wait_for(client.wait_closed(), 3)  # the session ended: nothing left to reconnect
            assert len(events.states(State.CONNECTING)) == 1 and not client.running
    run(body())


@pytest.mark.parametrize("code", [1011, 1009])
def test_retryable_codes_reconnect(code):
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url)
            client.start()
            await client.wait_state(State.OPEN, 3)
            await srv.close_all(code, "x")
            waiting = await client.wait_state(State.WAITING, 3)
            assert waiting.attempt == 1 and waiting.delay > 0
            await client.wait_state(State.OPEN, 3)
            assert events.states(State.CLOSED)[0].code == code
            await client.stop()
    run(body())


def test_rtt_reported_and_manual_ping():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url, ping_interval=0.05)
            client.start()
            await client.wait_state(State.OPEN, 3)
            first = await client.wait_event(lambda e: isinstance(e, RttMeasured), 3)
            assert 0 <= first.rtt < 1
            payload = client.ping()
            await client.wait_event(lambda e: isinstance(e, FrameSeen) and e.frame == Pong(payload), 3)
            assert len(events.of(RttMeasured)) >= 2 and client.stats.last_rtt is not None
            await client.stop()
    run(body())


def test_unanswered_pings_are_reported_missed():
    async def body():
        async with MockServer(MockConfig()) as srv:
            srv.answer_pings = False
            client, events = make_client(srv.url, ping_interval=0.05, pong_timeout=0.05)
            client.start()
            await client.wait_event(lambda e: isinstance(e, PongMissed) and e.consecutive == 2, 3)
            assert not events.of(RttMeasured)
            await client.stop()
    run(body())


def test_server_pings_answered_at_once_and_connection_survives():
    async def body():
        async with MockServer(MockConfig(ping_interval=0.05, pong_timeout=0.05, max_missed_pongs=2)) as srv:
            client, events = make_client(srv.url)
            client.subscribe("t")
            client.start()
            answered = await client.wait_event(lambda e: isinstance(e, ServerPingAnswered), 3)
            assert len(answered.payload) == 8 and answered.response_time < 1
            pongs = [e for e in events.frames(OUT) if isinstance(e.frame, Pong)]
            assert pongs and pongs[0].frame.payload == answered.payload
            # more PINGs answered than the server lets go missed: no 1008 pong timeout meanwhile
            await count_reached(client, events, ServerPingAnswered, 5)
            assert client.state is State.OPEN and len(events.states(State.CONNECTING)) == 1
            await client.stop()
    run(body())


def test_error_with_ref_fails_the_subscription_and_refilter_keeps_it():
    async def body():
        async with MockServer(MockConfig(max_subscriptions=1)) as srv:
            client, _events = make_client(srv.url)
            client.subscribe("a", "data.x == `1`")
            client.start()
            await sub_state(client, "a", SubState.ACTIVE)
            client.subscribe("b")
            failed = await sub_state(client, "b", SubState.FAILED)
            assert failed.error_code == "subscription_limit"
            assert client.subscriptions["b"].error_code == "subscription_limit"
            client.subscribe("a", "data.x == `2`")  # refilter: still one subscription
            assert client.subscriptions["a"].state is SubState.ACTIVE
            await round_trip(client)  # the server has read the new filter
            srv.publish("a", {"x": 1})
            srv.publish("a", {"x": 2})
            ev = await message_on(client, "a")
            assert ev.data == {"x": 2}
            client.unsubscribe("a")
            await sub_state(client, "a", SubState.REMOVED, 1) if "a" in client.subscriptions else None
            assert "a" not in client.subscriptions
            await client.stop()
    run(body())


def test_local_validation_errors():
    client, _ = make_client("ws://127.0.0.1:9/api/v2/realtime")
    with pytest.raises(TopicError) as exc:
        client.subscribe("Orders")
    assert "position 0" in exc.value.topic_error
    with pytest.raises(FilterError) as fexc:
        client.subscribe("orders", "data.total >")
    assert fexc.value.position == len("data.total >")
    assert client.subscriptions == {}
    with pytest.raises(NotConnected):
        client.send_raw(b"\x20")
    with pytest.raises(ValueError):
        RealtimeClient(ClientConfig("http://x/api", TokenSource.literal("abc")))


def test_raw_garbage_gets_an_error_and_the_connection_stays():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url)
            client.start()
            await client.wait_state(State.OPEN, 3)
            client.send_raw(b"\x7a\x00garbage")
            err = await client.wait_event(lambda e: isinstance(e, FrameSeen) and isinstance(e.frame, Error), 3)
            assert err.frame.code == "unknown_kind"
            out = events.frames(OUT)[-1]
            assert out.data == b"\x7a\x00garbage" and isinstance(out.frame, DecodeError)
            assert client.state is State.OPEN
            await client.stop()
    run(body())


def test_hostile_server_input_never_crashes_the_client():
    """Text frames, empty and unknown frames, broken JSON, an oversize frame: all shown as FrameSeen."""
    sent = [b"", b"\x10not json", "hello text", b"\xff\xfe", b"\x10" + b"x" * 70000, b"\x20" + b"p" * 100,
            b"\x10" + json.dumps({"topic": "t\n1", "type": "presence", "ts": 1, "data": None}).encode()]

    async def handler(ws):
        for item in sent:
            await ws.send(item)
        await ws.wait_closed()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            client, events = make_client(f"ws://127.0.0.1:{port}/api/v2/realtime")
            client.start()
            while len(events.frames(IN)) < len(sent):
                await client.wait_event(lambda e: isinstance(e, FrameSeen), 3)
            got = events.frames(IN)
            assert [e.data for e in got] == [s.encode() if isinstance(s, str) else s for s in sent]
            assert got[2].text and isinstance(got[2].frame, DecodeError)
            assert [type(e.frame).__name__ for e in got] == ["DecodeError"] * 6 + ["Event"]
            assert got[-1].frame == Event("t\n1", "presence", 1, None)  # presence other than a join or leave: decoded
            assert client.state is State.OPEN
            await client.stop()
    run(body())


def test_reconnect_now_skips_the_backoff_wait():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, _events = make_client(srv.url, backoff_initial=5.0, backoff_cap=5.0)
            client.start()
            await client.wait_state(State.OPEN, 3)
            await srv.close_all(1011, "boom")
            waiting = await client.wait_state(State.WAITING, 3)
            assert waiting.delay >= 3.75
            client.reconnect_now()
            await client.wait_state(State.OPEN, 3)  # before the shortest wait (3.75 s) could end, with room for load
            await client.stop()
            assert client.state is State.STOPPED and not client.running
    run(body())


def test_stop_while_waiting_and_restart_a_stopped_client():
    async def body():
        async with MockServer(MockConfig()) as srv:
            port = srv.port
        client, _events = make_client(f"ws://127.0.0.1:{port}/api/v2/realtime", backoff_initial=5.0)
        client.start()
        closed = await client.wait_state(State.CLOSED, 3)
        assert closed.code is None and "connect failed" in closed.message
        await client.wait_state(State.WAITING, 3)
        await asyncio.wait_for(client.stop(), 3)
        assert client.state is State.STOPPED and not client.running
        assert client.last_state is not None and client.last_state.stop is StopReason.REQUESTED
        async with MockServer(MockConfig(port=port)):
            client.reconnect_now()
            await client.wait_state(State.OPEN, 3)
            await client.stop()
    run(body())


# ------------------------------------------------------------ add_tap: a recorder's way in

def as_triples(events: list) -> list:
    """What a tap should have seen, from what a listener saw."""
    out = []
    for ev in events:
        if type(ev) is FrameSeen and ev.direction == IN and not ev.text:
            out.extend((ev.conn, ev.t, ev.data))
        else:
            out.extend((None, None, ev))
    return out


def test_tap_sees_what_listeners_see_in_order_added_mid_connection_and_removed():
    async def body():
        async with MockServer(MockConfig()) as srv:
            client, events = make_client(srv.url, ping_interval=0.05, conn_id="c7")  # PINGs, PONGs, RTTs
            client.subscribe("chat")
            client.start()
            await sub_state(client, "chat", SubState.ACTIVE)
            tapped: list = []
            start = len(events)
            client.add_tap(tapped.extend)  # while reading: the handler is rebuilt with it
            for i in range(50):
                srv.publish("chat", {"i": i})
            client.subscribe("orders.eu")  # an OUT frame, then a presence sync and a sub event
            await sub_state(client, "orders.eu", SubState.ACTIVE)
            await count_reached(client, events, RttMeasured, len(events.of(RttMeasured)) + 2)  # pings among the rest
            seen = events[start:]
            assert tapped == as_triples(seen)
            kinds = {type(x) for x in tapped[2::3] if not isinstance(x, bytes)}
            assert len(tapped) // 3 > 50 and {FrameSeen, RttMeasured} <= kinds
            assert tapped[0::3].count("c7") >= 50  # the messages came as triples, not events
            client.remove_tap(tapped.extend)
            n = len(tapped)
            srv.publish("chat", {"after": True})
            await message_on(client, "chat")
            assert len(tapped) == n  # removed: nothing more
            await client.stop()
    run(body())
