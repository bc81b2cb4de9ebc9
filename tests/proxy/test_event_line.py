"""The log's short way for a whole EVENT frame (proxy/event_line) writes the very line the
standard way writes, byte for byte, --json and plain, for any body however a server writes it
(key order, spacing, escapes, characters beyond ASCII, numbers of every spelling, duplicate
keys, bodies that are not an EVENT's); and the usual frames do take the short way."""

from __future__ import annotations

import json

import pytest
from framegen import spliced_event
from fuzz_budget import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inspector.proxy.checks import Violation
from inspector.proxy.event_line import EventLines
from inspector.proxy.frame_log import FrameLog
from inspector.proxy.wire import RawFrame

pytestmark = pytest.mark.slow

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["°", "\U0001F389", "\u2028", "\x7f", "1e5", "0.00001", 'q"\\', "x" * 130]))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                      max_leaves=30)
writers = st.fixed_dictionaries({"ensure_ascii": st.booleans(), "indent": st.none() | st.integers(0, 2),
                                 "separators": st.sampled_from([None, (",", ":"), (" , ", " : ")])})
# members json.dumps never writes, spliced in
odd_members = st.lists(st.sampled_from([
    '"x": 1e400', '"x": 1E2', '"x": -0', '"x": 1e16', '"x": 1.0000001', '"x": "\\ud800"', '"x": "\\u00e9\\/"',
    '"data": 2', '"topic": "dup"', '"seq": 3', '"seq": true', '"ts": 1.5', '"type": 7', '"x": "\x7f"',
    '"data": {"big": 1e16, "pad": "' + "y" * 200 + '"}']), max_size=3)
event_members = st.fixed_dictionaries(
    {"topic": st.text(max_size=8), "type": st.text(max_size=8), "ts": st.integers(0, 2**53), "data": values},
    optional={"seq": st.integers(0, 2**70), "extra": values}).flatmap(
    lambda d: st.permutations(list(d.items())).map(dict))
names = st.sampled_from(["127.0.0.1:5000", "[::1]:2", "é:3", 'q"\\:1', "h\udcff:1"])


def both_ways(payload: bytes, as_json: bool, c2s: bool, client: str, t: float) -> tuple[list[str], str]:
    """The line ``frame`` writes and the one the standard way writes."""
    lines: list[str] = []
    log = FrameLog("7", client, "up.example:443", as_json, lines.append)
    frame = RawFrame(0x2, payload, masked=c2s)
    log.frame(c2s, frame, t=t)
    return lines, FrameLog("7", client, "up.example:443", as_json, lines.append).standard_line(c2s, frame, None,
                                                                                              None, t)


@settings(max_examples=examples(1200), deadline=None)
@given(event_members, writers, odd_members, st.booleans(), st.booleans(), names,
       st.sampled_from([1764300000.25, 0.1, 1e22, float("inf")]))
@example({"topic": "a", "type": "t", "ts": 1, "data": {"p": 1e16}}, {}, [], True, False, "c:1", 1.5)
@example({"topic": "a", "type": "t", "ts": 1, "data": ["°" * 130, 1e-7]}, {}, [], True, False, "c:1", 1.5)
@example({"topic": "a", "type": "t", "ts": 1, "data": "x" * 5000}, {}, [], True, True, "c:1", 1.5)
def test_the_short_way_writes_the_standard_line(members, writer, odd, as_json, c2s, client, t) -> None:
    lines, standard = both_ways(spliced_event(members, writer, odd), as_json, c2s, client, t)
    assert lines == [standard]


@settings(max_examples=examples(400), deadline=None)
@given(st.binary(max_size=64), st.sampled_from([0x10, 0x20, 0xFF]), st.booleans())
def test_any_bytes_give_the_standard_line(tail: bytes, kind: int, as_json: bool) -> None:
    lines, standard = both_ways(bytes((kind,)) + tail, as_json, False, "c:1", 2.5)
    assert lines == [standard]


def test_the_usual_event_takes_the_short_way() -> None:
    payload = (b'\x10{"topic":"a.b","type":"message","seq":3,"ts":17,"data":{"name":"item n\\u00b0",'
               b'"px":1.25,"pad":"' + b"z" * 150 + b'"}}')
    lines = EventLines("1", "c:1", "up:80", False)
    made = lines.json(payload, 1.5)
    assert made is not None and json.loads(made)["summary"].startswith('message {"name":"item n\u00b0"')
    assert lines.text(payload) is not None


def test_a_frame_with_something_to_say_goes_the_standard_way() -> None:
    """A violation or a rule's action is in the line (the short way writes neither), and so are the
    FIN and RSV bits."""
    payload = b'\x10{"topic":"a","type":"t","ts":1,"data":2}'
    lines: list[str] = []
    log = FrameLog("1", "c:1", "up:80", True, lines.append)
    log.frame(False, RawFrame(0x2, payload), Violation(1002, "odd"), "pass", t=1.0)
    log.frame(False, RawFrame(0x2, payload, rsv=4), t=1.0)
    first, second = (json.loads(line) for line in lines)
    assert (first["violation"]["code"], first["action"], second["rsv"]) == (1002, "pass", 4)


def test_frames_one_after_another_each_carry_their_own_time() -> None:
    """The short way writes a time once for the frames that share it (one read's): each line
    still carries its frame's own, however the times follow one another (0.0 and -0.0 too)."""
    payload = b'\x10{"topic":"a","type":"t","ts":1,"data":2}'
    lines: list[str] = []
    log = FrameLog("1", "c:1", "up:80", True, lines.append)
    times = [1.5, 1.5, 0.0, -0.0, -0.0, 0.0, 2.25, float("nan"), 2.25, float("inf"), 1e22]
    for t in times:
        log.frame(False, RawFrame(0x2, payload), t=t)
    assert lines == [log.standard_line(False, RawFrame(0x2, payload), None, None, t) for t in times]
