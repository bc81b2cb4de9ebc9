"""The fast way of writing a frame's line (msgspec, for tail --json and the proxy's log) means
what the standard library's way means, for any body however a server writes it: key order,
spacing, escapes, duplicate keys, huge and tiny numbers, characters beyond ASCII. "Means" is
parse-equal: the same objects, keys in the same order, 1, 1.0 and True told apart; and the line
stays one line of ASCII."""

from __future__ import annotations

import json
from typing import Any

import pytest
from framegen import spliced_event
from fuzz_budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.protocol.frames import Event, decode_json_object, decode_received, summarize
from inspector.protocol.json_output import json_line, json_record
from inspector.proxy.frame_log import FrameLog
from inspector.proxy.wire import RawFrame

pytestmark = pytest.mark.slow

_STANDARD = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)
_LOOSE = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))  # writes Infinity, which is not JSON


def standard_line(ev: FrameSeen, extra: dict[str, Any] | None = None) -> str:
    """The line as the standard library writes it: the body and summary made the standard way
    (decode_json_object, summarize), then json's own ASCII encoder."""
    record = json_record(ev)
    assert record is not None
    data = bytes(ev.data)
    frame = decode_received(data, ev.text)
    record["summary"] = summarize(frame, len(data))
    if isinstance(frame, Event):
        record["body"] = decode_json_object(memoryview(data)[1:])
    record.update(extra or {})
    try:
        return _STANDARD.encode(record)
    except ValueError:  # a number beyond a float's range: its meaning, in words JSON lacks
        return _LOOSE.encode(record)


def _not_json(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def meaning(line: str, strict: bool = True) -> str:
    """What a reader gets from a line, written so that 1, 1.0, True and -0.0, 0.0 and key order differ;
    ``strict``: the line is JSON (no Infinity or NaN)."""
    assert line.isascii() and "\n" not in line and "\r" not in line
    return repr(json.loads(line, parse_constant=_not_json if strict else None))


def as_standard(ev: FrameSeen) -> str:
    return standard_line(ev)


scalars = (st.none() | st.booleans() | st.integers(-(2**90), 2**90) | st.text()
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["\\x41", "a\\U0001F600", "\\\\x", "°\\x", "\U0001F389\\xff", "\u2028", "1e5", "0.00001"]))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                      max_leaves=24)
writers = st.fixed_dictionaries({"ensure_ascii": st.booleans(), "indent": st.none() | st.integers(0, 2),
                                 "separators": st.sampled_from([None, (",", ":"), (" , ", " : "), (",\t", ":\n")])})
# text json.dumps never writes, spliced in as a member of the body
odd_members = st.lists(st.sampled_from([
    '"x": 1e400', '"x": 1.5e-400', '"x": 1E2', '"x": -0', '"x": 9' + "9" * 30, '"x": "\\ud800"', '"x": "\\u00e9\\/"',
    '"data": 2', '"topic": "dup"', '"x": 1e16', '"x": 1e-7', '"x": [1.0e+5, 0.00012]', '"y": "\\u2028\\uD83D\\uDE00"',
    '"seq": 3', '"seq": true', '"ts": 1.5', '"x": "\x7f"']), max_size=3)


event_members = st.fixed_dictionaries(
    {"topic": st.text(max_size=8), "type": st.text(max_size=8), "ts": st.integers(0, 2**53), "data": values},
    optional={"seq": st.integers(0, 2**40), "extra": values}).flatmap(
    lambda d: st.permutations(list(d.items())).map(dict))


@settings(max_examples=examples(1200), deadline=None)
@given(event_members, writers, odd_members, st.booleans())
@example({"topic": "a", "type": "t", "ts": 1, "data": {"p": 1e16, "q": 1e-5}}, {}, [], False)
@example({"topic": "a", "type": "t", "ts": 1, "data": "°" * 130 + "\\x"}, {"ensure_ascii": False}, [], False)
@example({"topic": "a", "type": "t", "ts": 1, "data": ["x" * 115, 1.5e-7]}, {}, [], False)
def test_a_frames_fast_line_means_what_the_standard_line_means(members, writer, odd, outgoing) -> None:
    ev = FrameSeen("c1", 1764300000.25, OUT if outgoing else IN, spliced_event(members, writer, odd))
    standard = as_standard(ev)
    line = json_line(ev)
    assert line is not None
    assert meaning(line) == meaning(standard, strict=False)


@settings(max_examples=examples(400), deadline=None)
@given(st.binary(max_size=64), st.sampled_from([0x01, 0x02, 0x03, 0x10, 0x20, 0x21, 0x7F, 0xFF]), st.booleans())
def test_any_bytes_give_the_standard_meaning(tail: bytes, kind: int, text: bool) -> None:
    ev = FrameSeen("c1", 5.0, IN, bytes((kind,)) + tail, text=text)
    standard = as_standard(ev)
    line = json_line(ev)
    assert line is not None and meaning(line) == meaning(standard, strict=False)


@settings(max_examples=examples(400), deadline=None)
@given(event_members, writers, odd_members, st.sampled_from(["127.0.0.1:5000", "h\udcff:1", "[::1]:2", "é:3"]))
def test_the_proxys_line_means_what_the_standard_line_means(members, writer, odd, client) -> None:
    lines: list[str] = []
    payload = spliced_event(members, writer, odd)
    log = FrameLog("p1", client, "ws://up:80/x?token=***", True, lines.append)
    ev = FrameSeen("p1", 7.5, IN, payload)
    extra = {"direction": "s2c", "client": client, "upstream": "ws://up:80/x?token=***", "opcode": 2}
    standard = standard_line(ev, extra)
    log.frame(False, RawFrame(0x2, payload), t=7.5)
    assert meaning(lines[0]) == meaning(standard, strict=False)


def test_the_fast_line_is_the_standard_line_for_the_usual_event() -> None:
    payload = b'\x10{"topic":"a.b","type":"message","seq":3,"ts":17,"data":{"name":"item n\\u00b0 \\ud83c\\udf89",' \
              b'"px":1.25,"big":123456789012345678901234567890}}'
    ev = FrameSeen("c1", 1.5, IN, payload)
    assert json_line(ev) == standard_line(ev)


def test_numbers_beyond_a_floats_range_are_written_as_json_that_reads_back_as_infinity() -> None:
    body = b'{"topic":"a","type":"t","ts":1,"data":{"x":1e400,"y":[-1E+999,"\xc3\xa9"]},"z":-1e400}'
    for t in (1.5, float("inf")):
        line = json_line(FrameSeen("c1", t, IN, b"\x10" + body))
        assert line is not None and "1e999" in line
        got = json.loads(line, parse_constant=_not_json)
        assert got["t"] == t and got["body"] == {"topic": "a", "type": "t", "ts": 1,
                                                 "data": {"x": float("inf"), "y": [float("-inf"), "\u00e9"]},
                                                 "z": float("-inf")}
