"""summarize_bytes reads a large EVENT body by levels: its answer (the summary line, and whether
the frame is undecodable) is the whole decode's, for any body however a server writes it (key
order, spacing, escapes, repeated members, huge numbers, lone surrogates, deep nesting, damage).
The thresholds are lowered so that every body, even a short one, goes by levels."""

import json
import sys

import pytest
from damage import damaged
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import inspector.protocol.summaries as summaries
from inspector.protocol.frames import DecodeError, summarize, try_decode
from inspector.protocol.summaries import LEVELS_FROM, summarize_bytes

pytestmark = pytest.mark.slow

json_scalars = (st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.text()
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=6) | st.dictionaries(st.text(max_size=8), c, max_size=6),
    max_leaves=30)
odd_pieces = st.sampled_from([
    "1e400", "-1e400", "1.5e-400", "NaN", "Infinity", "-0", "-0.0", "1E2", "01", "1.", ".5", "9" * 4400,
    '"\\ud800"', '"\\udc00\\ud800"', '"\\u00e9"', '"\\/"', '"\x7f"', '"\t"', '"\\u0000"', "[" * 40 + "]" * 40,
    "[" * 3000 + "]" * 3000, "true", "false", "null", '"a"', "{}", "[]", "1.0", "12345678901234567890123"])
writers = st.fixed_dictionaries({"ensure_ascii": st.booleans(), "indent": st.none() | st.integers(0, 2),
                                 "separators": st.sampled_from([None, (",", ":"), (" , ", " : "), (",\t", ":\n")])})
ENVELOPE = ("topic", "type", "seq", "ts", "data")


def whole(data: bytes) -> tuple[str, bool]:
    """The answer of the whole decode, from as deep in the stack as ``by_levels``'s (at the
    recursion limit, one frame more or less changes what any decode accepts)."""
    return summarize_bytes(data, levels_from=sys.maxsize)


def by_levels(data: bytes) -> tuple[str, bool]:
    """By levels, every array split a few items at a time too: from its first comma on, with one
    try or many at each cut (the answer is the same however far an array was split)."""
    answer = summarize_bytes(data, levels_from=0, whole_below=0)
    kept = summaries._FIRST_CUT, summaries._TRIES
    try:
        for summaries._FIRST_CUT, summaries._TRIES in ((1, 1), (1, 1000), (7, 3)):
            assert summarize_bytes(data, levels_from=0, whole_below=0) == answer
    finally:
        summaries._FIRST_CUT, summaries._TRIES = kept
    return answer


def _encode(text: str) -> bytes:
    return b"\x10" + text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes UTF-8 does not allow


members = st.fixed_dictionaries({
    "topic": st.just("t") | st.text(max_size=6) | json_values,
    "type": st.sampled_from(["message", "presence", "x"]) | json_values,
    "seq": st.integers(-5, 2**64) | st.none() | json_values,
    "ts": st.integers(0, 2**70) | st.booleans() | json_values,
    "data": json_values,
})


@settings(max_examples=examples(1000), deadline=None)
@given(members, st.permutations(ENVELOPE), st.lists(st.sampled_from(ENVELOPE), max_size=3), st.data(), writers)
def test_any_event_in_any_order_spacing_and_escapes(values, order, missing, data, writer):
    body = {k: values[k] for k in order if k not in missing}
    extra = data.draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3))
    body.update({k: v for k, v in extra.items() if k not in ENVELOPE})
    text = _encode(json.dumps(body, **writer))
    assert by_levels(text) == whole(text)


@settings(max_examples=examples(800), deadline=None)
@given(members, st.sampled_from((*ENVELOPE, "other")), odd_pieces, st.booleans(), st.sampled_from(["", " ", "\n"]))
def test_numbers_escapes_and_repeats_other_writers_use(values, name, piece, before, space):
    """A member written as ``piece`` (odd numbers, escapes, nesting), repeated before or after
    the member of the same name, or inside the data."""
    text = json.dumps(values)
    odd = f"{space}{json.dumps(name)}{space}:{space}{piece}{space}"
    if name == "data":  # inside the data as well as in place of it
        inner = "{" + odd + "}"
        body = "{" + odd + "," + text[1:] if before else text[:-1] + ',"data":' + inner + "}"
    else:
        body = "{" + odd + "," + text[1:] if before else text[:-1] + "," + odd + "}"
    data = _encode(body)
    assert by_levels(data) == whole(data)


