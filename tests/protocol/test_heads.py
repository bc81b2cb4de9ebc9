"""read_head: EVENT heads read without a full decode, exact for every body decode accepts,
however a server writes its JSON; a join or leave it reads whole is read as decode reads it.
peek_head: a long body's head with its data cut out, unread; exact for every body decode
accepts with no head member repeated after data, whatever the layout."""

import json
import random

import pytest
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

import inspector.protocol.heads as heads
from inspector.protocol.frames import Event, encode, try_decode
from inspector.protocol.heads import (
    PEEK_FROM,
    UNION_MAX,
    EventHead,
    Head,
    MemberChangeEvent,
    MessageHead,
    peek_head,
    read_head,
)

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


def head_read(data: bytes):
    """What read_head reads, as the three values every consumer reads of it."""
    h = read_head(data)
    if h is not None:
        assert isinstance(h, Head) and h.kind == 0x10
    return None if h is None else EventHead(h.topic, h.type, h.seq)


def decoded_head(data: bytes):
    f = try_decode(data)
    return EventHead(f.topic, f.type, f.seq) if isinstance(f, Event) else None


# ---------------------------------------------------------------- any layout decode accepts is read

@pytest.mark.parametrize("dumps", [
    {"separators": (",", ":")},          # compact (ours)
    {},                                  # json.dumps defaults: ", " and ": " (the spec's example)
    {"indent": 2},                       # pretty-printed, newlines
    {"indent": "\t", "separators": (" ,", " : ")},
    {"sort_keys": True},                 # data first, seq before topic
])
@pytest.mark.parametrize("order", [None, ["type", "topic", "seq", "ts", "data"],
                                   ["data", "ts", "seq", "type", "topic"]])
def test_any_key_order_and_whitespace_is_read(dumps, order):
    data = frame(body(order=order), **dumps)
    assert head_read(data) == EventHead("orders.eu", "message", 42) == decoded_head(data)


# The same EVENT as servers in other languages write it by default.
OTHER_SERVERS = {
    # JavaScript JSON.stringify: compact, insertion order, non-ASCII raw, U+2028 raw
    "node": b'\x10{"type":"message","topic":"caf\xc3\xa9/\xe2\x80\xa8","seq":42,"ts":1764300000123,'
            b'"data":{"id":"o-1","total":12.5,"tags":[]}}',
    # Go encoding/json: struct order, HTML-safe escapes, U+2028 escaped
    "go": b'\x10{"Type":"x","type":"message","topic":"caf\\u00e9/\\u2028","seq":42,"ts":1764300000123,'
          b'"data":{"html":"\\u003cb\\u003e \\u0026"},"Extra":null}',
    # PHP json_encode: escaped slashes and \u escapes by default
    "php": b'\x10{"topic":"caf\\u00e9\\/\\u2028","type":"message","seq":42,"ts":1764300000123,'
           b'"data":{"url":"https:\\/\\/example.com"}}',
    # .NET System.Text.Json: upper-case hex escapes, '+' escaped
    "dotnet": b'\x10{"seq":42,"ts":1764300000123,"topic":"caf\\u00E9/\\u2028","type":"message",'
              b'"data":{"plus":"a\\u002Bb"}}',
    # Java (Jackson) pretty printer: " : " and CRLF, numbers with exponents in data
    "java": b'\x10{\r\n  "topic" : "caf\xc3\xa9/\xe2\x80\xa8",\r\n  "type" : "message",\r\n  "seq" : 42,\r\n'
            b'  "ts" : 1764300000123,\r\n  "data" : { "big" : 1.0E10, "small" : -2.5e-3, "zero" : -0 }\r\n}\r\n',
    # Python json.dumps defaults: ensure_ascii, ", " and ": ", a seq written with a minus zero
    "python": b'\x10{"topic": "caf\\u00e9/\\u2028", "type": "mess\\u0061ge", "seq": 42, "ts": 1764300000123, '
              b'"data": {"unknown": {"nested": [1, 2, {"topic": "no", "seq": 7}]}}, "server": "py"}',
}


OTHER_SERVERS_LIST = list(OTHER_SERVERS.values())


@pytest.mark.parametrize("data", OTHER_SERVERS.values(), ids=OTHER_SERVERS.keys())
def test_other_servers_bytes_are_read_exactly(data):
    assert head_read(data) == EventHead("café/\u2028", "message", 42) == decoded_head(data)


