"""Bulk open of a recording: the fast classification must equal FrameStore.extend row by row."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framegen import T0, error, event, ping, pong, presence, raw, subscribe, unsubscribe

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.recording_source import conn_labels, frames_as_events, prepare
from inspector.protocol.events import IN, FrameSeen, RttMeasured, State, StateChanged
from inspector.protocol.frames import Event, encode
from inspector.protocol.heads import read_head
from inspector.recording import RecordingError, RecordingWriter, open_recording


def mixed_events():
    """Every shape the classifier handles, on two connections, with seq gaps."""
    evs = [StateChanged("c1", T0, State.OPEN), subscribe("orders.eu", "data.total > `1`", conn="c1", t=T0),
           subscribe("orders.us", conn="c2", t=T0)]
    t = T0
    for i in range(1, 40):
        t += 0.01
        if i in (7, 8, 20):  # gaps: filtered on c1, unfiltered on c2
            continue
        evs.append(event(seq=i, topic="orders.eu", conn="c1", t=t))
        evs.append(event(seq=i, topic="orders.us", conn="c2", t=t))
    evs += [
        presence(conn="c1", t=t), ping(conn="c1", t=t), pong(conn="c1", t=t), ping(direction=IN, conn="c2", t=t),
        raw(b"\x20" + b"p" * 65, conn="c1", t=t),                     # PING too long
        error(conn="c2", t=t), unsubscribe(conn="c1", t=t),
        raw(b"", conn="c1", t=t), raw(b"\x99zz", conn="c1", t=t),    # empty, unknown kind
        raw('{"x":"\u2028é"}'.encode(), conn="c2", t=t, text=True),  # text frame
        raw(b'\x10{ "topic": "spaced", "type": "message", "seq": 3, "ts": 1, "data": {} }', conn="c1", t=t),
        raw(b'\x10{"type":"message","topic":"other.order","seq":5,"ts":1,"data":1}', conn="c1", t=t),
        raw(b'\x10{"topic":"orders.eu","type":"message","seq":50,"ts":1,"data":', conn="c1", t=t),  # broken
        raw(b'\x10{"topic":"bad topic!","type":"message","ts":1,"data":0}', conn="c2", t=t),
        raw(encode(Event("orders.eu", "message", 5, {"k": "\u2028\U0001F600"}, 60)), conn="c1", t=t),
        RttMeasured("c1", t, 0.004),
        StateChanged("c2", t + 0.5, State.CLOSED, code=1001, reason="bye"),
    ]
    return evs


def write(path, events):
    with RecordingWriter(path, profile="p", url="ws://h/x?token=secret", created=T0) as w:
        for ev in events:
            w.write_event(ev)


def store_columns(s: FrameStore):
    """The frame rows (connection-event rows left out)."""
    return [(s.t(i), s.conn(i), s.direction(i), s.kind(i), s.topic(i), s.seq(i), s.size(i), s.data(i),
             s.undecodable(i), s.gap(i), s.gap_expected(i), s.summary(i)) for i in range(len(s)) if not s.is_session(i)]


def test_bulk_rows_equal_the_frame_by_frame_store(tmp_path):
    path = tmp_path / "mix.rirec"
    events = mixed_events()
    write(path, events)
    prep = prepare(path)
    bulk = FrameStore()
    bulk.extend_rows(*prep.frames.store_args())

    labels = dict(zip(["c1", "c2"], conn_labels(path.name, ["c1", "c2"]), strict=True))
    slow = FrameStore()
    slow.extend(FrameSeen(labels[e.conn], e.t, e.direction, e.data, None, e.text)
                for e in open_recording(path) if type(e) is FrameSeen)
    assert bulk.frame_count == len(slow) == sum(type(e) is FrameSeen for e in events)
    assert store_columns(bulk) == store_columns(slow)
    # the shapes under test really occurred
    gaps = [bulk.gap(i) for i in range(len(bulk))]
    assert any(g and bulk.gap_expected(i) for i, g in enumerate(gaps))
    assert any(g and not bulk.gap_expected(i) for i, g in enumerate(gaps))
    assert {"spaced", "other.order"} <= set(bulk.topics)
    assert sum(bulk.undecodable(i) for i in range(len(bulk))) == 5  # long PING, empty, unknown, text, broken
    # connection events kept with their labels and record positions
    evs = prep.events_between(0, len(prep))
    assert [type(e).__name__ for e in evs] == ["StateChanged", "RttMeasured", "StateChanged"]
    assert {e.conn for e in evs} == set(labels.values())


@pytest.mark.parametrize("dumps", [{"separators": (",", ":")}, {"sort_keys": True, "indent": 1}], ids=["ours", "other"])
def test_heads_read_in_bulk_equal_the_frame_by_frame_store(tmp_path, dumps):
    """A flood as encode() or another server writes it: the heads are read in bulk (as the log's
    own flood path reads them), a body read_head reads but decode rejects is found undecodable
    when the row is shown, and one it does not read is decoded at once."""
    path = tmp_path / "flood.rirec"
    frames = []
    for i in range(1, 301):
        topic = ("orders.eu", "orders.us", "prices.x")[i % 3]
        if i % 50 == 0:
            frames.append(presence(topic=topic, t=T0 + i))
        elif i == 77:  # a head read_head reads, in a body that is not UTF-8
            frames.append(raw(b'\x10{"topic":"orders.eu","type":"message","seq":77,"ts":1,"data":"\xff"}', t=T0 + i))
        elif i == 78:  # a body that is not JSON
            frames.append(raw(b'\x10{"topic":"orders.eu","type":"message","seq":78,"ts":1,"data":}', t=T0 + i))
        elif i != 120:  # one seq gap
            body = {"topic": topic, "type": "message", "seq": i, "ts": 1, "data": {"i": i, "s": "x" * (i % 7)}}
            frames.append(raw(b"\x10" + json.dumps(body, **dumps).encode(), t=T0 + i))
    write(path, frames)
    assert [read_head(f.data) is None for f in frames].count(True) == 1
    bulk = FrameStore()
    bulk.extend_rows(*prepare(path).frames.store_args())
    label = conn_labels(path.name, ["c1"])[0]
    slow = FrameStore()
    slow.extend(FrameSeen(label, e.t, e.direction, e.data, None, e.text)
                for e in open_recording(path) if type(e) is FrameSeen)
    assert store_columns(bulk) == store_columns(slow)
    assert [bulk.undecodable(i) for i in range(len(bulk))].count(True) == 2
    assert sorted(bulk.topics) == ["orders.eu", "orders.us", "prices.x"]


def test_frame_slices_follow_records(tmp_path):
    path = tmp_path / "mix.rirec"
    events = mixed_events()
    write(path, events)
    prep = prepare(path)
    assert len(prep) == len(events)
    assert np.all(np.diff(prep.offsets) >= 0) and prep.offsets[0] == 0
    frames = [e for e in events if type(e) is FrameSeen]
    part = frames_as_events(prep.frame_slice(1, 6))  # record 0 is a state event
    assert [e.data for e in part] == [e.data for e in frames[:5]]
    assert [e.direction for e in part] == [e.direction for e in frames[:5]]
    assert prep.events_between(0, 1)[0].state is State.OPEN
    assert prep.events_between(1, len(prep) - 2) == []


def test_torn_last_line_and_odd_layouts(tmp_path):
    path = tmp_path / "torn.rirec"
    frames = [event(seq=i, t=T0 + i) for i in range(1, 6)]
    write(path, frames)
    lines = path.read_bytes().splitlines(keepends=True)
    # a frame line in another key order, a valid last line without newline, then a torn one
    other = json.loads(lines[2])
    lines[2] = (json.dumps({k: other[k] for k in ("b", "d", "c", "w", "t")}) + "\n").encode()
    body = b"".join(lines[:-1])  # drop the end marker
    path.write_bytes(body + b'{"t":9.0,"w":1764300009.0,"c":"c1","d":"out","b":"IAE="}\n{"t":9.1,"w":17643')
    prep = prepare(path)
    assert prep.truncated and "last one truncated" in prep.status()
    datas = prep.frames.data
    assert datas[:5] == [f.data for f in frames] and datas[5] == b"\x20\x01"
    assert prep.frames.direction.tolist() == [1, 1, 1, 1, 1, 0]


def test_har_prepares_each_websocket_as_a_connection(tmp_path):
    import base64
    har = {"log": {"entries": [
        {"request": {"url": "wss://h/api/v2/realtime?token=abc"}, "startedDateTime": "2025-11-28T03:20:00.000Z",
         "_webSocketMessages": [
             {"type": "send", "time": 1764300000.1, "opcode": 2,
              "data": base64.b64encode(encode(Event("a.b", "message", 1, {}, 1))).decode()},
             {"type": "receive", "time": 1764300000.2, "opcode": 1, "data": "hello"}]},
        {"request": {"url": "wss://h/other"}, "startedDateTime": "2025-11-28T03:20:01.000Z",
         "_webSocketMessages": [{"type": "receive", "time": 1764300001.5, "opcode": 2, "data": "IAE="}]},
    ]}}
    path = tmp_path / "cap.har"
    path.write_text(json.dumps(har))
    prep = prepare(path)
    assert prep.source == "har" and prep.labels == ["cap.har:ws1", "cap.har:ws2"]
    s = FrameStore()
    s.extend_rows(*prep.frames.store_args())
    f = [i for i in range(len(s)) if not s.is_session(i)]
    assert [s.conn(i) for i in f] == ["cap.har:ws1", "cap.har:ws1", "cap.har:ws2"]
    assert s.topic(f[0]) == "a.b" and s.is_text(f[1]) and s.undecodable(f[1]) and s.data(f[2]) == b"\x20\x01"


def test_not_a_recording_raises_the_documented_error(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\x01garbage\n" * 10)
    with pytest.raises(RecordingError):
        prepare(path)


def test_extend_rows_wraps_the_ring_like_extend(tmp_path):
    path = tmp_path / "r.rirec"
    write(path, [event(seq=i, t=T0 + i) for i in range(1, 11)])
    rows = prepare(path).frames
    for cap, pre in ((4, 0), (12, 5), (8, 3)):
        bulk, slow = FrameStore(cap), FrameStore(cap)
        head = [event(seq=100 + i, topic="x.y", conn="live", t=T0) for i in range(pre)]
        bulk.extend(head)
        slow.extend(head)
        bulk.extend_rows(*rows.store_args())
        slow.extend(frames_as_events(rows))
        assert (bulk.dropped, bulk.first_number, len(bulk)) == (slow.dropped, slow.first_number, len(slow))
        assert store_columns(bulk) == store_columns(slow)
