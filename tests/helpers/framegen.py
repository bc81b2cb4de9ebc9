"""Real frames for the log tests, built with the real codec."""

from __future__ import annotations

import json

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.protocol.frames import Error, Event, Ping, Pong, Subscribe, Unsubscribe, encode

T0 = 1_764_300_000.0


def event(seq: int | None = 1, topic: str = "orders.eu", conn: str = "c1", t: float = T0, data=None,
          decoded: bool = True, type_: str = "message") -> FrameSeen:
    f = Event(topic, type_, 1764300000123, {"n": seq} if data is None else data, seq)
    return FrameSeen(conn, t, IN, encode(f), f if decoded else None)


def presence(topic: str = "orders.eu", conn: str = "c1", t: float = T0) -> FrameSeen:
    f = Event(topic, "presence", 1764300000123, {"action": "sync", "members": ["c-1"]})
    return FrameSeen(conn, t, IN, encode(f), f)


def subscribe(topic: str = "orders.eu", flt: str | None = None, conn: str = "c1", t: float = T0, id_=7) -> FrameSeen:
    f = Subscribe(topic, flt, id_)
    return FrameSeen(conn, t, OUT, encode(f), f)


def unsubscribe(topic: str = "orders.eu", conn: str = "c1", t: float = T0) -> FrameSeen:
    f = Unsubscribe(topic, 8)
    return FrameSeen(conn, t, OUT, encode(f), f)


def ping(payload: bytes = b"\x00\x01abc", direction: str = OUT, conn: str = "c1", t: float = T0) -> FrameSeen:
    f = Ping(payload)
    return FrameSeen(conn, t, direction, encode(f), f)


def pong(payload: bytes = b"\x00\x01abc", direction: str = IN, conn: str = "c1", t: float = T0) -> FrameSeen:
    f = Pong(payload)
    return FrameSeen(conn, t, direction, encode(f), f)


def error(code: str = "invalid_topic", message: str = "bad topic", ref: int | None = 7, conn: str = "c1",
          t: float = T0) -> FrameSeen:
    f = Error(code, message, ref)
    return FrameSeen(conn, t, IN, encode(f), f)


def raw(data: bytes, direction: str = IN, conn: str = "c1", t: float = T0, text: bool = False) -> FrameSeen:
    return FrameSeen(conn, t, direction, data, None, text)


# How other servers might write EVENTs (json.dumps options).
LAYOUTS = {
    "compact": {"separators": (",", ":"), "ensure_ascii": False},
    "json.dumps defaults": {},
    "indented": {"indent": 2},
    "sorted keys": {"sort_keys": True},  # data first, seq before topic and type
}


def written(i: int, layout: dict, topic: str = "orders.eu", **data) -> bytes:
    """EVENT number ``i`` of a stream in ``layout``: some presence, some without seq, a seq jump."""
    body = {"topic": topic, "type": "presence" if i % 11 == 0 else "message", "ts": 1764300000123 + i,
            "data": {"i": i, **data}}
    if i % 13:
        body = {"topic": body["topic"], "type": body["type"], "seq": i + (4 if i > 40 else 0), **body}
    return b"\x10" + json.dumps(body, **layout).encode("utf-8")


def batch(layout: dict, n: int = 120, topics: tuple[str, ...] = ("orders.eu", "prices.gbp", "x")) -> list[bytes]:
    """``n`` such EVENTs on a few topics."""
    return [written(i, layout, topic=topics[i % len(topics)]) for i in range(n)]


def spliced_event(members: dict, writer: dict, odd: list[str]) -> bytes:
    """An EVENT payload: ``members`` as json.dumps writes them with ``writer``'s options, with
    ``odd`` members (text json.dumps never writes) spliced in first."""
    text = json.dumps(members, **writer)
    if odd:
        inner = text[1:-1].strip()
        text = "{" + ", ".join([*odd, inner] if inner else odd) + "}"
    return b"\x10" + text.encode("utf-8", "surrogatepass")
