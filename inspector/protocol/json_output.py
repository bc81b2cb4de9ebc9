"""The one JSON Lines form of session events, shared by ``tail --json`` and ``replay --json``.

One object per event, described in docs/json-output.md. Everything is derived from
the event itself (a frame from its bytes), never from how it was obtained, so a live
session and its recording print the same lines. Data fields (topics, filters, bodies,
server messages) are written exactly as received; only ``clean``, given by the caller,
touches the client's own ``message`` text.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

from inspector.protocol.events import (
    FrameSeen,
    PayloadTrouble,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    SessionEvent,
    StateChanged,
    SubscriptionChanged,
    state_details,
    subscription_details,
)
from inspector.protocol.frames import (
    DecodeError,
    Event,
    Frame,
    Ping,
    Pong,
    decode_json_object,
    decode_received,
    event_from_body,
    summarize,
)
from inspector.protocol.kinds import Kind, kind_name

SCHEMA_VERSION = 1
_EVENT_BYTE = bytes((Kind.EVENT,))

# ASCII only: no reader can split a line on U+2028 or choke on a lone surrogate from \ud800
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def decoded(ev: FrameSeen) -> Frame | DecodeError:
    """The frame (or DecodeError) the bytes of ``ev`` make; a text frame is always an error."""
    return decode_received(ev.data, ev.text)


def frame_kind(ev: FrameSeen) -> str:
    if ev.text:
        return "TEXT"
    return kind_name(ev.data[0]) if ev.data else "EMPTY"


def _body(frame: Frame, data: bytes) -> dict[str, Any]:
    if isinstance(frame, (Ping, Pong)):
        return {"payload_hex": frame.payload.hex()}
    # the object as sent: key order and fields this program does not know are kept
    return decode_json_object(memoryview(data)[1:])


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 3) if seconds is not None and math.isfinite(seconds) else None


def _head(ev: SessionEvent, name: str) -> dict[str, Any]:
    return {"v": SCHEMA_VERSION, "t": ev.t, "conn": ev.conn, "event": name}


def _event_and_body(ev: FrameSeen, data: bytes) -> tuple[Frame | DecodeError, dict[str, Any] | None]:
    """An EVENT's frame and its body object (key order and unknown fields kept) from one JSON
    decode: the common frame, whose body would otherwise be decoded twice. (None for the body
    of anything else: ``_body`` reads it.)"""
    if ev.text or data[:1] != _EVENT_BYTE:
        return decoded(ev), None
    try:
        body = decode_json_object(memoryview(data)[1:])
        return event_from_body(body), body
    except DecodeError as exc:
        return exc, None


def _frame_record(ev: FrameSeen) -> dict[str, Any]:
    data = bytes(ev.data)
    frame, body = _event_and_body(ev, data)
    out = _head(ev, "frame")
    out["dir"] = ev.direction
    out["kind"] = frame_kind(ev)
    topic = getattr(frame, "topic", None)
    if topic is not None:
        out["topic"] = topic
    if isinstance(frame, Event) and frame.seq is not None:
        out["seq"] = frame.seq
    out["size"] = len(data)
    out["summary"] = summarize(frame, len(data))
    out["raw_b64"] = base64.b64encode(data).decode("ascii")
    if ev.text:
        out["text"] = True
        # what the plain output shows; raw_b64 stays the exact bytes (a recording may hold non-UTF-8)
        out["text_value"] = data.decode("utf-8", "replace")
    if isinstance(frame, DecodeError):
        out["decode_error"] = {"code": frame.code, "message": frame.message}
    else:
        out["body"] = body if body is not None else _body(frame, data)
    return out


def json_record(ev: SessionEvent, clean: Callable[[str], str] | None = None) -> dict[str, Any] | None:
    """The JSON object of one session event (None for anything else).

    ``clean`` is applied to the client's own ``message`` text of state events only,
    as a last line of defence; every other field is written as it is.
    """
    if isinstance(ev, FrameSeen):
        return _frame_record(ev)
    if isinstance(ev, StateChanged):
        out = {**_head(ev, "state"), "state": ev.state.value, **state_details(ev)}
        if ev.message and clean is not None:
            out["message"] = clean(ev.message)
        return out
    if isinstance(ev, SubscriptionChanged):
        return {**_head(ev, "subscription"), "topic": ev.topic, "state": ev.state.value, **subscription_details(ev)}
    if isinstance(ev, RttMeasured):
        out = _head(ev, "rtt")
        out["rtt_ms"] = _ms(ev.rtt)
        return out
    if isinstance(ev, PongMissed):
        out = _head(ev, "pong_missed")
        out["consecutive"] = ev.consecutive
        return out
    if isinstance(ev, ServerPingAnswered):
        out = _head(ev, "server_ping")
        out["payload_hex"] = bytes(ev.payload).hex()
        out["response_ms"] = _ms(ev.response_time)
        return out
    if isinstance(ev, PayloadTrouble):
        out = _head(ev, "payload")
        out["message"] = clean(ev.message) if clean is not None else ev.message
        return out
    return None


def dumps(record: dict[str, Any]) -> str:
    """One output line (without the newline) for a record."""
    return _ENCODER.encode(record)


def json_line(ev: SessionEvent, clean: Callable[[str], str] | None = None) -> str | None:
    """``json_record`` as one line of ASCII JSON, or None."""
    record = json_record(ev, clean)
    return None if record is None else dumps(record)
