"""The log line of the frame a flood is made of, written straight as bytes: a whole binary
EVENT frame whose body is ASCII, with nothing else to say about it (no violation, no rule's
action). The line is the one ``FrameLog`` makes the standard way (json_output's frame record
written by ``dumps``, the proxy's fields after it), byte for byte, without building the record:
the standard way builds a dict of fifteen fields, writes it, and checks and converts the whole
line twice more, per frame. Anything this does not take (another kind, a body that is not an
EVENT's, a line that would need escaping) gets None, and goes the standard way.
"""

from __future__ import annotations

import binascii
import math
from json.encoder import encode_basestring_ascii

import msgspec

from inspector.protocol.frames import is_event_body
from inspector.protocol.json_output import SCHEMA_VERSION, event_summary

_DECODE = msgspec.json.Decoder().decode
_ENCODE = msgspec.json.Encoder().encode
# a string as dumps writes the summary (what JSONEncoder(ensure_ascii=True).encode calls for a str)
_STRING = encode_basestring_ascii
_EVENT = 0x10


class EventLines:
    """One direction of one pair: ``json`` and ``text`` return the line of a frame's payload
    (an unfragmented binary frame, FIN set, no RSV bits), or None."""

    def __init__(self, conn: str, client: str, upstream: str, c2s: bool) -> None:
        direction = "c2s" if c2s else "s2c"
        self._head = (b'{"v":%d,"t":' % SCHEMA_VERSION)
        try:
            self._fields = (b',"conn":' + _ENCODE(conn) + b',"event":"frame","dir":"' + (b"out" if c2s else b"in")
                            + b'","kind":"EVENT","topic":')
            self._tail = (b',"direction":"' + direction.encode() + b'","client":' + _ENCODE(client)
                          + b',"upstream":' + _ENCODE(upstream) + b',"opcode":2}')
            self._ascii = (self._fields + self._tail).isascii()
        except ValueError:  # a name msgspec cannot write (a lone surrogate): the standard way copes
            self._ascii = False
        self._text_head = f"#{conn} {'client → server' if c2s else 'server → client'} EVENT "
        self._t = 0.0  # the last time written, and how (the frames of one read share theirs)
        self._t_text = _ENCODE(0.0)

    def _event(self, payload: bytes) -> tuple[bytes, dict[str, object], str] | None:
        """The body's bytes, the body and the summary of an EVENT frame's payload, or None."""
        if not payload or payload[0] != _EVENT:
            return None
        raw = payload[1:]  # a copy costs less than a memoryview's making, at any size a line is made for
        try:
            body = _DECODE(raw)
        except (msgspec.DecodeError, RecursionError):
            return None
        if not is_event_body(body):
            return None
        return raw, body, event_summary(body["type"], body["data"], len(payload))

    def json(self, payload: bytes, t: float) -> bytes | None:
        if t != self._t or not t:  # (-0.0 == 0.0, but is written otherwise)
            if not math.isfinite(t):
                return None
            self._t, self._t_text = t, _ENCODE(t)
        if not self._ascii or not payload.isascii() or b"\n" in payload or b"\r" in payload:
            return None
        event = self._event(payload)
        if event is None:
            return None
        raw, body, text = event
        topic = _ENCODE(body["topic"])
        if not topic.isascii():
            return None
        seq = body.get("seq")
        return b"".join((self._head, self._t_text, self._fields, topic,
                         b"" if seq is None else b',"seq":' + _ENCODE(seq),
                         b',"size":%d,"summary":' % len(payload), _STRING(text).encode("ascii"),
                         b',"raw_b64":"', binascii.b2a_base64(payload, newline=False), b'","body":',
                         raw, self._tail))

    def text(self, payload: bytes) -> str | None:
        event = self._event(payload)
        return None if event is None else self._text_head + event[2]