def test_whitespace_around_the_object_no_seq_and_presence():
    data = b'\x10 \r\n\t{ "type" : "presence" , "topic" : "a" , "ts" : 1 , "data" : {} } \n'
    assert head_read(data) == EventHead("a", "presence", None) == decoded_head(data)


def test_seq_null_negative_and_huge():
    assert head_read(b'\x10{"topic":"a","type":"message","seq":null,"ts":1,"data":1}') == EventHead("a", "message",
                                                                                                   None)
    assert head_read(b'\x10{"seq":-3,"topic":"a","type":"message","ts":1,"data":1}').seq == -3
    big = 2**80
    assert head_read(frame(body(seq=big))).seq == big == try_decode(frame(body(seq=big))).seq


def test_large_data_and_unknown_members_are_skipped():
    data = frame({"server": {"v": [1.5e300, None, True]}, **body(data={"items": ["x" * 100] * 500}),
                  "trace": "abc"})
    assert len(data) > 50_000
    assert head_read(data) == EventHead("orders.eu", "message", 42) == decoded_head(data)


def test_nested_keys_of_data_like_the_heads_are_not_the_heads():
    data = frame(body(data={"seq": 7, "type": "order", "topic": "x"}), sort_keys=True)
    assert head_read(data) == EventHead("orders.eu", "message", 42) == decoded_head(data)


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1,"seq":5}',
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1,"type":"presence"}',
    b'\x10{"topic":"a","type":"presence","topic":"b","ts":1,"data":1,"type":"message"}',
])
def test_a_repeated_member_name_reads_the_last_as_decode_does(data):
    head = head_read(data)
    assert head is not None and head == decoded_head(data)


@pytest.mark.parametrize("data", [
    b'\x10{"topic":5,"type":"message","ts":1,"data":1,"topic":"b"}',   # a repeat of the wrong type
    b'\x10{"topic":"\\ud800","type":"message","ts":1,"data":1}',       # a lone surrogate escape
    b'\x10{"topic":"a","type":"message","ts":1,"data":["\\udc00"]}',
])
def test_what_the_reader_rejects_and_decode_accepts_is_decoded(data):
    assert head_read(data) is None
    assert decoded_head(data) is not None  # decode decides


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","seq":01,"ts":1,"data":1}',   # not JSON
    b'\x10{"topic":"a","type":"message","seq":1.0,"ts":1,"data":1}',  # not an integer
    b'\x10{"topic":"a","type":"message","seq":1e2,"ts":1,"data":1}',
    b'\x10{"topic":"a","type":"message","seq":"1","ts":1,"data":1}',
    b'\x10{"topic":"a","type":"message","seq":true,"ts":1,"data":1}',
    b'\x10{"type":"message","ts":1,"data":1}',                        # no topic
    b'\x10{"topic":"a","type":null,"ts":1,"data":1}',
    b'\x10{"topic":"a","type":"message","ts":1,"data":NaN}',
    b'\x10{"topic":"a","type":"message","ts":1,"data":{"x":1,}}',
    b'\x10{"topic":"a","type":"message","ts":1,"data":1}{}',          # trailing data
    b'\x10{"topic":"a","type":"message","ts":1,"data":1}\x0b',        # \v is not JSON whitespace
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":1',     # truncated
    b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":{"x":',
    b'\x10{"topic":"a\x01","type":"message","seq":1,"ts":1,"data":1}',  # raw control character
    b'\x10{"topic":"\xff","type":"message","seq":1,"ts":1,"data":1}',  # not UTF-8
    b'\x10["topic","a"]',
    b'\x10"x"',
    b'\x01{"topic":"a","type":"message","ts":1,"data":1}',           # a SUBSCRIBE
    b'\x20{"topic":"a","type":"message","ts":1,"data":1}',           # a PING
    b"\x10",
    b"",
])
def test_frames_decode_rejects_get_no_head(data):
    assert head_read(data) is None


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","ts":1.5,"data":1}',
    b'\x10{"ts":false,"topic":"a","type":"message","data":1}',
    b'\x10{"topic":"a","type":"message","data":1}',                   # no ts
    b'\x10{"topic":"a","type":"message","ts":1}',                     # no data
    b'\x10{"topic":"a","type":"message","ts":1,"data":"\xff"}',       # not UTF-8 where read_head skips
])
def test_a_head_is_read_from_a_body_decode_rejects_as_documented(data):
    """The log shows such a row by its head and checks the body when shown (test_frame_store_lazy)."""
    assert head_read(data) == EventHead("a", "message", None)
    assert decoded_head(data) is None


