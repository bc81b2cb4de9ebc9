"""The one JSON Lines form of session events, shared by ``tail --json`` and ``replay --json``.

One object per event, described in docs/json-output.md. Everything is derived from
the event itself (a frame from its bytes), never from how it was obtained, so a live
session and its recording print the same lines. Data fields (topics, filters, bodies,
server messages) are written exactly as received; only ``clean``, given by the caller,
touches the client's own ``message`` text.
"""

from __future__ import annotations

import base64
import codecs
import json
import math
import re
import secrets
from collections.abc import Callable
from typing import Any

import msgspec

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
    LAZY_SUMMARY_BYTES,
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

# The fast line: msgspec parses a body and writes the line several times sooner than the standard
# library does (the proxy's log writes one per frame). It is used only for a record whose every
# value came from msgspec's parse or from this module (a body msgspec refuses goes the standard
# way): such a record holds no non-finite float (which msgspec would write as null) and no lone
# surrogate. Its line means what the standard one does; floats may be spelt differently (1e16 for
# 1e+16), so a summary, which is text, is taken from msgspec only when it holds no such number.
_FAST_DECODE = msgspec.json.Decoder().decode
_FAST_ENCODE = msgspec.json.Encoder().encode
# a number msgspec may spell otherwise than float.__repr__ (an exponent, or 0.0000...); the same
# text in a string only costs the standard way
_ODD_NUMBER = re.compile(r"[0-9](?:[eE]|\.0000)")
_ODD_NUMBER_BYTES = re.compile(_ODD_NUMBER.pattern.encode("ascii"))
_SUMMARY_LIMIT = 120  # characters of a summary's data (as protocol/frames.summarize clips it)
# Only a number that starts within the first _SUMMARY_LIMIT + 1 characters can change the summary
# (the text before it is the same both ways, and either text is clipped when it starts later);
# a number is at most 24 characters long.
_NUMBER_WINDOW = _SUMMARY_LIMIT + 1 + 32
_ASCII_ERRORS = "inspector-json-ascii"


def _escape_non_ascii(exc: UnicodeError) -> tuple[str, int]:
    """``\\uXXXX`` for each non-ASCII character (a pair for one beyond U+FFFF), as ensure_ascii writes."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start:exc.end]:
        n = ord(ch)
        if n > 0xFFFF:
            n -= 0x10000
            out.append(f"\\u{0xD800 | n >> 10:04x}\\u{0xDC00 | n & 0x3FF:04x}")
        else:
            out.append(f"\\u{n:04x}")
    return "".join(out), exc.end


codecs.register_error(_ASCII_ERRORS, _escape_non_ascii)


class FastLine:
    """That ``dumps`` may write a record the fast way; ``raw_body``, when not None, is its body's
    exact bytes, written as they are instead of the parsed body: bytes msgspec parsed to that very
    object, without a line break (a reader's parse of them is the body; duplicate keys included,
    as the standard parse keeps a repeated member's last value). What is not ASCII in them lies
    within strings, where the line's escaping pass writes it as ensure_ascii does."""

    __slots__ = ("raw_body",)

    def __init__(self, raw_body: bytes | None = None) -> None:
        self.raw_body = raw_body


_FAST = FastLine()


def decoded(ev: FrameSeen) -> Frame | DecodeError:
    """The frame (or DecodeError) the bytes of ``ev`` make; a text frame is always an error."""
    return decode_received(ev.data, ev.text)


def frame_kind(ev: FrameSeen) -> str:
    if ev.text:
        return "TEXT"
    return kind_name(ev.data[0]) if ev.data else "EMPTY"


def _parse_object(body: memoryview) -> tuple[dict[str, Any], bool]:
    """``decode_json_object``'s answer, and whether msgspec alone made it (the fast line may write it)."""
    try:
        obj = _FAST_DECODE(body)
    except (msgspec.DecodeError, RecursionError):
        return decode_json_object(body), False
    if type(obj) is not dict:
        return decode_json_object(body), False  # the same answer, or the same DecodeError
    return obj, True


def _body(frame: Frame, data: bytes) -> tuple[dict[str, Any], bool]:
    if isinstance(frame, (Ping, Pong)):
        return {"payload_hex": frame.payload.hex()}, True
    # the object as sent: key order and fields this program does not know are kept
    return _parse_object(memoryview(data)[1:])


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000, 3) if seconds is not None and math.isfinite(seconds) else None


def _head(ev: SessionEvent, name: str) -> dict[str, Any]:
    return {"v": SCHEMA_VERSION, "t": ev.t, "conn": ev.conn, "event": name}


def _event_and_body(ev: FrameSeen, data: bytes) -> tuple[Frame | DecodeError, dict[str, Any] | None, bool]:
    """An EVENT's frame and its body object (key order and unknown fields kept) from one JSON
    decode: the common frame, whose body would otherwise be decoded twice. (None for the body
    of anything else: ``_body`` reads it.) Last, whether msgspec alone parsed the body."""
    if ev.text or data[:1] != _EVENT_BYTE:
        return decoded(ev), None, True
    try:
        body, fast = _parse_object(memoryview(data)[1:])
        return event_from_body(body), body, fast
    except DecodeError as exc:
        return exc, None, True


def _summary(frame: Frame | DecodeError, size: int, fast: FastLine | None) -> str:
    """``summarize(frame, size)``; an EVENT's data written by msgspec when that gives the same text."""
    if fast is not None and type(frame) is Event:
        return event_summary(frame.type, frame.data, size)
    return summarize(frame, size)


