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

``peek_head`` is the live log's reader, for whom a body is only bytes to keep until a row is
painted or searched: it reads a body of any length with its top-level ``data`` cut out, unread
(``topic``, ``type`` and ``seq`` before ``data``, after it, or both, as servers write an
envelope). Exact for every body ``decode`` accepts in which no head member is repeated after
``data``; like ``read_head``, it may read a head from a body ``decode`` rejects (data not JSON,
or cut short), which the log checks when the row is shown. Anything else is ``read_head``'s.
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
    """The members around ``data``, read as ``EventHead`` reads them; ``seq`` present, as null
    or an integer (else it may have been cut out with ``data``)."""

    topic: str
    type: str
    seq: int | None


_read_before = msgspec.json.Decoder(_Before).decode
# Bodies longer than this are peeked at. A peek's finds, cut and parse cost about what msgspec
# takes to read 1-2 KB whole (less for long strings, which it skips fast), so below this the
# whole is read. The lines that prove it: bench/bench_flood.py's "body8k", "body60k" and
# "manykeys" above it; "longstr" and "nested1k" below it (peeked at, they ran slower).
PEEK_FROM = 2048
PEEK_WITHIN = 512  # a top-level "data" starts this near the start of the body, or the whole is read
PEEK_TAIL = 512    # ... and ends this near its end
_DATA_KEY = b'"data"'
_BEFORE_KEY = frozenset(b"{, \t\r\n")  # what may precede a member name: not an escape's backslash
_STAND_IN = b'"data":0'
_CLOSED = _STAND_IN + b"}"
_CLOSE = ord("}")
_ENDS = frozenset(b"}]")
_OBJECT_END, _ARRAY_END = b"}", b"]"


def peek_head(data: bytes) -> AnyHead | None:
    """``read_head``, but a long body's head read with its ``data`` cut out, unread (see the
    module's docstring for what that leaves unchecked).

    Cut from its first ``"data"`` to the last ``}`` or ``]`` before the body's closing brace (the
    end of an object or array data), and a stand-in ``"data":0`` put in its place, the body parses,
    with ``topic``, ``type`` and ``seq`` all required, only when both cuts are at the top level of
    the object: a cut inside a string turns the strings after it inside out (they end open, or meet
    an escape's backslash outside a string), and a cut at another depth leaves an object or array
    open, or closes one too many. What the cut takes is then data, and any members written after
    it before the cut's end; a head member among those is missed, so the parse fails (it is
    required) and the whole is read. Failing the parse (or the cut), the members before data alone,
    closed by the stand-in (when all three come before data: a body cut short still shows its
    head); failing that too, the whole is read."""
    if len(data) > PEEK_FROM and data[:1] == _EVENT:
        k = data.find(_DATA_KEY, 1, PEEK_WITHIN)  # the first "data" only: a nested one first, the whole is read
        if k > 0 and data[k - 1] in _BEFORE_KEY:
            end = len(data) - 1 if data[-1] == _CLOSE else data.rfind(_OBJECT_END)
            if data[end - 1] in _ENDS:  # data last, an object or array (no space): cut to the end
                c = end
            else:
                lo = max(k, end - PEEK_TAIL)
                c = data.rfind(_OBJECT_END, lo, end)
                c = max(c, data.rfind(_ARRAY_END, max(lo, c), end)) + 1  # a "]" after it, if any
            h = _cut(data[1:k], data, c, end) if c > k else None
            if h is None and c != end:  # the members before data alone, closed by the stand-in
                h = _cut(data[1:k], data, end, end)
            if h is not None:
                if h.type == "message":
                    return MessageHead(topic=h.topic, seq=h.seq)
                return EventHead(topic=h.topic, type=h.type, seq=h.seq)
    return read_head(data)


def _cut(before: bytes, data: bytes, c: int, end: int) -> _Before | None:
    try:
        return _read_before((before + _CLOSED) if c == end else (before + _STAND_IN + data[c:]))
    except msgspec.DecodeError:
        return None


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
