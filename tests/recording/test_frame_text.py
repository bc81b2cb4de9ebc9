"""frames_text (the sink's bulk lines) against frame_line: the same bytes, times read back exactly."""

from __future__ import annotations

import base64
import json
import math

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.recording.format import frame_line, times_text
from inspector.recording.frame_text import frames_text

START = 1_795_000_000.0  # 2026
ERA = st.floats(min_value=2.0**30, max_value=2.0**31, exclude_max=True)


def reference(start, ts, datas, conns, outs, texts) -> bytes:
    n = len(ts)
    full = [(c * n if len(c) == 1 else c) for c in (conns, outs, texts)]
    lines = (frame_line(w, start, c, o, x, d) for w, d, c, o, x in zip(ts, datas, *full, strict=True))
    return "".join(lines).encode("ascii")


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=2e7), st.binary(max_size=40),
                          st.sampled_from(['"c1"', '"c2"', '"we%ird\\"c%s"']), st.booleans(), st.booleans()),
                min_size=1, max_size=60),
       st.booleans())
def test_same_bytes_as_frame_line(rows, uniform):
    ts = [START + dt for dt, *_ in rows]  # offsets of every width, 0 to 2e7 s
    datas = [d for _, d, *_ in rows]
    if uniform:
        conns, outs, texts = (rows[0][2],), (rows[0][3],), (rows[0][4],)
    else:
        conns, outs, texts = ([r[i] for r in rows] for i in (2, 3, 4))
    text = frames_text(START, ts, datas, conns, outs, texts)
    assert text == reference(START, ts, datas, conns, outs, texts)
    lines = text.splitlines()
    assert len(lines) == len(rows)
    for line, w, d in zip(lines, ts, datas, strict=True):
        rec = json.loads(line)
        assert rec["w"] == w  # the very same float
        assert abs(rec["t"] - (w - START)) <= 5.1e-7  # 6 places, plus the float error of a large offset
        assert rec["b"] == base64.b64encode(d).decode()


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(2000), deadline=None)
@given(ERA)
def test_seven_places_read_back_exactly(w):
    head = times_text(w, 2.0**30)
    wall = head.split('"w":')[1]
    assert len(wall.split(".")[1]) == 7 and float(wall) == w
    assert frames_text(2.0**30, [w], [b""], ('"c"',), (False,), (False,)).startswith(b"{" + head.encode())


def test_the_last_step_of_a_second_does_not_carry():
    w = math.nextafter(1_795_000_001.0, 0)  # 2**-22 s before the next second: .99999976
    text = frames_text(START, [w], [b"\x10"], ('"c1"',), (False,), (False,))
    assert b'"w":1795000000.9999998,' in text and b'"t":1.000000,' in text
    assert json.loads(text)["w"] == w
    nxt = frames_text(START, [1_795_000_001.0], [b"\x10"], ('"c1"',), (False,), (False,))
    assert b'"w":1795000001.0000000,' in nxt


def test_times_it_cannot_take_are_left_to_frame_line():
    one = ('"c1"',), (False,), (False,)
    for ts in ([START - 1.0], [float("nan")], [float("inf")], [2.0**31], [1e9], [START, 5.0], [1, 2]):
        assert frames_text(START, ts, [b"x"] * len(ts), *one) is None
    # and frame_line itself still writes them: shortest repr, non-finite as null
    assert frame_line(float("nan"), START, '"c1"', False, False, b"").startswith('{"t":0.000000,"w":null,')
    assert frame_line(2.0**31 + 0.5, START, '"c1"', True, False, b"").startswith(
        '{"t":%.6f,"w":2147483648.5,' % (2.0**31 + 0.5 - START))