def event_summary(type_: str, data: Any, size: int) -> str:
    """What ``summarize`` says of an EVENT of ``size`` bytes of this ``type_`` and ``data``, where
    ``data`` comes from msgspec's own parse (it can write every value of it): its data written
    by msgspec when that gives the same text."""
    if size <= LAZY_SUMMARY_BYTES:
        encoded = _FAST_ENCODE(data)
        window = encoded[:_NUMBER_WINDOW]
        if window.isascii():  # the usual case: the clip's characters are its bytes
            if not _ODD_NUMBER_BYTES.search(window):
                if len(encoded) <= _SUMMARY_LIMIT:
                    return f"{type_} {window.decode('ascii')}"
                return f"{type_} {encoded[:_SUMMARY_LIMIT - 3].decode('ascii')}..."
        else:
            text = encoded.decode("utf-8")
            if not _ODD_NUMBER.search(text, 0, _NUMBER_WINDOW):
                return f"{type_} {text if len(text) <= _SUMMARY_LIMIT else text[:_SUMMARY_LIMIT - 3] + '...'}"
    return summarize(Event("", type_, 0, data), size)


def _raw_body(data: bytes) -> FastLine:
    """The fast way for a body msgspec parsed: its bytes as they are when they fit in a line as such."""
    raw = data[1:]
    if b"\n" not in raw and b"\r" not in raw:  # only whitespace may be either: within a string it is escaped
        return FastLine(raw)
    return _FAST


def frame_record(ev: FrameSeen) -> tuple[dict[str, Any], FastLine | None]:
    """The record of a frame, and whether (and how) ``dumps`` may write it the fast way (see
    ``_FAST_DECODE``)."""
    data = bytes(ev.data)
    frame, body, parsed_fast = _event_and_body(ev, data)
    fast = (_raw_body(data) if body is not None else _FAST) if parsed_fast and math.isfinite(ev.t) else None
    out = _head(ev, "frame")
    out["dir"] = ev.direction
    out["kind"] = frame_kind(ev)
    topic = getattr(frame, "topic", None)
    if topic is not None:
        out["topic"] = topic
    if isinstance(frame, Event) and frame.seq is not None:
        out["seq"] = frame.seq
    out["size"] = len(data)
    out["summary"] = _summary(frame, len(data), fast)
    out["raw_b64"] = base64.b64encode(data).decode("ascii")
    if ev.text:
        out["text"] = True
        # what the plain output shows; raw_b64 stays the exact bytes (a recording may hold non-UTF-8)
        out["text_value"] = data.decode("utf-8", "replace")
    if isinstance(frame, DecodeError):
        out["decode_error"] = {"code": frame.code, "message": frame.message}
    elif body is not None:
        out["body"] = body
    else:
        out["body"], body_fast = _body(frame, data)
        if not body_fast:
            fast = None
    return out, fast


def json_record(ev: SessionEvent, clean: Callable[[str], str] | None = None) -> dict[str, Any] | None:
    """The JSON object of one session event (None for anything else).

    ``clean`` is applied to the client's own ``message`` text of state events only,
    as a last line of defence; every other field is written as it is.
    """
    if isinstance(ev, FrameSeen):
        return frame_record(ev)[0]
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


def dumps(record: dict[str, Any], fast: FastLine | None = None) -> str:
    """One output line (without the newline) for a record; ``fast`` from ``frame_record`` when it
    allows it (and what is added to the record holds only this program's own values)."""
    if fast is None:
        return _standard(record)
    written = record
    if fast.raw_body is not None:
        written = record.copy()
        written["body"] = msgspec.Raw(fast.raw_body)
        # the one other field of an EVENT likely to hold more than ASCII: escaped here, so that the
        # line most often needs no escaping pass
        written["summary"] = msgspec.Raw(_ENCODER.encode(record["summary"]).encode("ascii"))
    try:
        line = _FAST_ENCODE(written)
    except (TypeError, ValueError, OverflowError):  # e.g. a lone surrogate in a name from argv
        return _standard(record)
    return _ascii(line)


def _standard(record: dict[str, Any]) -> str:
    try:
        return _ENCODER.encode(record)
    except ValueError:  # a number beyond a float's range in a body (1e400 reads as inf)
        line = _ENCODER.encode(_finite(record))
        return line.replace(f'"\\u0000{_MARK}+"', "1e999").replace(f'"\\u0000{_MARK}-"', "-1e999")


# A string no frame holds (NUL and 64 random bits), standing in for an infinite float until the
# line is written: then replaced by 1e999, a number JSON can hold that parses back to infinity
# (in Python, JavaScript and every IEEE reader), where json writes Infinity, which is not JSON.
_MARK = secrets.token_hex(8)


def _finite(value: Any) -> Any:
    """``value`` with each infinite float marked, NaN (no JSON body makes one) as None."""
    if type(value) is float and not math.isfinite(value):
        return None if math.isnan(value) else f"\x00{_MARK}{'+' if value > 0 else '-'}"
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _ascii(line: bytes) -> str:
    """msgspec's UTF-8 line as ensure_ascii writes it."""
    if line.isascii():
        return line.decode("ascii")
    text = line.decode("utf-8")
    if "\\x" not in text:  # then every \x backslashreplace writes is one of its own
        escaped = text.encode("ascii", "backslashreplace")
        if b"\\U" not in escaped:  # a character beyond U+FFFF: JSON writes it as a pair
            return escaped.replace(b"\\x", b"\\u00").decode("ascii")
    return text.encode("ascii", _ASCII_ERRORS).decode("ascii")


def json_line(ev: SessionEvent, clean: Callable[[str], str] | None = None) -> str | None:
    """``json_record`` as one line of ASCII JSON, or None."""
    if isinstance(ev, FrameSeen):
        return dumps(*frame_record(ev))
    record = json_record(ev, clean)
    return None if record is None else dumps(record)
