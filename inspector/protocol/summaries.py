"""A received frame's one-line summary straight from its bytes, without decoding a large body whole.

``summarize_bytes(data)`` gives what ``summarize(try_decode(data), len(data))`` gives, and
whether the frame is undecodable, for every input. A summary shows the first 120
characters of an EVENT's data: for a body of many kilobytes, building every object of it
(the whole decode) costs far more than the line shown. So a large EVENT body is read by
levels instead: msgspec splits an object or array into its members as raw JSON (checked to
be JSON, nothing built), and only the members the line shows are split further or decoded;
an array only as far as the line takes its items (``_array_items``).
Repeated names keep their first place and last value, as in a decoded dict.

The checks ``decode`` does on a body are kept, by being conservative: the whole body must
be UTF-8, msgspec must find it well formed, its envelope must be an event's, and it must hold
no run of digits longer than the standard library reads as an integer; otherwise (or for any
surprise) the frame is decoded whole, as before. A scalar is decoded as ``decode`` would
(msgspec, else the standard library), so the text is the same character for character.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import msgspec

from inspector.protocol.frames import DecodeError, decode_json_object, summarize, summary_json, try_decode
from inspector.protocol.kinds import Kind

# Bodies above this many bytes are summarised by levels; below it one whole decode is quicker.
# The line that proves it: bench/bench_flood.py's "body8k" and "body60k" (paint decodes the
# rows shown during the flood).
LEVELS_FROM = 4096
SUMMARY_CHARS = 120
WHOLE_BELOW = 1024  # a value this short is decoded whole: one call instead of one per member
_MAX_DEPTH = 64  # deeper than this, the whole decode
_FIRST_CUT = 256  # bytes of a long array split first, a line's worth of items: bench_flood.py's "body8k", "body60k"
_TRIES = 8  # commas tried for a cut (inside the items' strings or members), then the whole array


class _Envelope(msgspec.Struct, gc=False):
    """An EVENT body as ``decode`` accepts it, its data left as raw JSON (other members skipped)."""

    topic: str
    type: str
    ts: int
    data: msgspec.Raw
    seq: int | None = None


_split_envelope = msgspec.json.Decoder(_Envelope).decode
_split_object = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_split_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
_EVENT = Kind.EVENT
_DIGITS = b"0123456789"
# Python frames between ``summarize_bytes`` and msgspec's parse on the whole-decode path, at
# least: msgspec counts nesting against the same recursion limit as Python frames, so a body
# parsed here no less deep in the stack than there is one that path's parse accepts too.
_DECODE_FRAMES = 5


class _Whole(Exception):
    """Not for the levels: decode the frame whole."""


def summarize_bytes(data: bytes, levels_from: int = LEVELS_FROM, whole_below: int = WHOLE_BELOW) -> tuple[str, bool]:
    """``summarize(try_decode(data), len(data))`` and whether the frame is undecodable (the
    thresholds are the tests' to lower)."""
    if len(data) > levels_from and data[0] == _EVENT:
        try:
            return _event_by_levels(data, whole_below), False
        except (_Whole, msgspec.DecodeError, DecodeError, RecursionError, ValueError):  # ValidationError too
            pass
    frame = try_decode(data)
    return summarize(frame, len(data)), isinstance(frame, DecodeError)


def _event_by_levels(data: bytes, whole_below: int) -> str:
    body = memoryview(data)[1:]
    try:
        str(body, "utf-8")
    except UnicodeDecodeError:
        raise _Whole from None
    limit = sys.get_int_max_str_digits()
    if limit and _digit_run_over(data, limit):
        raise _Whole
    envelope = _deeper(_DECODE_FRAMES, body)
    text = ""
    for chunk in _chunks(envelope.data, 0, whole_below):
        text += chunk
        if len(text) > SUMMARY_CHARS:
            break
    clipped = text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 3] + "..."
    return f"{envelope.type} {clipped}"


def _deeper(frames: int, body: memoryview) -> _Envelope:
    """``_split_envelope(body)`` called ``frames`` Python frames further down the stack."""
    return _split_envelope(body) if frames <= 0 else _deeper(frames - 1, body)


def _digit_run_over(data: bytes, limit: int) -> bool:
    """Whether ``data`` holds more than ``limit`` digits in a row (the standard library reads no
    such integer). Any ``limit + 1`` bytes in a row hold one whose index is a multiple of
    ``limit + 1``: only the runs through those are measured."""
    step = limit + 1
    for p in range(0, len(data), step):
        if data[p] in _DIGITS:
            right = data[p:p + step]
            left = data[max(0, p - step):p]
            run = len(right) - len(right.lstrip(_DIGITS)) + len(left) - len(left.rstrip(_DIGITS))
            if run > limit:
                return True
    return False


def _value(raw: msgspec.Raw) -> Any:
    """A member's value, decoded whole as ``decode`` reads it."""
    value = decode_json_object(b'{"v":' + bytes(raw) + b"}")["v"]
    return value


def _array_items(view: memoryview) -> Iterator[msgspec.Raw]:
    """The items of a well-formed JSON array, in order, split only as far as they are taken: a
    line shows the first few of what may be thousands. The array up to a comma, closed there,
    parses only when that comma is between items (inside a string or a nested value the close
    would leave it open); a few commas that are not, and the whole is split (the same items)."""
    data = bytes(view)
    taken, cut = 0, _FIRST_CUT
    while cut < len(data):
        comma = data.find(b",", cut)
        for _ in range(_TRIES):
            if comma < 0:
                break
            try:
                items = _split_array(data[:comma] + b"]")
            except msgspec.DecodeError:
                comma = data.find(b",", comma + 1)
            else:
                yield from items[taken:]
                taken, cut = len(items), 2 * comma
                break
        else:
            break
        if comma < 0:
            break
    yield from _split_array(data)[taken:]


def _chunks(raw: msgspec.Raw, depth: int, whole_below: int) -> Iterator[str]:
    """Compact JSON of the value ``raw`` holds, a piece at a time (as ``summary_json`` writes it)."""
    if depth > _MAX_DEPTH:
        raise _Whole
    view = memoryview(raw)
    first = bytes(view[:1]) if len(view) >= whole_below else b""
    if first == b"{":
        members = _split_object(view)
        if not members:
            yield "{}"
            return
        sep = "{"
        for key, value in members.items():
            yield sep + summary_json(key) + ":"
            sep = ","
            yield from _chunks(value, depth + 1, whole_below)
        yield "}"
    elif first == b"[":
        sep = "["
        for item in _array_items(view):
            yield sep
            sep = ","
            yield from _chunks(item, depth + 1, whole_below)
        yield "[]" if sep == "[" else "]"
    else:
        yield summary_json(_value(raw))
