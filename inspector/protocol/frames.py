"""Frame codec: one binary WebSocket message = kind byte + body.

``decode`` turns any byte string into a typed frame or raises ``DecodeError``
and nothing else, whatever the bytes. ``encode`` is its inverse for valid frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeGuard

import msgspec

from inspector.protocol.kinds import Kind, kind_name
from inspector.protocol.limits import MAX_PING_PAYLOAD, MAX_REQUEST_ID

# The one protocol rule a text frame breaks, in every place that reports it.
TEXT_FRAME_ERROR = "text frame; every message must be a binary frame"

class DecodeError(ValueError):
    """Bytes that are not a valid frame.

    ``code`` is the ERROR code a server answers with: ``bad_frame`` or
    ``unknown_kind``. ``kind`` is the first byte when there is one.
    """

    def __init__(self, code: str, message: str, kind: int | None = None):
        self.code = code
        self.message = message
        self.kind = kind
        super().__init__(f"{code}: {message}")

    def __reduce__(self) -> tuple[type[DecodeError], tuple[str, str, int | None]]:
        return (DecodeError, (self.code, self.message, self.kind))


@dataclass(slots=True)
class Subscribe:
    topic: str
    filter: str | None = None
    id: int | None = None
    kind = Kind.SUBSCRIBE


@dataclass(slots=True)
class Unsubscribe:
    topic: str
    id: int | None = None
    kind = Kind.UNSUBSCRIBE


@dataclass(slots=True)
class Event:
    topic: str
    type: str
    ts: int
    data: Any = None
    seq: int | None = None
    kind = Kind.EVENT

    def body(self) -> dict[str, Any]:
        """The JSON object as sent on the wire (also what filters see)."""
        return event_body(self.topic, self.type, self.ts, self.data, self.seq)


@dataclass(slots=True)
class Ping:
    payload: bytes = b""
    kind = Kind.PING


@dataclass(slots=True)
class Pong:
    payload: bytes = b""
    kind = Kind.PONG


@dataclass(slots=True)
class Error:
    code: str
    message: str = ""
    ref: int | None = None
    kind = Kind.ERROR


Frame = Subscribe | Unsubscribe | Event | Ping | Pong | Error


# ---------------------------------------------------------------- encoding


# One encoder for every frame: json.dumps(..., separators=...) would build a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_EVENT_BYTE = bytes((Kind.EVENT,))


def _dump(obj: dict[str, Any]) -> bytes:
    return _ENCODER.encode(obj).encode("utf-8")


def event_body(topic: str, type: str, ts: int, data: Any, seq: int | None = None) -> dict[str, Any]:
    """An EVENT body in the wire's key order; ``Event.body()`` without building an Event first,
    for a publisher that needs the body (its filters run on it) as well as the bytes."""
    if seq is None:
        return {"topic": topic, "type": type, "ts": ts, "data": data}
    return {"topic": topic, "type": type, "seq": seq, "ts": ts, "data": data}


def encode_event_body(body: dict[str, Any]) -> bytes:
    """An EVENT message whose body is ``body`` as given: its keys, extra ones included, in its order.

    For bodies that exist already (a recorded event re-sent as it was); ``encode(Event(...))``
    is the way to build a new one. Raises TypeError or ValueError for what is not JSON.
    """
    return _EVENT_BYTE + _ENCODER.encode(body).encode("utf-8")


def encode_body(kind: int, body: Any) -> bytes:
    """A message of ``kind`` whose JSON body is ``body`` as given, written as every frame is
    (compact, UTF-8, no NaN): for a body a person typed or edited, valid or not for its kind.
    Raises TypeError or ValueError for what is not JSON."""
    return bytes((kind,)) + _ENCODER.encode(body).encode("utf-8")


def encode(frame: Frame) -> bytes:
    """Bytes of one binary WebSocket message for ``frame``."""
    if type(frame) is Event:  # the hot path: a publish encodes one of these per message
        return encode_event_body(frame.body())
    if isinstance(frame, (Ping, Pong)):
        if len(frame.payload) > MAX_PING_PAYLOAD:
            raise ValueError(f"{frame.kind.name} payload is {len(frame.payload)} bytes (at most {MAX_PING_PAYLOAD})")
        return bytes((frame.kind,)) + bytes(frame.payload)
    if isinstance(frame, Subscribe):
        body: dict[str, Any] = {}
        if frame.id is not None:
            body["id"] = frame.id
        body["topic"] = frame.topic
        if frame.filter is not None:
            body["filter"] = frame.filter
        return b"\x01" + _dump(body)
    if isinstance(frame, Unsubscribe):
        body = {}
        if frame.id is not None:
            body["id"] = frame.id
        body["topic"] = frame.topic
        return b"\x02" + _dump(body)
    if isinstance(frame, Error):
        return b"\xff" + _dump({"code": frame.code, "message": frame.message, "ref": frame.ref})
    raise TypeError(f"not a frame: {type(frame).__name__}")


# ---------------------------------------------------------------- decoding


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every frame: json.loads(..., parse_constant=...) would build a new one per call.
JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# msgspec's parse gives the very values the standard library's gives, for every body both accept,
# 2-4 times sooner; a body msgspec refuses (NaN, 1e400, a lone surrogate's escape, too deep, not
# JSON) goes on to the standard library's, which accepts it or says what is wrong in its words.
# A row painted during a flood decodes its body: bench/bench_flood.py's "presence", "body8k" and
# "body60k" lines (tests/protocol/test_frames_json.py holds the two parses to the same answer).
_FAST_JSON = msgspec.json.Decoder().decode


def decode_json_object(body: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Parse a frame body as one UTF-8 JSON object, or raise DecodeError(bad_frame)."""
    try:
        obj = _FAST_JSON(body)
    except (msgspec.DecodeError, RecursionError):
        obj = _standard_json(body)
    if not isinstance(obj, dict):
        raise DecodeError("bad_frame", f"body is a JSON {json_type(obj)}, not an object")
    return obj


