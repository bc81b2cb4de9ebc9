"""The one reader of a received EVENT: its head (topic, type, seq), however its JSON is written.

``read_head`` is what every consumer of received bytes calls (the client's message handler,
the frame store, the recent-events ring, the recording reader). msgspec (C speed) reads the
body into a ``Head``: ``topic`` and ``type`` strings and ``seq`` an integer or null, as
``decode`` demands of them; every other member is skipped, though still checked to be JSON.
Key order, whitespace, escapes (``\\u00e9``, ``\\/``) and number forms are the JSON grammar's
business, not ours, so any server's bytes read alike. The body itself is read lazily: whoever
needs it decodes the frame (``FrameSeen.decoded``, ``try_decode``), once, when it needs it.

The contract: when ``decode`` accepts a frame as an Event, ``read_head`` reads exactly its
(topic, type, seq). Repeated member names agree too: msgspec keeps the last, as ``json``
does, and a repeat of the wrong type is an error. When msgspec rejects a body, ``read_head``
gives None and ``decode`` decides (it also accepts a few bodies msgspec rejects, such as lone
surrogate escapes ``\\ud800``). ``read_head`` may read a head from a body ``decode`` rejects
(a ``ts`` that is not an integer, no ``data``, bytes that are not UTF-8 in what it skips):
consumers that need certainty decode it (the log shows such a row by its head and checks the
body when it is shown).

A short body is read as a union tagged by ``type`` (wherever it is in the object): a message
gives a ``MessageHead``, a presence join or leave as the spec shapes it a ``MemberChangeEvent``
whose ``data`` is read whole in the same parse (every member parsed, none skipped, so
``decode`` accepts it and reads it alike). Anything else (another type, a sync, a long body, a
repeated ``type``) gives an ``EventHead``. All three are a ``Head`` with the same ``kind``,
``topic``, ``type`` and ``seq``.

``peek_head`` is the live log's reader, for whom a long body is only bytes to keep until a row
is painted or searched: where ``topic``, ``type`` and ``seq`` all come before a top-level
``data`` (as most servers write an envelope), it reads them from the members before ``data``
and leaves the rest of the body unread, however long. Exact for every body ``decode`` accepts
in which no head member is repeated after ``data``; like ``read_head``, it may read a head
from a body ``decode`` rejects (the rest unread: not JSON, cut short), which the log checks
when the row is shown. Anything else is ``read_head``'s.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from inspector.protocol.kinds import Kind


class MemberChange(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """The data of a presence join or leave as the spec writes it: the member and the new count."""

    action: str
    member: str
    members: int


class Head(msgspec.Struct, frozen=True, gc=False):
    """The head of a received EVENT, as ``read_head`` reads it. GC-untracked: made once per
    frame under a flood and kept with it."""

    topic: str
    kind: ClassVar[Kind] = Kind.EVENT


class EventHead(Head, frozen=True, gc=False):
    """Any EVENT's head: what the tagged parse does not read."""

    type: str
    seq: int | None = None


class MessageHead(Head, frozen=True, gc=False, tag_field="type", tag="message"):
    """A message's head. Its ``type`` is the union's tag (always "message")."""

    seq: int | None = None
    type: ClassVar[str] = "message"


class MemberChangeEvent(Head, frozen=True, gc=False, forbid_unknown_fields=True, tag_field="type",
                        tag="presence"):
    """A presence join or leave whose data is a ``MemberChange`` and nothing else. Its ``type``
    is the union's tag (always "presence"), so the one parse makes it as it is."""

    ts: int
    data: MemberChange
    seq: int | None = None
    type: ClassVar[str] = "presence"


AnyHead = EventHead | MessageHead | MemberChangeEvent
"""What ``read_head`` gives (each one a ``Head``): for annotations that read ``type`` and ``seq``."""

_read_any = msgspec.json.Decoder(EventHead).decode
_read_tagged = msgspec.json.Decoder(MessageHead | MemberChangeEvent).decode
_EVENT = bytes((Kind.EVENT,))
# A join or leave is short; above this a body is read by the plain head alone: the union reads a
# body whose "type" comes late twice (to find the tag, then to decode), which only joins gain from.
# The one parse for a join or leave is bench/bench_flood.py's "presence" line.
UNION_MAX = 384


class _Before(msgspec.Struct, frozen=True, gc=False):
    """The members before ``data``, read as ``EventHead`` reads them; ``seq`` present, as null
    or an integer (else it may come after ``data``)."""

    topic: str
    type: str
    seq: int | None


_read_before = msgspec.json.Decoder(_Before).decode
# Bodies longer than this are peeked at: below it one parse of the whole is about as quick.
# The line that proves it: bench/bench_flood.py's "body8k", "body60k" and "manykeys".
PEEK_FROM = 2048
PEEK_WITHIN = 512  # a top-level "data" starts this near the start of the body, or the whole is read
_DATA_KEY = b'"data"'
_BEFORE_KEY = frozenset(b"{, \t\r\n")  # what may precede a member name: not an escape's backslash
_DATA_VALUE = b'"data":0}'
_TOPIC_KEY, _TYPE_KEY, _SEQ_KEY = b'"topic"', b'"type"', b'"seq"'


def peek_head(data: bytes) -> AnyHead | None:
    """``read_head``, but a long body's head from the members before its ``data`` when they hold
    ``topic``, ``type`` and ``seq`` (see the module's docstring for what that leaves unchecked)."""
    if len(data) > PEEK_FROM and data[:1] == _EVENT:
        k = data.find(_DATA_KEY, 1, PEEK_WITHIN)  # the first "data" only: a nested one first, the whole is read
        if k > 0 and data[k - 1] in _BEFORE_KEY:
            before = data[1:k]
            # Parsed only when the three names are there as written plainly (an escaped one: the
            # whole is read). Closed by a stand-in data, it parses only when k starts a member name
            # at the object's top level: inside a string the quote at k would end it (or be
            # escaped), and deeper the closing brace would leave an object or array open.
            if _TOPIC_KEY in before and _SEQ_KEY in before and _TYPE_KEY in before:
                try:
                    h = _read_before(before + _DATA_VALUE)
                except msgspec.DecodeError:
                    pass
                else:
                    if h.type == "message":
                        return MessageHead(topic=h.topic, seq=h.seq)
                    return EventHead(topic=h.topic, type=h.type, seq=h.seq)
    return read_head(data)


def read_head(data: bytes) -> AnyHead | None:
    """The head of an EVENT frame, or None: not an EVENT, or a body msgspec rejects
    (``decode`` it to know which, and why)."""
    if data[:1] != _EVENT:
        return None
    if len(data) <= UNION_MAX:  # too short to nest as deep as msgspec's recursion limit
        try:
            return _read_tagged(data[1:])
        except msgspec.DecodeError:
            pass
    try:
        return _read_any(data[1:])
    except (msgspec.DecodeError, RecursionError):  # a body nested deeper than the caller's stack allows
        return None
