"""Shared builders for the recording tests."""

from __future__ import annotations

import time

from inspector.protocol.events import (
    IN,
    OUT,
    FrameSeen,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    State,
    StateChanged,
    SubscriptionChanged,
    SubState,
)
from inspector.protocol.frames import Error, Event, Ping, Pong, Subscribe, encode

TOKEN = "sekret-token-9c1e"
T0 = 1764300000.0


def sample_events(t0: float = T0) -> list:
    """One of every event kind, with awkward bytes and characters."""
    body = {"id": "o-1", "note": "a\u2028b\u2029c\x00\U0001F600"}
    ev = encode(Event("orders.eu", "message", 1764300000123, body, 42))
    return [
        StateChanged("c1", t0, State.CONNECTING, attempt=0),
        StateChanged("c1", t0 + 0.01, State.OPEN),
        FrameSeen("c1", t0 + 0.02, OUT, encode(Subscribe("orders.eu", "data.total > `100`", 7))),
        FrameSeen("c1", t0 + 0.03, IN, ev),
        FrameSeen("c1", t0 + 0.04, IN, encode(Error("invalid_topic", "bad \u2028 topic", 7))),
        FrameSeen("c1", t0 + 0.05, IN, bytes(range(256))),          # not a frame at all
        FrameSeen("c1", t0 + 0.06, IN, b""),                        # empty frame
        FrameSeen("c1", t0 + 0.07, OUT, "text \u2028 line\nbreak".encode(), text=True),
        FrameSeen("c2", t0 + 0.08, OUT, encode(Ping(b"\x00\n\r\xff"))),
        FrameSeen("c2", t0 + 0.09, IN, encode(Pong(b"\x00\n\r\xff"))),
        RttMeasured("c2", t0 + 0.10, 0.0123),
        PongMissed("c2", t0 + 0.11, 2),
        ServerPingAnswered("c2", t0 + 0.12, b"\x01\x02\n", 0.004),
        SubscriptionChanged("c1", t0 + 0.13, "orders.eu", SubState.ACTIVE, filter="data.x == '\u2028'"),
        SubscriptionChanged("c1", t0 + 0.14, "bad topic", SubState.FAILED, error_code="invalid_topic",
                            message="topic outside [a-z0-9._-]"),
        StateChanged("c1", t0 + 0.15, State.CLOSED, code=4401, reason="token expired", meaning="auth expired"),
        StateChanged("c1", t0 + 0.16, State.WAITING, attempt=3, delay=2.5),
        StateChanged("c1", t0 + 0.17, State.STOPPED, http_status=401, http_code="invalid_token",
                     message=f"refused: ws://h/api/v2/realtime?token={TOKEN}"),
    ]


def comparable(ev):
    """An event as a tuple without the decoded frame (DecodeError instances never compare equal)."""
    fields = [getattr(ev, name) for name in ev.__slots__ if name != "frame"]
    return (type(ev).__name__, *fields)


def now() -> float:
    return time.time()
