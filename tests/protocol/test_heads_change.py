"""read_head: a head, and a presence join or leave whole, in one parse: what reading the head and
then the change gave, exactly, wherever a writer puts ``type`` and however it spaces and escapes
its JSON; and a change it reads is what decode reads."""

import json
import random

import msgspec
import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.frames import Event, try_decode
from inspector.protocol.heads import (
    UNION_MAX,
    EventHead,
    MemberChange,
    MemberChangeEvent,
    MessageHead,
    read_head,
)

_plain = msgspec.json.Decoder(EventHead).decode
_tagged = msgspec.json.Decoder(MessageHead | MemberChangeEvent).decode


def _parse(decode, data: bytes):
    if data[:1] != b"\x10":
        return None
    try:
        return decode(data[1:])
    except msgspec.DecodeError:
        return None


def two_parses(data: bytes):
    """What the client read before one parse did both: the head, then a presence join or leave
    of a short body whole."""
    head = _parse(_plain, data)
    if head is not None and head.type == "presence" and len(data) <= UNION_MAX:
        change = _parse(_tagged, data)
        if type(change) is MemberChangeEvent:
            return change
    return head


def as_read(head):
    """A message's head is a MessageHead from the one parse, an EventHead from classify: the
    same three values, which is what a consumer reads of it."""
    if type(head) is MessageHead:
        return EventHead(head.topic, head.type, head.seq)
    return head


def read_exactly(data: bytes):
    got = read_head(data)
    expected = two_parses(data)
    assert as_read(got) == expected and type(as_read(got)) is type(expected)
    if type(got) is MemberChangeEvent:
        change = {"action": got.data.action, "member": got.data.member, "members": got.data.members}
        assert try_decode(data) == Event(got.topic, got.type, got.ts, change, got.seq)
    return as_read(got)


JOIN = {"topic": "a", "type": "presence", "ts": 1, "data": {"action": "join", "member": "c-1", "members": 3}}
MESSAGE = {"topic": "a", "type": "message", "seq": 7, "ts": 1, "data": {"id": "o-1"}}
KEY_ORDERS = [None, ["type", "topic", "ts", "data", "seq"], ["data", "ts", "seq", "topic", "type"],
              ["ts", "type", "data", "seq", "topic"], ["seq", "data", "topic", "ts", "type"]]
SPACINGS = [{"separators": (",", ":")}, {}, {"indent": 2}, {"separators": (" ,\r\n", " :\t")}, {"sort_keys": True}]


def written(obj: dict, order, **dumps) -> bytes:
    if order is not None:
        obj = {k: obj[k] for k in order if k in obj}
    return b"\x10" + json.dumps(obj, **dumps).encode()


@pytest.mark.parametrize("dumps", SPACINGS)
@pytest.mark.parametrize("order", KEY_ORDERS)
def test_a_join_is_read_whole_wherever_type_is(order, dumps):
    got = read_exactly(written(JOIN, order, **dumps))
    assert got == MemberChangeEvent("a", 1, MemberChange("join", "c-1", 3), None) and got.type == "presence"


@pytest.mark.parametrize("dumps", SPACINGS)
@pytest.mark.parametrize("order", KEY_ORDERS)
def test_a_message_gets_its_head_wherever_type_is(order, dumps):
    assert read_exactly(written(MESSAGE, order, **dumps)) == EventHead("a", "message", 7)