def _standard_json(body: bytes | bytearray | memoryview) -> Any:
    """The standard library's parse of a body, or DecodeError(bad_frame) saying what is wrong."""
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("bad_frame", f"body is not UTF-8 (byte {exc.start + 1})") from None
    try:
        if text[:1] == "{":  # fast path: raw_decode skips decode()'s whitespace regex
            obj, end = JSON_DECODER.raw_decode(text)
            if end != len(text) and text[end:].strip(" \t\n\r"):
                raise json.JSONDecodeError("Extra data", text, end)
        else:
            obj = JSON_DECODER.decode(text)
    except RecursionError:
        raise DecodeError("bad_frame", "body JSON is nested too deeply") from None
    except ValueError as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        pos = f" at position {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise DecodeError("bad_frame", f"body is not JSON: {msg}{pos}") from None
    return obj


def json_type(value: Any) -> str:
    """JSON's name for the type of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _req_str(obj: dict[str, Any], key: str, kind: Kind) -> str:
    if key not in obj:
        raise DecodeError("bad_frame", f"{kind.name} body has no {key!r}", kind)
    value = obj[key]
    if not isinstance(value, str):
        raise DecodeError("bad_frame", f"{kind.name} {key!r} must be a string, not {json_type(value)}", kind)
    return value


def _opt_id(obj: dict[str, Any], kind: Kind) -> int | None:
    value = obj.get("id")
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value <= MAX_REQUEST_ID:
        raise DecodeError("bad_frame", f"{kind.name} 'id' must be an integer 0 … {MAX_REQUEST_ID}", kind)
    return value


def is_event_body(obj: Any) -> bool:
    """Whether a parsed body is one ``decode`` accepts as an EVENT's (bool is not an int);
    the checks in ``_decode`` say what is wrong with one that is not."""
    if type(obj) is not dict:
        return False
    seq = obj.get("seq")
    return (type(obj.get("topic")) is str and type(obj.get("type")) is str and type(obj.get("ts")) is int
            and (seq is None or type(seq) is int) and "data" in obj)


def decode(data: bytes | bytearray | memoryview) -> Frame:
    """Decode one binary message. Raises DecodeError, and only DecodeError."""
    try:
        return _decode(data)
    except DecodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract: nothing but DecodeError escapes
        raise DecodeError("bad_frame", f"undecodable frame ({type(exc).__name__})") from None


def _decode(data: bytes | bytearray | memoryview) -> Frame:
    if isinstance(data, str):
        raise DecodeError("bad_frame", TEXT_FRAME_ERROR)
    if len(data) == 0:
        raise DecodeError("bad_frame", "empty frame")
    first = data[0]
    body = data[1:]
    if first == Kind.PING or first == Kind.PONG:
        kind = Kind(first)
        if len(body) > MAX_PING_PAYLOAD:
            raise DecodeError("bad_frame", f"{kind.name} body is {len(body)} bytes (at most {MAX_PING_PAYLOAD})", first)
        return Ping(bytes(body)) if kind is Kind.PING else Pong(bytes(body))
    if first == Kind.EVENT:
        return event_from_body(decode_json_object(body))
    if first == Kind.SUBSCRIBE:
        return _subscribe(decode_json_object(body), first)
    if first == Kind.UNSUBSCRIBE:
        obj = decode_json_object(body)
        ident = _opt_id(obj, Kind.UNSUBSCRIBE)
        return Unsubscribe(_req_str(obj, "topic", Kind.UNSUBSCRIBE), ident)
    if first == Kind.ERROR:
        return _error(decode_json_object(body), first)
    raise DecodeError("unknown_kind", f"first byte 0x{first:02X} is not a known kind", first)


def event_from_body(obj: dict[str, Any]) -> Event:
    """The Event an EVENT's decoded body makes; DecodeError naming the field that is wrong."""
    if is_event_body(obj):  # the usual EVENT: no further call
        return Event(obj["topic"], obj["type"], obj["ts"], obj["data"], obj.get("seq"))
    return _checked_event(obj, Kind.EVENT)


