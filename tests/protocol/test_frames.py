import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import (
    LAZY_SUMMARY_BYTES,
    MAX_PING_PAYLOAD,
    DecodeError,
    Error,
    Event,
    Ping,
    Pong,
    Subscribe,
    Unsubscribe,
    decode,
    encode,
    summarize,
    try_decode,
)
from inspector.protocol.kinds import Kind, kind_name, kind_of

json_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text()
                | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12)
topics = st.from_regex(r"[a-z0-9._-]{1,40}", fullmatch=True)
ids = st.none() | st.integers(0, 2**32 - 1)

events = st.builds(Event, topics, st.sampled_from(["message", "presence"]), st.integers(0, 2**53), json_values,
                   st.none() | st.integers(0, 2**40))
frames = st.one_of(
    st.builds(Subscribe, topics, st.none() | st.text(), ids),
    st.builds(Unsubscribe, topics, ids),
    events,
    st.builds(Ping, st.binary(max_size=MAX_PING_PAYLOAD)),
    st.builds(Pong, st.binary(max_size=MAX_PING_PAYLOAD)),
    st.builds(Error, st.text(min_size=1), st.text(), st.none() | st.integers(0, 2**32 - 1)),
)


@given(frames)
def test_round_trip(frame):
    data = encode(frame)
    assert data[0] == frame.kind
    assert decode(data) == frame


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_decode_error(data):
    try:
        frame = decode(data)
    except DecodeError as exc:
        assert exc.code in ("bad_frame", "unknown_kind")
        assert exc.message
    else:
        assert encode(frame)[0] == data[0]


@settings(max_examples=300)
@given(st.sampled_from([0x01, 0x02, 0x10, 0xFF]), json_values)
def test_any_json_body_only_decode_error(kind, value):
    data = bytes([kind]) + json.dumps(value).encode()
    result = try_decode(data)
    assert isinstance(result, (DecodeError, Subscribe, Unsubscribe, Event, Error))


def test_event_wire_shape_matches_spec():
    ev = Event("orders.eu", "message", 1764300000123, {"id": "o-1", "total": 250}, seq=42)
    data = encode(ev)
    assert data[0] == 0x10
    assert json.loads(data[1:]) == {"topic": "orders.eu", "type": "message", "seq": 42, "ts": 1764300000123,
                                    "data": {"id": "o-1", "total": 250}}


def test_presence_event_has_no_seq():
    ev = Event("chat", "presence", 5, {"action": "join", "member": "c-1", "members": 4})
    assert "seq" not in json.loads(encode(ev)[1:])


@pytest.mark.parametrize(
    "data, code, words",
    [
        (b"", "bad_frame", "empty"),
        (b"\x7a{}", "unknown_kind", "0x7A"),
        (b"\x01", "bad_frame", "not JSON"),
        (b"\x01[1]", "bad_frame", "array"),
        (b"\x01{}", "bad_frame", "'topic'"),
        (b'\x01{"topic": 5}', "bad_frame", "string"),
        (b'\x01{"topic": "a", "id": -1}', "bad_frame", "'id'"),
        (b'\x01{"topic": "a", "id": 4294967296}', "bad_frame", "'id'"),
        (b'\x01{"topic": "a", "id": true}', "bad_frame", "'id'"),
        (b'\x01{"topic": "a", "filter": 3}', "bad_frame", "'filter'"),
        (b"\x01\xff\xfe", "bad_frame", "UTF-8"),
        (b'\x01{"topic": NaN}', "bad_frame", "not JSON"),
        (b"\x10{}", "bad_frame", "'topic'"),
        (b'\x10{"topic":"a","type":"message","ts":"x","data":1}', "bad_frame", "'ts'"),
        (b'\x10{"topic":"a","type":"message","ts":1}', "bad_frame", "'data'"),
        (b"\x20" + b"x" * 65, "bad_frame", "at most 64"),
        (b'\xff{"message":"x"}', "bad_frame", "'code'"),
        (b"\x01" + b"[" * 100000, "bad_frame", ""),
        (b'\x01{"topic": "a"} x', "bad_frame", "Extra data"),
        (b'\x01 {"topic": "a"}}', "bad_frame", "Extra data"),
    ],
)
def test_decode_errors_name_the_reason(data, code, words):
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert info.value.code == code
    assert words in info.value.message


def test_text_frame_is_bad_frame():
    with pytest.raises(DecodeError) as info:
        decode("\x01{}")  # type: ignore[arg-type]
    assert info.value.code == "bad_frame"


def test_null_optional_fields_are_absent():
    assert decode(b'\x01{"topic":"a","filter":null,"id":null}') == Subscribe("a")


def test_u2028_round_trips():
    ev = Event("a", "message", 1, {"text": "line\u2028sep\u2029 \x00 ☃"}, 1)
    assert decode(encode(ev)) == ev


def test_ping_payload_limit_on_encode():
    with pytest.raises(ValueError):
        encode(Ping(b"x" * 65))


def test_summaries():
    assert "invalid_topic" in summarize(Error("invalid_topic", "bad", 7))
    assert "ref 7" in summarize(Error("invalid_topic", "bad", 7))
    assert summarize(Ping(b"\x00\x01")) == "0001"
    assert summarize(try_decode(b"")).startswith("undecodable")
    long = summarize(Event("a", "message", 1, {"x": "y" * 500}, 1))
    assert len(long) < 200


@given(json_values | st.lists(st.text(min_size=30), min_size=3, max_size=8))
@settings(max_examples=300)
def test_event_summary_is_the_clipped_compact_json_of_its_data(data):
    """Encoded lazily, the summary still reads exactly as the whole body dumped and clipped."""
    whole = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    expected = whole if len(whole) <= 120 else whole[:117] + "..."
    event = Event("a", "message", 1, data, 1)
    assert summarize(event) == f"message {expected}"  # encoded whole
    assert summarize(event, LAZY_SUMMARY_BYTES + 1) == f"message {expected}"  # encoded lazily


def test_kind_names():
    assert kind_of(0x10) is Kind.EVENT
    assert kind_of(0x7A) is None
    assert kind_name(0xFF) == "ERROR"
    assert kind_name(0x7A) == "0x7A?"