def test_truncated_at_every_byte():
    data = frame(body(data={"items": [1, 2, {"k": "v"}]}), indent=1)
    for cut in range(len(data) + 1):
        assert head_read(data[:cut]) == decoded_head(data[:cut]), cut


def test_frame_by_frame_on_a_mixed_list():
    good = [frame(body(seq=i), sort_keys=bool(i % 2)) for i in range(3)]
    datas = [*good, b'\x10{"topic":"a","type":"message","seq":1.5,"ts":1,"data":1}', b"\x20", b"", b"\x01{}", *good]
    heads = [read_head(d) for d in datas]
    assert [None if f is None else (f.topic, f.seq) for f in heads] == (
        [("orders.eu", i) for i in range(3)] + [None] * 4 + [("orders.eu", i) for i in range(3)])


# ---------------------------------------------------------------- properties

@st.composite
def written_events(draw):
    """An EVENT as some server might write it: any key order, spacing and escaping, extra members."""
    obj = {"topic": draw(st.text(max_size=12)), "type": draw(st.sampled_from(["message", "presence"]) | st.text()),
           "ts": draw(st.integers(-(2**63), 2**63)), "data": draw(data_values)}
    if draw(st.booleans()):
        obj["seq"] = draw(st.none() | st.integers(-(2**70), 2**70))
    if draw(st.booleans()):
        obj[draw(st.text(max_size=6).filter(lambda k: k not in obj and k != "seq"))] = draw(json_values)  # extra
    keys = list(obj)
    random.Random(draw(st.integers(0, 1000))).shuffle(keys)
    spacing = draw(st.sampled_from([{"separators": (",", ":")}, {}, {"indent": 1}, {"separators": ("\t,\n", " :\r")}]))
    text = json.dumps({k: obj[k] for k in keys}, ensure_ascii=draw(st.booleans()), **spacing)
    data = b"\x10" + draw(st.sampled_from(["", " ", "\n"])).encode() + text.encode("utf-8", "surrogatepass")
    return data, obj


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(400))
@given(written_events())
def test_read_head_agrees_with_a_full_decode(case):
    data, obj = case
    expected = decoded_head(data)
    head = head_read(data)
    assert expected == EventHead(obj["topic"], obj["type"], obj.get("seq"))
    assert head == expected


@settings(max_examples=400)
@given(st.sampled_from([b'\x10{"topic":"a","type":"message","seq":1,"ts":', b'\x10 { "type" : "x" , "topic" : "a" ,',
                        b'\x10{"data":[],"topic":"a","type":"message",', b'\x10{"ts":1,"data":{},']),
       st.binary(max_size=80) | st.text(max_size=40).map(lambda s: s.encode("utf-8")))
def test_read_head_never_raises_and_never_disagrees(prefix, rest):
    data = prefix + rest
    head = head_read(data)
    expected = decoded_head(data)
    assert head == expected or (head is not None and expected is None)


@given(st.builds(Event, st.text(max_size=20), st.sampled_from(["message", "presence"]), st.integers(0, 2**53),
                 json_values, st.none() | st.integers(0, 2**40)))
def test_what_encode_writes_is_always_read(ev):
    assert head_read(encode(ev)) == EventHead(ev.topic, ev.type, ev.seq)


# ---------------------------------------------------------------- a join or leave read whole


PRESENCE_LAYOUTS = [
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1","members":3}}',
    b'\x10{"data": {"members": ["x", "y"], "action": "sync"}, "type": "presence", "ts": 1, "topic": "a"}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{},"server":"go","Extra":null}',    # members decode skips
    b'\x10{"topic":"a","type":"presence","ts":1,"ts":2,"data":1,"data":[2]}',              # repeats: the last
    b'\x10{"topic":"a","type":"presence","ts":"x","ts":2,"data":1}',                       # a wrong type, then right
    b'\x10{"\\u0074opic":"a","typ\\u0065":"presence","ts":1,"d\\u0061ta":1}',              # escaped member names
    b'\x10{"topic":"a","type":"presence","ts":1,"seq":null,"data":{"big":123456789012345678901234567890}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":[1e400,-0.0,0.1e1,1E+2,-0]}',        # 1e400: json reads inf
    b'\x10{"topic":"a","type":"presence","ts":1,"data":"\\ud800"}',                        # a lone surrogate
    b'\x10{"topic":"a","type":"presence","ts":1,"data":1,"x":"\xff"}',                    # not UTF-8, in an extra
    b'\x10{"topic":"a","type":"presence","ts":%d,"data":1}' % 2**64,                      # no int64 holds ts
    b'\x10{"topic":"a","type":"presence","ts":1,"seq":-%d,"data":1}' % 2**70,
    b"\x10\t{ \"topic\" : \"a\" , \"type\" : \"x\" , \"ts\" : 1 , \"data\" : null }\r\n",
]


