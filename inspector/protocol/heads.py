"""Reading an EVENT's head (topic, type, seq) without decoding its body.

The one place that knows what an EVENT head looks like on the wire. The fast
path reads the spec's member order (``topic``, ``type``, optional ``seq``, ``ts``)
with any JSON whitespace; every other layout (key order, escapes, ``seq`` as
anything but a plain integer) is left to ``decode``, which is always right.

The contract: when ``decode`` accepts a frame as an Event whose members have
unique names, a head read here is exactly its (topic, type, seq). Names SHOULD be
unique (RFC 8259); with a repeated top-level ``topic``, ``type`` or ``seq`` the head
is the first and ``decode`` keeps the last, and the detail pane shows the decoded
body. Ruling that out would mean scanning every body, and a nested key of ``data``
(``{"type": "paid"}``) cannot be told from a top-level one without parsing. A frame
``decode`` rejects may still get a head (its body is not validated): consumers that
need certainty decode it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from inspector.protocol.frames import Event, try_decode
from inspector.protocol.kinds import Kind

_WS = rb"[ \t\n\r]*"  # JSON's whitespace (not \s: that also takes \v and \f)
_STR = rb'"([^"\\\x00-\x1f]*)"'  # a string without escapes
_INT = rb"(-?(?:0|[1-9][0-9]*))"


def _member(key: bytes, value: bytes) -> bytes:
    return _WS + b'"' + key + b'"' + _WS + b":" + _WS + value + _WS


_OPEN = rb"\x10" + _WS + rb"\{"
_TOPIC_TYPE = _member(b"topic", _STR) + b"," + _member(b"type", _STR) + b","

# Groups: 1 topic, 2 type, 3 seq (None when absent or null). Ends after '"ts":'.
EVENT_HEAD = re.compile(_OPEN + _TOPIC_TYPE + rb"(?:" + _member(b"seq", rb"(?:" + _INT + rb"|null)") + rb",)?"
                        + _WS + rb'"ts"' + _WS + rb":")
_MESSAGE_HEAD = re.compile(_OPEN + _member(b"topic", rb'"[^"\\\x00-\x1f]*"') + b","
                           + _member(b"type", rb'"message"'))


class EventHead(NamedTuple):
    topic: str
    type: str
    seq: int | None


def peek_event(data: bytes) -> EventHead | None:
    """The head of an EVENT in the spec's member order, or None: then ``decode`` it."""
    m = EVENT_HEAD.match(data)
    if m is None or not ends_as_object(data):
        return None
    topic, type_, seq = m.groups()
    try:
        return EventHead(topic.decode("utf-8"), type_.decode("utf-8"), None if seq is None else int(seq))
    except UnicodeDecodeError:  # decode rejects the whole body
        return None


def event_head(data: bytes) -> EventHead | None:
    """The head of any EVENT ``decode`` accepts (peeked when it can be). None when the frame
    is not one, except that a peeked head's body is not validated (see the module)."""
    head = peek_event(data)
    if head is not None or data[:1] != bytes((Kind.EVENT,)):
        return head
    frame = try_decode(data)
    return EventHead(frame.topic, frame.type, frame.seq) if type(frame) is Event else None


def peek_events(datas: list[bytes]) -> list[EventHead | None]:
    """``peek_event`` for many frames (the reference the vectorised readers match)."""
    return [peek_event(d) for d in datas]


def is_message_head(data: bytes) -> bool:
    """True when ``decode`` would give a message EVENT, or fail: nothing to act on.

    Cheaper than ``peek_event`` (no topic or seq); False means: decode and look.
    """
    return _MESSAGE_HEAD.match(data) is not None


def ends_as_object(data: bytes) -> bool:
    """Whether the last byte that is not JSON whitespace closes an object (a cut frame seldom does)."""
    return data[-1:] == b"}" or data.rstrip(b" \t\n\r")[-1:] == b"}"
