"""EVENT heads read without a decode: exact for every layout decode accepts."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import Event, encode, try_decode
from inspector.protocol.heads import EventHead, event_head, is_message_head, peek_event, peek_events

json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text() | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12)
nested_keys = st.sampled_from(["topic", "type", "seq", "ts", "data", "x"])
data_values = json_values | st.dictionaries(nested_keys, json_values, max_size=4)


def body(topic="orders.eu", type_="message", seq=42, ts=1764300000123, data=None, order=None) -> dict:
    out = {"topic": topic, "type": type_, "seq": seq, "ts": ts, "data": {"id": "o-1"} if data is None else data}
    if seq is None:
        del out["seq"]
    if order is not None:
        out = {k: out[k] for k in order if k in out}
    return out


def frame(obj, **dumps) -> bytes:
    return b"\x10" + json.dumps(obj, **dumps).encode("utf-8")


def decoded_head(data: bytes):
    f = try_decode(data)
    return EventHead(f.topic, f.type, f.seq) if isinstance(f, Event) else None


# ---------------------------------------------------------------- the fast path reads other servers' spacing

@pytest.mark.parametrize("dumps", [
    {"separators": (",", ":")},          # compact (ours)
    {},                                  # json.dumps defaults: ", " and ": " (the spec's example)
    {"indent": 2},                       # pretty-printed, newlines
    {"indent": "\t", "separators": (" ,", " : ")},
])
def test_spec_order_is_peeked_with_any_whitespace(dumps):
    data = frame(body(), **dumps)
    assert peek_event(data) == EventHead("orders.eu", "message", 42)
    assert is_message_head(data)


def test_whitespace_around_the_object_and_no_seq():
    data = b'\x10 \r\n\t{ "topic" : "a" , "type" : "presence" , "ts" : 1 , "data" : {} } \n'
    assert peek_event(data) == EventHead("a", "presence", None) == decoded_head(data)
    assert not is_message_head(data)


def test_seq_null_negative_and_huge():
    assert peek_event(b'\x10{"topic":"a","type":"message","seq":null,"ts":1,"data":1}') == EventHead("a", "message",
                                                                                                   None)
    assert peek_event(b'\x10{"topic":"a","type":"message","seq":-3,"ts":1,"data":1}').seq == -3
    big = 2**80
    assert peek_event(frame(body(seq=big))).seq == big == try_decode(frame(body(seq=big))).seq


def test_unescaped_unicode_topic_and_any_type():
    data = frame(body(topic="café/ü", type_="custom"), ensure_ascii=False)
    assert peek_event(data) == EventHead("café/ü", "custom", 42) == decoded_head(data)


# ---------------------------------------------------------------- what the fast path leaves to decode

@pytest.mark.parametrize("data, head", [
    (frame(body(order=["type", "topic", "seq", "ts", "data"])), EventHead("orders.eu", "message", 42)),
    (frame(body(), sort_keys=True), EventHead("orders.eu", "message", 42)),               # data first
    (frame(body(topic="café")), EventHead("café", "message", 42)),                        # ensure_ascii: caf\u00e9
    (b'\x10{"topic":"orders\\u002eeu","type":"message","seq":1,"ts":1,"data":1}', EventHead("orders.eu", "message", 1)),
    (b'\x10{"topic":"a\\/b","type":"message","ts":1,"data":1}', EventHead("a/b", "message", None)),
    (b'\x10{"topic":"a","type":"mess\\u0061ge","seq":1,"ts":1,"data":1}', EventHead("a", "message", 1)),
])
def test_other_layouts_are_decoded_and_read_exactly(data, head):
    assert peek_event(data) is None
    assert event_head(data) == head == decoded_head(data)
    assert is_message_head(data) is False or head.type == "message"


def test_nested_keys_of_data_like_the_heads_are_read_directly():
    data = frame(body(data={"seq": 7, "type": "order", "topic": "x"}))
    assert peek_event(data) == EventHead("orders.eu", "message", 42) == decoded_head(data)
    assert is_message_head(data)
    assert is_message_head(b'\x10{"topic":"a","type":"message","ts":1,"data":"caf\\u00e9 \\u4e2d"}')


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1,"seq":5}',
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1,"type":"presence"}',
])
def test_a_repeated_member_name_gives_the_first_head_as_documented(data):
    """Names SHOULD be unique (RFC 8259); with a repeat the head is the first one, decode keeps the last."""
    first = peek_event(data)
    assert first is not None and (first.seq, first.type) == (1, "message")
    assert decoded_head(data) != first


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","seq":01,"ts":1,"data":1}',   # not JSON
    b'\x10{"topic":"a","type":"message","seq":1.0,"ts":1,"data":1}',  # not an integer
    b'\x10{"topic":"a","type":"message","seq":"1","ts":1,"data":1}',
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1',     # truncated
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":{"x":',
    b'\x10{"topic":"a","type":"message","seq":1,"ts"',
    b'\x10{"topic":"a","type":"message"',
    b'\x10{"topic":"a\x01","type":"message","seq":1,"ts":1,"data":1}',  # raw control character
    b'\x10\x0b{"topic":"a","type":"message","seq":1,"ts":1,"data":1}',  # \v is not JSON whitespace
    b'\x10{"topic":"\xff","type":"message","seq":1,"ts":1,"data":1}',  # not UTF-8
    b'\x01{"topic":"a"}',
    b"\x10",
    b"",
])
def test_frames_decode_rejects_get_no_head_here(data):
    assert peek_event(data) is None
    assert event_head(data) is None


def test_truncated_at_every_byte():
    data = frame(body(data={"items": [1, 2, {"k": "v"}]}))
    for cut in range(len(data)):
        head = peek_event(data[:cut])
        assert head is None or decoded_head(data[:cut]) in (None, head)  # a cut frame seldom ends in '}'
        assert event_head(data[:cut]) in (None, head) if head else True


def test_bulk_form_is_frame_by_frame():
    datas = [frame(body(seq=i)) for i in range(3)] + [frame(body(), sort_keys=True), b"\x20"]
    assert peek_events(datas) == [EventHead("orders.eu", "message", i) for i in range(3)] + [None, None]


# ---------------------------------------------------------------- properties

@st.composite
def written_events(draw):
    """An EVENT as some server might write it: any key order, spacing and escaping."""
    obj = {"topic": draw(st.text(max_size=12)), "type": draw(st.sampled_from(["message", "presence"]) | st.text()),
           "ts": draw(st.integers(-(2**63), 2**63)), "data": draw(data_values)}
    if draw(st.booleans()):
        obj["seq"] = draw(st.none() | st.integers(-(2**70), 2**70))
    keys = list(obj)
    spec_order = draw(st.booleans())
    if spec_order:
        keys = ["topic", "type"] + [k for k in ("seq", "ts", "data") if k in obj]
    else:
        random.Random(draw(st.integers(0, 1000))).shuffle(keys)
    spacing = draw(st.sampled_from([{"separators": (",", ":")}, {}, {"indent": 1}, {"separators": ("\t,\n", " :\r")}]))
    ascii_only = draw(st.booleans())
    text = json.dumps({k: obj[k] for k in keys}, ensure_ascii=ascii_only, **spacing)
    data = b"\x10" + draw(st.sampled_from(["", " ", "\n"])).encode() + text.encode("utf-8", "surrogatepass")
    plain = (spec_order and not ascii_only and not _has_head_keys(obj["data"])
             and all(json.dumps(v, ensure_ascii=False) == f'"{v}"' for v in (obj["topic"], obj["type"])))
    return data, obj, plain


@settings(max_examples=400)
@given(written_events())
def test_peek_agrees_with_a_full_decode(case):
    data, obj, plain = case
    expected = decoded_head(data)
    head = peek_event(data)
    assert head is None or expected is None or head == expected
    assert event_head(data) == (expected or head)
    if plain and expected is not None:  # the spec's order, nothing escaped: the fast path reads it
        assert head == expected
    if expected is not None:
        assert expected == EventHead(obj["topic"], obj["type"], obj.get("seq"))
        assert not is_message_head(data) or expected.type == "message"


@settings(max_examples=400)
@given(st.sampled_from([b'\x10{"topic":"a","type":"message","seq":1,"ts":', b'\x10 { "topic" : "a" , "type" : "x" ,',
                        b'\x10{"topic":"a","type":"message",']), st.binary(max_size=80))
def test_peek_never_raises_and_never_disagrees(prefix, rest):
    data = prefix + rest
    head = peek_event(data)
    expected = decoded_head(data)
    if head is not None and expected is not None:
        assert head == expected
    assert event_head(data) == (expected or head)  # a peeked head's body is not validated
    if is_message_head(data) and expected is not None:
        assert expected.type == "message"


@given(st.builds(Event, st.text(max_size=20), st.sampled_from(["message", "presence"]), st.integers(0, 2**53),
                 json_values, st.none() | st.integers(0, 2**40)))
def test_what_encode_writes_is_always_peeked(ev):
    data = encode(ev)
    head = peek_event(data)
    if '"' in ev.topic or "\\" in ev.topic or any(ord(c) < 32 for c in ev.topic) or _has_head_keys(ev.data):
        assert head is None or head == EventHead(ev.topic, ev.type, ev.seq)
    else:
        assert head == EventHead(ev.topic, ev.type, ev.seq)


def _has_head_keys(value) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return any(k in text for k in ('"topic"', '"type"', '"seq"')) or "\\u00" in text