@pytest.mark.parametrize("depth", [10, 400, 985, 990, 995, 1000, 5000])
def test_deep_nesting_never_breaks_the_reader(depth):
    data = b'\x10{"topic":"a","type":"presence","ts":1,"data":' + b"[" * depth + b"]" * depth + b"}"
    head, expected = head_read(data), decoded_head(data)
    assert head is None or expected is None or head == expected


def change_read(data: bytes):
    """A join or leave read_head read whole, as the Event it stands for."""
    b = read_head(data)
    if type(b) is not MemberChangeEvent:
        return None
    return Event(b.topic, b.type, b.ts, {"action": b.data.action, "member": b.data.member, "members": b.data.members},
                 b.seq)


def agrees_with_decode(data: bytes) -> None:
    """read_head never reads a join or leave whole from a body decode rejects, nor reads one differently."""
    read = change_read(data)
    if read is not None:
        assert read == try_decode(data)


@pytest.mark.parametrize("data", PRESENCE_LAYOUTS + OTHER_SERVERS_LIST)
def test_a_change_is_read_only_from_what_decode_accepts_and_alike(data):
    agrees_with_decode(data)


def test_the_usual_join_of_any_writer_is_read_whole():
    for dumps in ({"separators": (",", ":")}, {}, {"indent": 2}, {"sort_keys": True}):
        obj = {"topic": "a", "type": "presence", "ts": 1, "data": {"action": "join", "member": "c\u00e9", "members": 3}}
        data = frame(obj, **dumps)
        assert change_read(data) == Event("a", "presence", 1, {"action": "join", "member": "c\u00e9", "members": 3})
    # what it reads by its head only: other members, bytes that are not UTF-8 anywhere, long bodies
    for data in (b'\x10{"topic":"a","type":"presence","ts":1,"data":{},"server":"go"}',
                 b'\x10{"topic":"a","type":"presence","ts":1,"data":{"x":"\xff"}}',
                 frame({"topic": "a", "type": "presence", "ts": 1,
                        "data": {"action": "join", "member": "c" * UNION_MAX, "members": 3}})):
        assert change_read(data) is None and head_read(data) == EventHead("a", "presence", None)


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(400))
@given(written_events())
def test_a_change_agrees_with_try_decode_on_any_layout(case):
    agrees_with_decode(case[0])


@settings(max_examples=400)
@given(st.sampled_from([b'\x10{"topic":"a","type":"presence","ts":1,"data":',
                        b'\x10{"data":[],"topic":"a","type":"presence",', b'\x10{"ts":1,"data":{},']),
       st.binary(max_size=80) | st.text(max_size=40).map(lambda s: s.encode("utf-8")))
def test_a_change_never_disagrees_on_broken_bytes(prefix, rest):
    agrees_with_decode(prefix + rest)


CHANGES = [
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1","members":3}}',
    b'\x10{ "data" : { "members" : 3 , "member" : "c\\u00e9" , "action" : "leave" } , "ts" : 1 ,'
    b' "type" : "presence" , "topic" : "a" }',
    b'\x10{"topic":"a","type":"presence","ts":1,"seq":null,"data":{"action":"join","member":"c-1","members":3}}',
]
NOT_CHANGES = [
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1","members":3,"x":1}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1"}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1","members":true}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"\xff","members":3}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"sync","members":["c-1"]}}',
    b'\x10{"topic":"a","type":"presence","ts":1,"data":{"action":"join","member":"c-1","members":3},"x":1}',
    b'\x10{"topic":"a","type":"presence","ts":1.5,"data":{"action":"join","member":"c-1","members":3}}',
]


@pytest.mark.parametrize("data", CHANGES)
def test_a_join_or_leave_of_any_layout_is_read_whole(data):
    assert change_read(data) == try_decode(data) and change_read(data) is not None


@pytest.mark.parametrize("data", NOT_CHANGES)
def test_anything_else_is_read_by_its_head_only(data):
    assert change_read(data) is None
    agrees_with_decode(data)


# ---------------------------------------------------------------- peek_head: the members before data

FILLER = {"rows": [{"id": k, "name": f"row-{k}", "tags": ["a", "b"]} for k in range(200)]}  # halves > PEEK_FROM


