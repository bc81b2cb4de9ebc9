"""The session policy, driven with no sockets and no clock: every close code, every token path,
refusals, stops, reconnects and subscriptions. Times are plain numbers handed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inspector.protocol.backoff import Backoff
from inspector.protocol.closecodes import CLOSE_CODES, NO_STATUS, Policy, describe
from inspector.protocol.events import State, StateChanged, StopReason, SubscriptionChanged, SubState
from inspector.protocol.frames import Subscribe, Unsubscribe, decode
from inspector.protocol.limits import MAX_REQUEST_ID
from inspector.protocol.session import (
    Connect,
    FetchToken,
    Output,
    RequestIds,
    Send,
    SessionPolicy,
    SessionSettings,
    Wait,
    stop_for_close,
)

URL = "wss://rt.example/api/v2/realtime?region=eu"


def policy(**settings: object) -> SessionPolicy:
    backoff = Backoff(rng=lambda: 0.5, reset_after=10.0)  # no jitter: delays 0.5, 1, 2 ...
    return SessionPolicy("c1", SessionSettings(URL, **settings), backoff)  # type: ignore[arg-type]


def states(out: list[Output]) -> list[State]:
    return [o.state for o in out if isinstance(o, StateChanged)]


def last_state(out: list[Output]) -> StateChanged:
    return [o for o in out if isinstance(o, StateChanged)][-1]


def sent(out: list[Output]) -> list[object]:
    return [decode(o.data) for o in out if isinstance(o, Send)]


def subs(out: list[Output]) -> list[tuple[str, SubState]]:
    return [(o.topic, o.state) for o in out if isinstance(o, SubscriptionChanged)]


def opened(p: SessionPolicy, token: str = "tok-1", mono: float = 100.0) -> list[Output]:
    """Start, fetch ``token``, connect and open."""
    assert p.start() == [FetchToken()]
    out = p.token_fetched(token, 1.0)
    assert states(out) == [State.CONNECTING] and isinstance(out[-1], Connect)
    return p.opened(2.0, mono)


# ---------------------------------------------------------------- close codes


CODES = [*CLOSE_CODES, NO_STATUS, 4000, 4999, 3000, 1012, None]


@pytest.mark.parametrize("code", CODES)
def test_every_close_code_gets_its_policy(code):
    p = policy(token_refreshable=True)
    opened(p)
    out = p.closed(code, "why", "", 3.0, 101.0)
    closed = out[0]
    assert isinstance(closed, StateChanged) and closed.state is State.CLOSED
    assert closed.code == (1006 if code is None else code) and closed.meaning == describe(code).meaning
    rule = describe(code).policy
    if rule is Policy.RETRY:
        assert states(out) == [State.CLOSED, State.WAITING] and out[-1] == Wait(0.5)
        assert last_state(out).attempt == 1 and last_state(out).delay == 0.5
    elif rule is Policy.REFRESH_TOKEN:
        assert out[-1] == FetchToken(refresh=True) and states(out) == [State.CLOSED]
    else:
        stop = last_state(out)
        assert stop.state is State.STOPPED and stop.code == code and stop.reason == "why"
        assert stop.stop is (StopReason.SERVER_DONE if rule is Policy.DONE else StopReason.SERVER_STOPPED)
        assert not isinstance(out[-1], (Wait, Connect, FetchToken))


@pytest.mark.parametrize("code", CODES)
def test_with_reconnect_off_every_retried_code_stops(code):
    p = policy(auto_reconnect=False, token_refreshable=False)
    opened(p)
    stop = last_state(p.closed(code, "", "", 3.0, 101.0))
    assert stop.state is State.STOPPED
    want = {Policy.DONE: StopReason.SERVER_DONE, Policy.STOP: StopReason.SERVER_STOPPED,
            Policy.REFRESH_TOKEN: StopReason.TOKEN_EXPIRED}.get(describe(code).policy, StopReason.RECONNECT_OFF)
    assert stop.stop is want


def test_the_stop_texts_are_for_people_the_reasons_for_tools():
    assert stop_for_close(1000) == (StopReason.SERVER_DONE,
                                    "server closed the connection normally (1000); not reconnecting")
    assert stop_for_close(1008, "connection limit") == (
        StopReason.SERVER_STOPPED, "closed by the server with 1008 (connection limit); not reconnecting")
    assert stop_for_close(1008)[1].startswith("closed by the server with 1008 (Policy violation")
    assert stop_for_close(1006) is None and stop_for_close(4401) is None


# ---------------------------------------------------------------- tokens


def test_the_token_goes_where_auth_says():
    p = policy(auth="query")
    p.start()
    connect = p.token_fetched("tok-1", 1.0)[-1]
    assert isinstance(connect, Connect)
    assert connect.url == URL + "&token=tok-1" and connect.headers == ()
    assert "tok-1" not in repr(connect) and "tok-1" not in repr(p)
    h = policy(auth="header")
    h.start()
    connect = h.token_fetched("tok-1", 1.0)[-1]
    assert isinstance(connect, Connect)
    assert connect.url == URL and connect.headers == (("Authorization", "Bearer tok-1"),)


def test_no_token_stops_before_any_connect():
    p = policy()
    p.start()
    out = p.token_failed("environment variable RT is not set", 1.0)
    assert states(out) == [State.STOPPED]
    assert out[0].stop is StopReason.NO_TOKEN and out[0].message == "no token: environment variable RT is not set"


def _expired(p: SessionPolicy) -> list[Output]:
    opened(p, "tok-1")
    return p.closed(4401, "token expired", "", 3.0, 101.0)


def test_4401_with_a_fresh_token_reconnects_with_it():
    p = policy(token_refreshable=True)
    assert _expired(p)[-1] == FetchToken(refresh=True)
    out = p.token_fetched("tok-2", 4.0)
    assert states(out) == [State.WAITING] and out[-1] == Wait(0.5)
    connect = p.timer_fired(5.0)[-1]
    assert isinstance(connect, Connect) and connect.token == "tok-2" and connect.attempt == 1


@pytest.mark.parametrize(("refresh", "message"), [
    (lambda p: p.token_fetched("tok-1", 4.0), "token expired and the token command still gives the same token"),
    (lambda p: p.token_failed("exit status 1", 4.0), "token expired and refreshing it failed: exit status 1"),
])
def test_4401_and_no_fresh_token_stops(refresh, message):
    p = policy(token_refreshable=True, token_origin="token command")
    _expired(p)
    stop = last_state(refresh(p))
    assert (stop.stop, stop.code, stop.message) == (StopReason.TOKEN_EXPIRED, 4401, message)


def test_4401_with_a_literal_token_stops_at_once():
    p = policy(token_refreshable=False)
    stop = last_state(_expired(p))
    assert stop.stop is StopReason.TOKEN_EXPIRED and (stop.code, stop.reason) == (4401, "token expired")
    assert stop.message == "token expired; enter a fresh token"


def test_4401_refreshed_but_reconnect_off_stops_as_such():
    p = policy(token_refreshable=True, auto_reconnect=False)
    _expired(p)
    stop = last_state(p.token_fetched("tok-2", 4.0))
    assert stop.stop is StopReason.RECONNECT_OFF and stop.code == 4401


# ---------------------------------------------------------------- connecting


def _connecting(p: SessionPolicy) -> None:
    p.start()
    p.token_fetched("tok-1", 1.0)


@pytest.mark.parametrize(("status", "stops"), [(401, True), (403, True), (404, True), (429, True),
                                               (500, False), (503, False), (599, False)])
def test_a_refused_upgrade_stops_unless_the_server_failed(status, stops):
    p = policy()
    _connecting(p)
    out = p.connect_refused(status, "invalid_token" if status == 401 else None, f"HTTP {status}", 2.0)
    if stops:
        stop = last_state(out)
        assert states(out) == [State.STOPPED] and stop.stop is StopReason.HTTP_REFUSED
        assert stop.http_status == status and stop.message == f"HTTP {status}"
    else:
        assert states(out) == [State.CLOSED, State.WAITING] and out[0].http_status == status
        assert isinstance(out[-1], Wait)


def test_a_failed_connect_retries_unless_retrying_cannot_help():
    p = policy()
    _connecting(p)
    out = p.connect_failed("connection refused by 127.0.0.1:1", True, 2.0)
    assert states(out) == [State.CLOSED, State.WAITING]
    assert out[0].message == "connect failed: connection refused by 127.0.0.1:1"
    p.timer_fired(3.0)
    stop = last_state(p.connect_failed("TLS certificate verify failed", False, 4.0))
    assert stop.stop is StopReason.CONNECT_FAILED and stop.message == "connect failed: TLS certificate verify failed"


def test_backoff_grows_and_resets_only_after_a_long_enough_connection():
    p = policy()
    _connecting(p)
    delays = []
    for i in range(4):
        out = p.connect_failed("down", True, float(i))
        delays.append(out[-1].delay)
        p.timer_fired(float(i))
    assert delays == [0.5, 1.0, 2.0, 4.0]
    p.opened(10.0, mono=100.0)
    assert p.closed(1006, "", "", 11.0, mono=105.0)[-1] == Wait(8.0)  # open 5 s: no reset
    p.timer_fired(12.0)
    p.opened(13.0, mono=200.0)
    assert p.closed(1006, "", "", 14.0, mono=210.0)[-1] == Wait(0.5)  # open 10 s: reset


# ---------------------------------------------------------------- stop and reconnect on request


def test_a_stop_ends_the_session_from_every_phase():
    for finish in (lambda p: p.token_fetched("t", 1.0), lambda p: p.token_failed("x", 1.0),
                   lambda p: p.connect_failed("x", True, 1.0), lambda p: p.connect_refused(401, None, "", 1.0),
                   lambda p: p.timer_fired(1.0), lambda p: p.cancelled(1.0)):
        p = policy()
        p.start()
        p.stop_requested()
        stop = last_state(finish(p))
        assert stop.stop is StopReason.REQUESTED and stop.message == "stopped on request"


def test_a_stop_while_open_keeps_the_close_and_leaves_subscriptions_alone():
    p = policy()
    p.subscribe("a", None, 0.0)
    opened(p)
    p.presence_received("a", {"action": "sync", "members": []}, 2.5)
    p.stop_requested()
    out = p.closed(1000, "client stop", "", 3.0, 101.0)
    assert states(out) == [State.CLOSED, State.STOPPED] and subs(out) == []
    assert (out[-1].stop, out[-1].code, out[-1].reason) == (StopReason.REQUESTED, 1000, "client stop")


def test_reconnect_now_skips_the_wait_and_starts_counting_again():
    p = policy()
    opened(p)
    p.closed(1006, "", "", 3.0, 101.0)
    p.timer_fired(4.0)
    p.connect_failed("down", True, 5.0)
    p.reconnect_requested()
    assert p.skip_wait
    connect = p.timer_fired(6.0)[-1]
    assert isinstance(connect, Connect) and not p.skip_wait
    p.opened(7.0, 300.0)
    p.reconnect_requested()  # the driver closes the connection with 1000 "reconnect"
    out = p.closed(1000, "reconnect", "", 8.0, 301.0)
    assert states(out) == [State.CLOSED, State.CONNECTING] and out[-1].attempt == 0


def test_an_internal_error_stops_with_its_own_reason():
    p = policy()
    opened(p)
    stop = last_state(p.failed("RuntimeError: boom", 3.0))
    assert stop.stop is StopReason.INTERNAL_ERROR and stop.message == "internal error: RuntimeError: boom"
    assert not p.open


# ---------------------------------------------------------------- subscriptions


def test_subscriptions_are_sent_on_open_confirmed_by_sync_and_restored_after_a_drop():
    p = policy()
    assert subs(p.subscribe("a", "data.x > `1`", 0.0)) == [("a", SubState.PENDING)]
    assert sent(p.subscribe("b", None, 0.0)) == []  # not open: sent on open
    out = opened(p)
    assert sent(out) == [Subscribe("a", "data.x > `1`", 1), Subscribe("b", None, 2)]
    assert subs(out) == []  # already pending
    assert subs(p.presence_received("a", {"action": "sync"}, 3.0)) == [("a", SubState.ACTIVE)]
    assert p.presence_received("a", {"action": "join"}, 3.0) == []
    assert p.presence_received("zzz", {"action": "sync"}, 3.0) == []
    out = p.closed(1006, "", "", 4.0, 101.0)
    assert subs(out) == [("a", SubState.PENDING)]
    p.timer_fired(5.0)
    out = p.opened(6.0, 200.0)
    assert sent(out) == [Subscribe("a", "data.x > `1`", 3), Subscribe("b", None, 4)]


def test_an_error_answering_a_subscribe_fails_it_and_a_failed_one_stays_failed():
    p = policy()
    p.subscribe("a", None, 0.0)
    opened(p)
    assert p.error_received(99, "x", "no such request", 3.0) == []
    out = p.error_received(1, "subscription_limit", "too many", 3.0)
    assert subs(out) == [("a", SubState.FAILED)] and p.subscriptions["a"].error_code == "subscription_limit"
    p.closed(1006, "", "", 4.0, 101.0)
    p.timer_fired(5.0)
    assert sent(p.opened(6.0, 200.0)) == []


def test_a_refused_refilter_keeps_the_old_filter():
    p = policy()
    p.subscribe("a", "data.x > `1`", 0.0)
    opened(p)
    p.presence_received("a", {"action": "sync"}, 3.0)
    out = p.subscribe("a", "data.y", 4.0)
    assert sent(out) == [Subscribe("a", "data.y", 2)] and out[-1].message == "filter changed"
    assert out[-1].state is SubState.ACTIVE
    out = p.error_received(2, "invalid_filter", "bad", 5.0)
    assert out[-1].filter == "data.x > `1`" and out[-1].state is SubState.ACTIVE
    assert out[-1].message == "filter not changed: bad"


def test_unsubscribe_sends_only_while_open():
    p = policy()
    p.subscribe("a", None, 0.0)
    assert subs(p.unsubscribe("a", 0.0)) == [("a", SubState.REMOVED)] and sent(p.unsubscribe("a", 0.0)) == []
    p.subscribe("b", None, 0.0)
    opened(p)
    out = p.unsubscribe("b", 3.0)
    assert sent(out) == [Unsubscribe("b", 2)] and subs(out) == [("b", SubState.REMOVED)]


def test_request_ids_wrap_round_and_forget_the_oldest():
    ids = RequestIds(last=MAX_REQUEST_ID - 1)
    got = [ids.new(t) for t in "xyz"]
    assert got == [MAX_REQUEST_ID, 1, 2] and ids.answered(1) == "y" and ids.answered(1) is None
    for _ in range(2000):
        ids.new("w")
    assert ids.answered(2) is None  # forgotten: only the latest 1024 are tracked


# ---------------------------------------------------------------- a fake transport and a fake clock


class FakeDriver:
    """Answers the policy's actions from a script, on a clock that only moves when told."""

    def __init__(self, p: SessionPolicy, tokens: list[str | Exception], connects: list[object]):
        self.p, self.tokens, self.connects = p, iter(tokens), iter(connects)
        self.now = 0.0
        self.events: list[Output] = []
        self.dialled: list[Connect] = []

    def run(self) -> Iterator[Output]:
        outputs = self.p.start()
        while True:
            self.events += outputs
            action = outputs[-1] if outputs and isinstance(outputs[-1], (FetchToken, Connect, Wait)) else None
            if action is None:
                return iter(self.events)
            outputs = self._do(action)

    def _do(self, action: object) -> list[Output]:
        if isinstance(action, FetchToken):
            token = next(self.tokens)
            return self.p.token_failed(str(token), self.now) if isinstance(token, Exception) \
                else self.p.token_fetched(token, self.now)
        if isinstance(action, Wait):
            self.now += action.delay
            return self.p.timer_fired(self.now)
        assert isinstance(action, Connect)
        self.dialled.append(action)
        result = next(self.connects)
        if isinstance(result, int):  # refused with this status
            return self.p.connect_refused(result, None, f"HTTP {result}", self.now)
        if result == "down":
            return self.p.connect_failed("connection refused", True, self.now)
        code, open_for = result
        self.p.opened(self.now, self.now)
        self.now += open_for
        return self.p.closed(code, "", "", self.now, self.now)


def test_a_whole_session_on_a_fake_transport():
    p = policy(auth="query", token_refreshable=True)
    drv = FakeDriver(p, ["t1", "t2"], ["down", 503, (4401, 1.0), (1001, 30.0), (1006, 0.5), (1000, 1.0)])
    events = list(drv.run())
    assert [c.url.rsplit("token=", 1)[1] for c in drv.dialled] == ["t1", "t1", "t1", "t2", "t2", "t2"]
    waits = [e.delay for e in events if isinstance(e, Wait)]
    assert waits == [0.5, 1.0, 2.0, 0.5, 1.0]  # 30 s open reset the backoff
    assert drv.now == pytest.approx(sum(waits) + 1.0 + 30.0 + 0.5 + 1.0)
    assert last_state(events).stop is StopReason.SERVER_DONE and p.state is State.STOPPED