def _checked_event(obj: dict[str, Any], first: int) -> Event:
    """An EVENT body ``is_event_body`` did not accept: the field that is wrong, or the Event."""
    topic = _req_str(obj, "topic", Kind.EVENT)
    type_ = _req_str(obj, "type", Kind.EVENT)
    ts = obj.get("ts")
    if not _is_int(ts):
        raise DecodeError("bad_frame", "EVENT 'ts' must be an integer (ms since the epoch)", first)
    seq = obj.get("seq")
    if seq is not None and not _is_int(seq):
        raise DecodeError("bad_frame", "EVENT 'seq' must be an integer", first)
    if "data" not in obj:
        raise DecodeError("bad_frame", "EVENT body has no 'data'", first)
    return Event(topic, type_, ts, obj["data"], seq)


def _subscribe(obj: dict[str, Any], first: int) -> Subscribe:
    ident = _opt_id(obj, Kind.SUBSCRIBE)
    topic = _req_str(obj, "topic", Kind.SUBSCRIBE)
    flt = obj.get("filter")
    if flt is not None and not isinstance(flt, str):
        raise DecodeError("bad_frame", f"SUBSCRIBE 'filter' must be a string, not {json_type(flt)}", first)
    return Subscribe(topic, flt, ident)


def _error(obj: dict[str, Any], first: int) -> Error:
    code = _req_str(obj, "code", Kind.ERROR)
    message = obj.get("message", "")
    if not isinstance(message, str):
        raise DecodeError("bad_frame", "ERROR 'message' must be a string", first)
    ref = obj.get("ref")
    if ref is not None and not _is_int(ref):
        raise DecodeError("bad_frame", "ERROR 'ref' must be an integer or null", first)
    return Error(code, message, ref)


def try_decode(data: bytes | bytearray | memoryview) -> Frame | DecodeError:
    """``decode`` that returns the DecodeError instead of raising it."""
    try:
        return decode(data)
    except DecodeError as exc:
        return exc


def decode_received(data: bytes | bytearray | memoryview, text: bool = False) -> Frame | DecodeError:
    """What a received message decodes to; a text frame is never valid in this protocol."""
    return DecodeError("bad_frame", TEXT_FRAME_ERROR) if text else try_decode(data)


_SUMMARY_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
summary_json = _SUMMARY_ENCODER.encode  # a value as a summary writes it (protocol/summaries.py writes by pieces)
# Bodies above this many bytes are encoded lazily (iterencode, pure Python, stops at the clip): a
# summary shows 120 characters of a body that may be 60 KB (bench/bench_flood.py's "body8k" and
# "body60k" lines). Below it the C encoder's one whole pass is several times faster.
LAZY_SUMMARY_BYTES = 4096


def _clipped_json(value: object, limit: int, size: int | None) -> str:
    """``value`` as compact JSON, clipped to ``limit`` characters ("..." ends a clipped one)."""
    if size is None or size <= LAZY_SUMMARY_BYTES:
        text = _SUMMARY_ENCODER.encode(value)
    else:
        parts: list[str] = []
        length = 0
        for chunk in _SUMMARY_ENCODER.iterencode(value):
            parts.append(chunk)
            length += len(chunk)
            if length > limit:
                break
        text = "".join(parts)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def summarize(frame: Frame | DecodeError, size: int | None = None) -> str:
    """A one-line human summary for logs and tables; ``size``, the frame's length in bytes when
    known, picks how its body is encoded (the text is the same either way)."""
    if isinstance(frame, DecodeError):
        return f"undecodable: {frame.message}"
    if isinstance(frame, Event):
        return f"{frame.type} {_clipped_json(frame.data, 120, size)}"
    if isinstance(frame, Subscribe):
        return f"filter {frame.filter!r}" if frame.filter else "all events"
    if isinstance(frame, Unsubscribe):
        return ""
    if isinstance(frame, (Ping, Pong)):
        return frame.payload.hex() if frame.payload else "(empty)"
    if isinstance(frame, Error):
        ref = f" (ref {frame.ref})" if frame.ref is not None else ""
        return f"{frame.code}: {frame.message}{ref}"
    return kind_name(getattr(frame, "kind", 0))