def peeked(data: bytes):
    h = peek_head(data)
    return None if h is None else EventHead(h.topic, h.type, h.seq)


def envelope(order: str, data: object = FILLER, **dumps) -> bytes:
    values = {"topic": "orders.eu", "type": "message", "seq": 42, "ts": 1764300000123, "data": data}
    return frame({k: values[k] for k in order.split(",")}, **dumps)


@pytest.mark.parametrize("dumps", [{"separators": (",", ":")}, {}, {"indent": 2}, {"ensure_ascii": False},
                                   {"separators": ("\t,\n", " :\r")}])
@pytest.mark.parametrize("order", ["topic,type,seq,ts,data", "seq,ts,topic,type,data", "type,topic,seq,data,ts",
                                   "data,topic,type,seq,ts", "seq,data,topic,ts,type", "topic,type,ts,data,seq"])
def test_any_layout_reads_what_decode_reads(order, dumps):
    data = envelope(order, **dumps)
    assert len(data) > PEEK_FROM
    assert peeked(data) == EventHead("orders.eu", "message", 42) == decoded_head(data)


def test_the_body_after_data_is_left_unread():
    whole = envelope("topic,type,seq,ts,data")
    assert type(peek_head(whole)) is MessageHead
    for cut in (len(whole) - 1, len(whole) // 2, PEEK_FROM + 1):  # cut short: decode rejects it
        assert read_head(whole[:cut]) is None
        assert peeked(whole[:cut]) == EventHead("orders.eu", "message", 42)
    # a short body, or data first: read whole as before
    short = frame({"topic": "a", "type": "message", "seq": 1, "ts": 1, "data": 1})
    assert peeked(short[:-1]) is None
    data_first = envelope("data,topic,type,seq,ts")
    assert peeked(data_first[:-1]) is None


def test_no_seq_before_data_reads_the_whole():
    """seq is optional: one that is not before data may come after it."""
    assert peeked(envelope("topic,type,ts,data,seq")) == EventHead("orders.eu", "message", 42)
    no_seq = envelope("topic,type,ts,data")
    assert peeked(no_seq) == EventHead("orders.eu", "message", None) == decoded_head(no_seq)
    assert peeked(no_seq[:-1]) is None


@pytest.mark.parametrize("head", [
    # before each decoy "data", a head with seq 1; the real one, after it, says 42
    '"topic":"a","type":"message","seq":1,"note":"x\\"data","seq":42,',   # at an escaped quote in a value
    '"topic":"a","type":"message","seq":1,"k\\"data":1,"seq":42,',        # ... in a member name
    '"topic":"a","type":"message","seq":1,"x":{"data":0},"seq":42,',      # a data member one level down
    '"topic":"a","type":"message","seq":1,"x":["a", "data"],"seq":42,',   # a string "data" in an array
    '"topic":"a","seq":1,"type": "data","seq":42,',                        # a string "data" as a value
    '"\\u0074opic":"a","type":"message","seq":42,',                        # an escaped member name
    '"topic":"a","type":"message","seq":1,"seq":42,',                      # repeated before data: the last
])
def test_data_that_is_not_the_top_level_member_is_not_taken_for_it(head):
    data = b'\x10{' + head.encode() + b'"ts":1,"data":' + json.dumps(FILLER).encode() + b'}'
    assert peeked(data) == decoded_head(data) == head_read(data)
    assert peeked(data) is not None


def test_a_head_member_repeated_after_data_is_seen_unless_cut_out_with_it():
    """What the peek leaves unread: a member after data, before the cut's end (the last bracket):
    the row shows the first, decode (the detail) the last."""
    body = envelope("topic,type,seq,ts,data")[:-1]
    seen = body + b',"seq":7}'
    assert peeked(seen) == decoded_head(seen) == head_read(seen) == EventHead("orders.eu", "message", 7)
    cut = body + b',"seq":7,"tags":["x"]}'
    assert peeked(cut) == EventHead("orders.eu", "message", 42)
    assert decoded_head(cut) == head_read(cut) == EventHead("orders.eu", "message", 7)


@pytest.mark.parametrize("order", ["data,topic,type,seq,ts", "seq,data,topic,ts,type", "topic,data,ts,seq,type"])
def test_data_between_head_members_is_left_unread(order):
    whole = envelope(order)
    broken = whole.replace(b'"tags": ["a", "b"]}]}', b'"tags": ["a", @]}]}')  # data's last record, not JSON
    assert broken != whole and read_head(broken) is None
    assert peeked(broken) == peeked(whole) == EventHead("orders.eu", "message", 42)


@pytest.mark.parametrize("tail", [
    # the last bracket before the end is not where data ends at the top level: the whole is read
    ',"topic":"a]b","type":"message","seq":42}',                # in a string
    ',"topic":"a","type":"message","seq":42,"s":"x\\"]\\"y"}',  # in a string, by escaped quotes
    ',"meta":{"seq":5},"topic":"a","type":"message","seq":42}',  # a member after data, with a head name
    ',"topic":"a","type":"message","seq":42,"meta":{"seq":5}}',  # a head name one level down, last
    ',"topic":"a","type":"message","meta":[{"seq":5}],"seq":42}',
    ',"topic":"a","type":"message","tags":[1],"seq":42}',
])
def test_a_cut_that_is_not_data_at_the_top_level_is_not_read(tail):
    data = b'\x10{"ts":1,"data":' + json.dumps(FILLER).encode() + tail.encode()
    assert peeked(data) == decoded_head(data) == head_read(data)


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"\\ud800","type":"message","seq":1,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
    b'\x10{"topic":"\xff","type":"message","seq":1,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
    b'\x10{"topic":5,"type":"message","seq":1,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
    b'\x10{"topic":"a","type":"message","seq":1.5,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
    b'\x10{"topic":"a","type":"message","seq":01,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
    b'\x20{"topic":"a","type":"message","seq":1,"ts":1,"data":' + json.dumps(FILLER).encode() + b"}",
])
def test_what_the_members_before_data_do_not_make_a_head_of_is_read_whole(data):
    assert peek_head(data) == read_head(data)