@settings(max_examples=examples(800), deadline=None)
@given(members, st.data())
def test_damaged_bodies(values, data):
    body = damaged(_encode(json.dumps(values, ensure_ascii=data.draw(st.booleans()))), data, keep=1)
    assert by_levels(body) == whole(body)


@given(st.binary(max_size=300).map(lambda b: b"\x10" + b))
def test_the_whole_decode_is_try_decode_and_summarize(body):
    frame = try_decode(body)
    assert whole(body) == (summarize(frame, len(body)), isinstance(frame, DecodeError))


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(body):
    for data in (body, b"\x10" + body):
        assert by_levels(data) == whole(data)


def _event(data_json: str, extra: str = "") -> bytes:
    return _encode('{"topic":"t","type":"message","ts":1,' + extra + '"data":' + data_json + "}")


@pytest.mark.parametrize("data", [
    _event("[" + ",".join(json.dumps({"id": k, "name": f"row {k}", "v": k * 0.5}) for k in range(400)) + "]"),
    _event('{"a":1,"b":[1,2],"a":{"x":"y"}}'),                     # a repeated member: first place, last value
    _event('{"\\u00e9":1,"\xc3\xa9":2}'.encode("latin-1").decode("utf-8")),
    _event("1", '"data":{"x":1},'),                                 # the envelope's member repeated
    _event('{"a":1}', '"other":' + "9" * 5000 + ","),               # an integer the standard library refuses
    _event('{"a":1}', '"other":"' + "9" * 5000 + '",'),             # digits in a string are text
    _event('{"a":' + "9" * 4300 + "}"),
    _event('{"a":1}', '"other":"\xed\xa0\x80",'.encode("latin-1").decode("latin-1")),
    _event('{"a":1e400,"b":"x"}'),
    _event('"' + "x" * 5000 + '"'),
    _event('{"a":"\\ud800"}'),
], ids=["rows", "repeat", "escaped-key", "envelope-repeat", "huge-int", "digit-string", "4300-digits",
        "bad-utf8", "inf", "long-string", "lone-surrogate"])
def test_bodies_the_whole_decode_reads_its_own_way(data):
    assert summarize_bytes(data) == whole(data)
    assert by_levels(data) == whole(data)


def test_a_large_body_goes_by_levels_at_the_default_thresholds():
    rows = [{"id": k, "name": f"row-{k:05d}", "ok": k % 3 == 0, "score": k * 0.125} for k in range(200)]
    data = b"\x10" + json.dumps({"type": "message", "topic": "t", "seq": 3, "ts": 1, "data": {"rows": rows}}).encode()
    assert len(data) > LEVELS_FROM
    assert summarize_bytes(data) == whole(data)
    assert summarize_bytes(data)[0].startswith('message {"rows":[{"id":0,')


@pytest.mark.parametrize("margin", range(-12, 13, 3))
def test_nesting_near_the_recursion_limit(margin):
    """msgspec counts nesting against the recursion limit: a body that the whole decode finds
    too deep is not summarised by levels (each is called from here, as deep in the stack)."""
    depth = sys.getrecursionlimit() - 40 + margin

    def at(frames: int, data: bytes, fn):  # run ``fn`` about ``depth`` frames down: at the edge
        return fn(data) if frames <= 0 else at(frames - 1, data, fn)
    shown = ",".join(["12345"] * 30)  # the line shows these; the deep part after them is only checked
    for d in range(depth - 60, depth):
        data = _event("[" + shown + "," + "[" * d + "]" * d + "]")
        assert at(depth - d, data, by_levels) == at(depth - d, data, whole)
