"""Turning session events into ``tail`` output lines: human text or one JSON object.

JSON lines (``tail --json``): every object has ``t`` (Unix seconds), ``conn`` and
``event``, one of ``frame``, ``state``, ``subscription``, ``rtt``, ``pong_missed``,
``server_ping``. Frames carry ``dir`` (in/out), ``kind``, ``topic``, ``seq``,
``summary``, the exact message bytes as base64 in ``raw_b64``, ``text`` (true for a
text frame) and either ``frame`` (the decoded body as JSON; PING/PONG payloads as
``payload_hex``) or ``error`` (``code``, ``message``) when the bytes do not decode.
Fields that do not apply are left out. Output is ASCII (non-ASCII is \\u-escaped).
"""

from __future__ import annotations

import base64
import json
import sys
import time
from typing import Any

from ..protocol.events import (FrameSeen, PongMissed, RttMeasured, ServerPingAnswered, SessionEvent, State,
                               StateChanged, SubscriptionChanged)
from ..protocol.frames import DecodeError, Error, Event, Ping, Pong, Subscribe, Unsubscribe, summarize, try_decode
from ..protocol.kinds import kind_name
from .redact import redact_url, scrub


def _clock(t: float) -> str:
    lt = time.localtime(t)
    return f"{lt.tm_hour:02d}:{lt.tm_min:02d}:{lt.tm_sec:02d}.{int(t * 1000) % 1000:03d}"


def frame_of(ev: FrameSeen):
    """The decoded frame: the client leaves message EVENTs undecoded, tail decodes when it prints."""
    frame = ev.frame
    if frame is None and not ev.text:
        frame = try_decode(ev.data)
    return frame


def _kind(ev: FrameSeen, frame) -> str:
    if ev.text:
        return "TEXT"
    if isinstance(frame, DecodeError) or frame is None:
        return kind_name(ev.data[0]) if ev.data else "EMPTY"
    return frame.kind.name


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class TextFormatter:
    def __init__(self, url: str = "", unicode: bool = True):
        self.url = redact_url(url) if url else ""
        self.arrows = {"in": "←", "out": "→"} if unicode else {"in": "<-", "out": "->"}
        self.dot = "•" if unicode else "*"

    def __call__(self, ev: SessionEvent) -> str | None:
        if isinstance(ev, FrameSeen):
            frame = frame_of(ev)
            topic = getattr(frame, "topic", None) or "-"
            seq = getattr(frame, "seq", None)
            summary = summarize(frame) if frame is not None else ""
            line = (f"{_clock(ev.t)} {self.arrows.get(ev.direction, '?')} {_kind(ev, frame):<11} {topic:<16} "
                    f"{'#' + str(seq) if seq is not None else '-':>6} {summary}")
            return _one_line(line.rstrip())
        text = self.describe(ev)
        if text is None:
            return None
        return _one_line(f"{_clock(ev.t)} {self.dot} {text}")

    def describe(self, ev: SessionEvent) -> str | None:
        if isinstance(ev, StateChanged):
            return describe_state(ev, self.url)
        if isinstance(ev, SubscriptionChanged):
            flt = f" filter {ev.filter!r}" if ev.filter else ""
            err = f": {ev.error_code} {ev.message}" if ev.error_code else (f" ({ev.message})" if ev.message else "")
            return f"subscription {ev.topic} {ev.state.value}{flt}{err}"
        if isinstance(ev, RttMeasured):
            return f"rtt {ev.rtt * 1000:.2f} ms"
        if isinstance(ev, PongMissed):
            return f"pong missed ({ev.consecutive} in a row)"
        if isinstance(ev, ServerPingAnswered):
            return f"answered server ping in {ev.response_time * 1000:.2f} ms"
        return None


def describe_state(ev: StateChanged, url: str = "") -> str:
    s = ev.state
    if s is State.CONNECTING:
        where = f" to {url}" if url else ""
        return f"connecting{where}" + (f" (attempt {ev.attempt})" if ev.attempt else "")
    if s is State.OPEN:
        return "open"
    if s is State.CLOSED:
        if ev.code is None:
            return f"closed: {ev.message}" if ev.message else "closed"
        reason = f" {ev.reason!r}" if ev.reason else ""
        return f"closed {ev.code}{reason} ({ev.meaning})"
    if s is State.WAITING:
        return f"waiting {ev.delay:.2f} s before attempt {ev.attempt}"
    if s is State.STOPPED:
        return f"stopped: {ev.message}" if ev.message else "stopped"
    return s.value


def _frame_json(frame: Any) -> dict | None:
    if isinstance(frame, Event):
        return frame.body()
    if isinstance(frame, (Ping, Pong)):
        return {"payload_hex": frame.payload.hex()}
    if isinstance(frame, Subscribe):
        return {"id": frame.id, "topic": frame.topic, "filter": frame.filter}
    if isinstance(frame, Unsubscribe):
        return {"id": frame.id, "topic": frame.topic}
    if isinstance(frame, Error):
        return {"code": frame.code, "message": frame.message, "ref": frame.ref}
    return None


def _drop_empty(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if v is not None and v != ""}


def json_object(ev: SessionEvent) -> dict | None:
    if isinstance(ev, FrameSeen):
        frame = frame_of(ev)
        out = {"t": ev.t, "conn": ev.conn, "event": "frame", "dir": ev.direction, "kind": _kind(ev, frame),
               "topic": getattr(frame, "topic", None), "seq": getattr(frame, "seq", None),
               "summary": summarize(frame) if frame is not None else None,
               "raw_b64": base64.b64encode(ev.data).decode("ascii")}
        out = _drop_empty(out)
        if ev.text:
            out["text"] = True
        if isinstance(frame, DecodeError):
            out["error"] = {"code": frame.code, "message": frame.message}
        else:
            body = _frame_json(frame)
            if body is not None:
                out["frame"] = body
        return out
    if isinstance(ev, StateChanged):
        return _drop_empty({"t": ev.t, "conn": ev.conn, "event": "state", "state": ev.state.value,
                            "attempt": ev.attempt or None, "delay": ev.delay, "code": ev.code,
                            "reason": ev.reason, "meaning": ev.meaning, "http_status": ev.http_status,
                            "http_code": ev.http_code, "message": scrub(ev.message)})
    if isinstance(ev, SubscriptionChanged):
        return _drop_empty({"t": ev.t, "conn": ev.conn, "event": "subscription", "topic": ev.topic,
                            "state": ev.state.value, "filter": ev.filter, "error_code": ev.error_code,
                            "message": ev.message})
    if isinstance(ev, RttMeasured):
        return {"t": ev.t, "conn": ev.conn, "event": "rtt", "rtt_ms": round(ev.rtt * 1000, 3)}
    if isinstance(ev, PongMissed):
        return {"t": ev.t, "conn": ev.conn, "event": "pong_missed", "consecutive": ev.consecutive}
    if isinstance(ev, ServerPingAnswered):
        return {"t": ev.t, "conn": ev.conn, "event": "server_ping", "payload_hex": ev.payload.hex(),
                "response_ms": round(ev.response_time * 1000, 3)}
    return None


def json_line(ev: SessionEvent) -> str | None:
    obj = json_object(ev)
    if obj is None:
        return None
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str)


def stdout_is_unicode() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc in ("utf8", "utf16", "utf32")