@pytest.mark.slow  # -m slow: every example
@settings(max_examples=examples(400))
@given(written_events())
def test_peek_agrees_with_a_full_decode_on_any_layout(case):
    data, obj = case
    old = heads.PEEK_FROM
    heads.PEEK_FROM = 0  # every body peeked at, however short
    try:
        assert peeked(data) == decoded_head(data) == EventHead(obj["topic"], obj["type"], obj.get("seq"))
    finally:
        heads.PEEK_FROM = old


def members_before_data(data: bytes):
    """The head json reads of the members before the first "data" (closed by a stand-in), or None."""
    k = data.find(b'"data"')
    try:
        obj = json.loads(data[1:k] + b'"data":0}') if k > 0 and data[:1] == b"\x10" else None
    except ValueError:
        return None
    if not isinstance(obj, dict) or not {"topic", "type", "seq"} <= obj.keys():
        return None
    return EventHead(obj["topic"], obj["type"], obj["seq"])


def data_cut_out(data: bytes):
    """The head json reads of the body with data cut out (from the first "data" near the start to
    the last bracket before the closing brace near the end) and a stand-in put in, or None."""
    k = data.find(b'"data"', 1, heads.PEEK_WITHIN)
    end = data.rfind(b"}")
    lo = max(k, end - heads.PEEK_TAIL)
    c = max(data.rfind(b"}", lo, end), data.rfind(b"]", lo, end)) + 1
    if k <= 0 or data[:1] != b"\x10" or data[k - 1] not in b"{, \t\r\n" or c <= k:
        return None
    try:
        obj = json.loads(data[1:k] + b'"data":0' + data[c:])
    except ValueError:
        return None
    if not isinstance(obj, dict) or not {"topic", "type", "seq"} <= obj.keys():
        return None
    if type(obj["topic"]) is not str or type(obj["type"]) is not str or type(obj["seq"]) not in (int, type(None)):
        return None
    return EventHead(obj["topic"], obj["type"], obj["seq"])


@settings(max_examples=400)
@given(st.sampled_from([b'\x10{"topic":"a","type":"message","seq":1,"ts":1,"data":',
                        b'\x10 { "type" : "x" , "topic" : "a" , "seq" : null , "data" :',
                        b'\x10{"seq":3,"topic":"a","type":"message",', b'\x10{"ts":1,"data":{},']),
       st.binary(max_size=80) | st.text(max_size=40).map(lambda s: s.encode("utf-8")))
def test_peek_never_raises_and_reads_either_the_whole_or_with_data_cut_out(prefix, rest):
    data = prefix + rest
    old = heads.PEEK_FROM
    heads.PEEK_FROM = 0
    try:
        head = peeked(data)
    finally:
        heads.PEEK_FROM = old
    assert head in (head_read(data), data_cut_out(data), members_before_data(data))
