"""Classifying an EVENT by its head (topic, type, seq), however its JSON is written.

The one classify step for received frames. msgspec (C speed) reads the body into an
``EventHead``: ``topic`` and ``type`` strings and ``seq`` an integer or null, as
``decode`` demands of them; every other member is skipped, though still checked to
be JSON. Key order, whitespace, escapes (``\\u00e9``, ``\\/``) and number forms are
the JSON grammar's business, not ours, so any server's bytes classify alike.

The contract: when ``decode`` accepts a frame as an Event, ``classify`` reads exactly
its (topic, type, seq). Repeated member names agree too: msgspec keeps the last, as
``json`` does, and a repeat of the wrong type is an error. When msgspec rejects a
body, ``classify`` gives None and ``decode`` decides (it also accepts a few bodies
msgspec rejects, such as lone surrogate escapes ``\\ud800``). ``classify`` may read a
head from a body ``decode`` rejects (a ``ts`` that is not an integer, no ``data``,
bytes that are not UTF-8 in what it skips): consumers that need certainty decode it
(the log shows such a row by its head and checks the body when it is shown).

``decode_event`` is ``try_decode`` for an EVENT whose head was read: msgspec parses the
whole body (straight into the five members when it has no others, else to plain JSON
values that ``decode``'s own rules judge); whatever it rejects goes to ``try_decode``,
so the verdict and message stay the codec's.

``read_head_or_change`` is ``classify`` that also reads a presence join or leave whole
(``read_member_change``) in the same parse: a union tagged by ``type`` (wherever it is in
the object) of a message head and a presence change. Whatever the union does not read
(other types, a sync, a repeated ``type``, a body msgspec rejects) takes the two readers'
own path, so the result is always theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec

from inspector.protocol.frames import DecodeError, Event, Frame, is_event_body, try_decode
from inspector.protocol.kinds import Kind


class EventHead(msgspec.Struct, frozen=True, gc=False):
    """What ``classify`` reads of an EVENT body; the other members are skipped."""

    topic: str
    type: str
    seq: int | None = None


class EventBody(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """An EVENT body with nothing but the members ``decode`` reads; every one is parsed.
    Also a head (``topic``, ``type``, ``seq``): what ``read_event_body`` gives."""

    topic: str
    type: str
    ts: int
    data: Any
    seq: int | None = None


class MemberChange(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """The data of a presence join or leave as the spec writes it: the member and the new count."""

    action: str
    member: str
    members: int


class MemberChangeEvent(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True,
                        tag_field="type", tag="presence"):
    """A presence EVENT whose data is a ``MemberChange`` and nothing else; also a head. Its
    ``type`` is the union's tag (always "presence"), so the one parse makes it as it is."""

    topic: str
    ts: int
    data: MemberChange
    seq: int | None = None
    type: ClassVar[str] = "presence"


class MessageHead(msgspec.Struct, frozen=True, gc=False, tag_field="type", tag="message"):
    """``EventHead`` of a message, as ``read_head_or_change`` reads it: the same ``topic``,
    ``type`` and ``seq``, with the type as the union's tag (always "message")."""

    topic: str
    seq: int | None = None
    type: ClassVar[str] = "message"


_read_head = msgspec.json.Decoder(EventHead).decode
_read_head_or_change = msgspec.json.Decoder(MessageHead | MemberChangeEvent).decode
_read_event = msgspec.json.Decoder(EventBody).decode
_read_json = msgspec.json.Decoder().decode
_EVENT = bytes((Kind.EVENT,))
# Bodies this short cannot nest deep enough to meet either parser's recursion limit,
# which depends on the caller's stack and differs a little between the two.
FAST_DECODE_MAX = 1024
# A join or leave is short; above this a body is read by ``classify`` alone: the union reads a
# body whose "type" comes late twice (to find the tag, then to decode), which only joins gain from.
UNION_MAX = 384


def classify(data: bytes) -> EventHead | None:
    """The head of an EVENT frame, or None: not an EVENT, or a body msgspec rejects
    (``decode`` it to know which, and why)."""
    if data[:1] != _EVENT:
        return None
    try:
        return _read_head(data[1:])
    except msgspec.DecodeError:
        return None


def classify_many(datas: Sequence[bytes]) -> list[EventHead | None]:
    """``classify`` for a batch: one pass without a call per frame while every body reads."""
    try:
        return [_read_head(d[1:]) if d[:1] == _EVENT else None for d in datas]
    except msgspec.DecodeError:
        return [classify(d) for d in datas]  # frame by frame: only the bodies not read get None


def read_event_body(data: bytes) -> EventBody | None:
    """The body of an EVENT frame that ``decode`` accepts as it is, or None: the frame is
    not such an EVENT, has other members, or is long (``decode_event`` it to know). Cheaper
    than ``decode_event`` (no ``Event`` is made); ``decode`` would give the same members."""
    if len(data) <= FAST_DECODE_MAX and data[:1] == _EVENT:
        try:
            return _read_event(data[1:])
        except msgspec.DecodeError:
            return None
    return None


def read_member_change(data: bytes) -> MemberChangeEvent | None:
    """A presence join or leave shaped as the spec shapes it (``data`` with exactly
    ``action``, ``member`` and ``members``, of their types), read into Structs; None for
    anything else (``read_event_body`` it). Every member is parsed, none skipped, so
    ``decode`` accepts what this reads and reads it alike (``data`` as a dict)."""
    if len(data) <= FAST_DECODE_MAX and data[:1] == _EVENT:
        try:
            got = _read_head_or_change(data[1:])  # the union: a body without "type" is no presence
        except msgspec.DecodeError:
            return None
        return got if type(got) is MemberChangeEvent else None
    return None


def read_head_or_change(data: bytes) -> EventHead | MessageHead | MemberChangeEvent | None:
    """``read_member_change(data)`` for a presence EVENT it reads, else ``classify(data)`` (a
    message's head as a ``MessageHead`` when the one parse read it); one parse for a message
    or a join or leave of a short body."""
    if len(data) <= UNION_MAX and data[:1] == _EVENT:
        try:
            return _read_head_or_change(data[1:])
        except msgspec.DecodeError:
            pass
    head = classify(data)
    if head is not None and head.type == "presence":
        change = read_member_change(data)
        if change is not None:
            return change
    return head


def decode_event(data: bytes) -> Frame | DecodeError:
    """``try_decode(data)``, faster for a short EVENT body: msgspec parses it and ``decode``'s
    checks apply; any body they do not accept as it is goes to ``try_decode`` itself."""
    if len(data) <= FAST_DECODE_MAX and data[:1] == _EVENT:
        body = data[1:]
        try:  # the usual body: the five members and no other, each of its type
            ev = _read_event(body)
            return Event(ev.topic, ev.type, ev.ts, ev.data, ev.seq)
        except msgspec.DecodeError:
            pass
        try:  # other members too, or a repeated one: the plain JSON values, judged as decode does
            obj = _read_json(body)
        except msgspec.DecodeError:
            return try_decode(data)
        if is_event_body(obj):
            return Event(obj["topic"], obj["type"], obj["ts"], obj["data"], obj.get("seq"))
    return try_decode(data)