@pytest.mark.parametrize("data", [
    # escaped tag values and members
    b'\x10{"topic":"a","type":"pr\\u0065sence","ts":1,"data":{"action":"leave","member":"c\\u00e9","members":2}}',
    b'\x10{"topic":"\\/a","type":"m\\u0065ssage","ts":1,"data":1}',
    # a repeated type: the last counts, as decode reads it
    b'\x10{"type":"message","topic":"a","ts":1,"data":{"action":"join","member":"c","members":1},"type":"presence"}',
    b'\x10{"type":"presence","topic":"a","ts":1,"data":{"action":"join","member":"c","members":1},"type":"message"}',
    b'\x10{"type":"presence","topic":"a","ts":1,"data":{"action":"join","member":"c","members":1},"type":"presence"}',
    b'\x10{"type":"message","topic":"a","type":"message","ts":1,"data":1}',
    b'\x10{"type":5,"topic":"a","type":"message","ts":1,"data":1}',
    # presence that is not a join or leave as the spec shapes one
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"sync","members":["c-1"]}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"sync","member":"c","members":1}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1,"x":1}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1},"x":1}',
    b'\x10{"topic":"a","type":"presence","ts":1.5,"data":{"action":"join","member":"c","members":1}}',
    b'\x10{"topic":"a","type":"presence","data":{"action":"join","member":"c","members":1}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"\xff","members":1}}',
    # other types, and messages with members classify skips
    b'\x10{"topic":"a","type":"custom","ts":1,"data":1}',
    b'\x10{"topic":"a","type":"","ts":1,"data":1}',
    b'\x10{"topic":"a","type":"message","ts":1.5,"data":"\xff","x":[1,{"type":"presence"}]}',
    b'\x10{"topic":"a","type":"message"}',
    # what neither reads
    b'\x10{"topic":"a","ts":1,"data":1}',
    b'\x10{"topic":"a","type":null,"ts":1,"data":1}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1}',
    b'\x10{"topic":"\\ud800","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1}}{}',
    b'\x10["type","presence"]',
    b'\x01{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c","members":1}}',
    b"\x10",
    b"",
])
def test_every_other_body_reads_as_two_parses_read_it(data):
    read_exactly(data)


def test_a_long_join_is_read_by_its_head_only():
    data = written({**JOIN, "data": {"action": "join", "member": "c" * UNION_MAX, "members": 1}}, None)
    assert read_exactly(data) == EventHead("a", "presence", None)


def test_truncated_at_every_byte():
    for obj in (JOIN, MESSAGE):
        data = written(obj, ["data", "type", "topic", "ts", "seq"], indent=1)
        for cut in range(len(data) + 1):
            read_exactly(data[:cut])


json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=8) | st.floats(
    allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8)


@st.composite
def written_presence_and_messages(draw):
    """Joins, leaves, syncs and messages as some server might write them: any key order, spacing
    and escaping, sometimes a member too many, too few or of another type."""
    change = {"action": draw(st.sampled_from(["join", "leave", "sync"]) | st.text(max_size=4)),
              "member": draw(st.text(max_size=10) | json_values),
              "members": draw(st.integers(-(2**70), 2**70) | json_values)}
    if draw(st.booleans()):
        change.pop(draw(st.sampled_from(sorted(change))))
    obj = {"topic": draw(st.text(max_size=10) | json_values),
           "type": draw(st.sampled_from(["presence", "message"]) | st.text(max_size=8) | json_values),
           "ts": draw(st.integers(-(2**63), 2**63) | json_values),
           "data": change if draw(st.integers(0, 3)) else draw(json_values)}
    if draw(st.booleans()):
        obj["seq"] = draw(st.none() | st.integers(-(2**70), 2**70) | json_values)
    if not draw(st.integers(0, 4)):
        obj.pop(draw(st.sampled_from(sorted(obj))))
    keys = list(obj)
    random.Random(draw(st.integers(0, 1000))).shuffle(keys)
    items = [(k, obj[k]) for k in keys]
    if not draw(st.integers(0, 5)):  # a member repeated, or one the spec does not name
        items.insert(draw(st.integers(0, len(items))),
                     (draw(st.sampled_from(["type", "topic", "seq", "ts", "data", "x"])), draw(json_values)))
    spacing = draw(st.sampled_from([(",", ":"), (", ", ": "), ("\n,\t", " :\r\n")]))
    ascii_only = draw(st.booleans())
    text = "{" + spacing[0].join(
        json.dumps(k, ensure_ascii=ascii_only) + spacing[1] + json.dumps(v, ensure_ascii=ascii_only) for k, v in items
    ) + "}"
    return b"\x10" + text.encode("utf-8", "surrogatepass")


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(600))
@given(written_presence_and_messages())
def test_one_parse_reads_what_two_parses_read(data):
    read_exactly(data)


@settings(max_examples=300)
@given(st.sampled_from([b'\x10{"topic":"a","type":"presence","ts":1,"data":', b'\x10 { "data" : { "action" : "join" ,',
                        b'\x10{"ts":1,"data":{"action":"leave","member":"c","members":2},', b'\x10{"type":"message",']),
       st.binary(max_size=60) | st.text(max_size=40).map(lambda s: s.encode("utf-8")))
def test_broken_bytes_read_as_two_parses_read_them(prefix, rest):
    read_exactly(prefix + rest)
