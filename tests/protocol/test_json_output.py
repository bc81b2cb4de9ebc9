"""The one JSON Lines form of session events (tail --json, replay --json): schema, exactness, docs."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from inspector.protocol.events import (
    IN,
    OUT,
    FrameSeen,
    PayloadTrouble,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    State,
    StateChanged,
    StopReason,
    SubscriptionChanged,
    SubState,
)
from inspector.protocol.frames import DecodeError, Event, Ping, decode_received, encode, summarize, try_decode
from inspector.protocol.json_output import json_line, json_record

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"
T = 1764300000.0
RECORD_TYPES = {"frame", "state", "subscription", "rtt", "pong_missed", "server_ping", "payload"}

# the events behind the example lines of docs/json-output.md, in the doc's order
DOC_EVENTS = [
    FrameSeen("c1", T + 0.03, IN, encode(Event("orders.eu", "message", 1764300000123, {"id": "o-1", "total": 250},
                                                42))),
    FrameSeen("c1", T + 0.08, OUT, encode(Ping(b"\x00\n\r\xff"))),
    FrameSeen("c1", T + 0.05, IN, b"z{}"),
    FrameSeen("c1", T + 0.06, IN, "hello \u2603".encode(), text=True),
    StateChanged("c1", T, State.CONNECTING),
    StateChanged("c1", T + 0.01, State.OPEN),
    StateChanged("c1", T + 0.15, State.CLOSED, code=1001, reason="server restart",
                 meaning="Going away (server restart)"),
    StateChanged("c1", T + 0.16, State.WAITING, attempt=1, delay=0.512),
    StateChanged("c1", T + 0.17, State.STOPPED, http_status=401, http_code="invalid_token",
                 message="server refused the connection: HTTP 401 invalid_token", stop=StopReason.HTTP_REFUSED),
    SubscriptionChanged("c1", T + 0.13, "orders.eu", SubState.ACTIVE, filter="data.total > `100`"),
    SubscriptionChanged("c1", T + 0.14, "orders.us", SubState.FAILED, error_code="subscription_limit",
                        message="at most 64 subscriptions per connection"),
    RttMeasured("c1", T + 0.1, 0.0123),
    PongMissed("c1", T + 0.11, 2),
    ServerPingAnswered("c1", T + 0.12, b"\x01\x02\n", 0.00004),
    PayloadTrouble("c1", T + 0.18, "decoders base64+msgpack failed on sensors.kitchen: base64: not base64 "
                                   "(each failing row is marked)"),
]


def doc_lines() -> list[str]:
    blocks = re.findall(r"```jsonl\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return [line for block in blocks for line in block.splitlines()]


def test_the_doc_shows_every_record_type_exactly_as_printed():
    lines = doc_lines()
    assert lines == [json_line(ev) for ev in DOC_EVENTS]
    assert {json.loads(line)["event"] for line in lines} == RECORD_TYPES


def test_every_record_has_the_common_fields():
    for ev in DOC_EVENTS:
        rec = json_record(ev)
        assert list(rec)[:4] == ["v", "t", "conn", "event"] and rec["v"] == 1 and rec["t"] == ev.t


# EVENT bodies the way other servers and libraries write them, not only as our encoder does
FOREIGN_BODIES = [
    b'{"topic":"orders.eu","type":"message","seq":7,"ts":1764300000123,"data":{"total":250}}',
    b'{ "data": {"b": 2, "a": [1, 2.50, -0.0, 1e3]}, "ts": 1764300000123, "type": "message",\n'
    b'  "topic": "orders.eu", "seq": 7, "region": "eu-west", "trace": null }',
    b'{\n\t"type" : "presence",\r\n\t"topic" : "room.1",\n\t"ts" : 5,\n'
    b'\t"data" : {"action": "sync", "members": []}\n}\n',
    b'{"topic":"caf\\u00e9","type":"message","ts":1,"data":"caf\xc3\xa9 \\ud83d\\ude00 \\u2028 \\ud800"}',
    b'{"topic":"t","type":"message","ts":1,"seq":2,"data":{"dup":1,"dup":2}}',
]


@pytest.mark.parametrize("body", FOREIGN_BODIES)
def test_event_body_is_the_json_as_sent(body):
    raw = b"\x10" + body
    assert not isinstance(try_decode(raw), Exception)
    line = json_line(FrameSeen("c1", T, IN, raw))
    assert line.isascii() and "\n" not in line
    rec = json.loads(line)
    as_sent = json.loads(body)
    assert json.dumps(rec["body"]) == json.dumps(as_sent)  # same keys, same order, unknown fields kept
    assert base64.b64decode(rec["raw_b64"]) == raw and rec["size"] == len(raw)
    assert "decode_error" not in rec and rec["kind"] == "EVENT" and rec["topic"] == as_sent["topic"]


@pytest.mark.parametrize("raw, code", [
    (b"", "bad_frame"), (b"\x10{\"topic\":\"a\"", "bad_frame"), (b"\x10[1]", "bad_frame"),
    (b"\x7a\x00\xff", "unknown_kind"), (b"\x20" + b"x" * 65, "bad_frame"), (b"\x10\xff\xfe", "bad_frame"),
])
def test_undecodable_frames_keep_their_bytes_and_say_why(raw, code):
    rec = json.loads(json_line(FrameSeen("c1", T, IN, raw)))
    assert rec["decode_error"]["code"] == code and rec["decode_error"]["message"]
    assert "body" not in rec and base64.b64decode(rec["raw_b64"]) == raw
    assert rec["summary"].startswith("undecodable: ")


def test_a_text_frame_is_an_error_whatever_it_holds():
    raw = b'{"topic":"a","type":"message","ts":1,"data":1}'
    rec = json.loads(json_line(FrameSeen("c1", T, IN, raw, text=True)))
    assert rec["kind"] == "TEXT" and rec["text"] is True and "body" not in rec
    assert rec["text_value"] == raw.decode()  # its text, as a string, beside the exact bytes
    assert list(rec).index("text_value") == list(rec).index("text") + 1
    assert rec["decode_error"]["code"] == "bad_frame" and base64.b64decode(rec["raw_b64"]) == raw


def test_the_line_depends_on_the_bytes_not_on_how_the_frame_came():
    raw = encode(Event("orders.eu", "message", 5, {"x": 1}, 3))
    live = FrameSeen("c1", T, IN, raw)                     # the client leaves message EVENTs undecoded
    decoded = FrameSeen("c1", T, IN, raw, try_decode(raw))  # a reader decodes them
    assert json_line(live) == json_line(decoded)


def test_data_fields_are_written_as_received_only_the_clients_message_is_cleaned():
    from inspector.redact import scrub
    tricky = "token=abc Bearer xyz Authorization: Basic Zm9v"
    raw = encode(Event("orders.eu", "message", 5, {"note": tricky}, 3))
    events = [
        FrameSeen("c1", T, IN, raw),
        SubscriptionChanged("c1", T, "orders.eu", SubState.FAILED, filter=f"data.note == '{tricky}'",
                            error_code="invalid_filter", message=tricky),
        StateChanged("c1", T, State.CLOSED, code=4000, reason=tricky, meaning="application"),
        StateChanged("c1", T, State.STOPPED, http_status=401, http_code=tricky,
                     message="refused: ws://h/x?token=s3cret-value"),
    ]
    frame, sub, closed, stopped = (json.loads(json_line(ev, scrub)) for ev in events)
    assert frame["body"]["data"]["note"] == tricky and tricky in frame["summary"]
    assert base64.b64decode(frame["raw_b64"]) == raw
    assert sub["filter"] == f"data.note == '{tricky}'" and sub["message"] == tricky
    assert closed["reason"] == tricky and stopped["http_code"] == tricky
    assert "s3cret-value" not in stopped["message"] and stopped["message"].startswith("refused: ws://h/x?token=")


def test_measurements_in_milliseconds_and_non_finite_as_null():
    assert json_record(RttMeasured("c1", T, 0.0123456))["rtt_ms"] == 12.346
    assert json_record(ServerPingAnswered("c1", T, b"", float("inf")))["response_ms"] is None
    line = json_line(StateChanged("c1", T, State.WAITING, attempt=2, delay=float("nan")))
    assert json.loads(line)["delay"] is None


@pytest.mark.parametrize("data", [
    b'\x10{"topic":"a","type":"message","seq":3,"ts":1,"data":{"x":[1,2]}}',
    b'\x10{ "data" : {"y": "caf\\u00e9"}, "extra": null, "ts": 5, "type": "message", "topic": "b" }',
    b'\x10{"topic":"a","type":"message","data":{}}',  # no ts: undecodable
    b'\x10{"topic":"a","type":"message","ts":1,"data":{}',  # not JSON
    b'\x10["not", "an", "object"]',
    b'\x10' + b'[' * 5000 + b']' * 5000,
    b'\x10{"topic":"a","type":"message","ts":1,"data":NaN}',
    b"\x10\xff\xfe",
])
def test_an_event_read_once_gives_the_line_reading_it_twice_gave(data: bytes) -> None:
    ev = FrameSeen("c1", 1.0, "in", data)
    record = json_record(ev)
    assert record is not None
    frame = decode_received(data)
    if isinstance(frame, DecodeError):
        assert record["decode_error"] == {"code": frame.code, "message": frame.message}
        assert "body" not in record
    else:
        assert record["body"] == json.loads(data[1:]) and list(record["body"]) == list(json.loads(data[1:]))
        assert record["summary"] == summarize(frame, len(data))
