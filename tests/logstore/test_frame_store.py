"""FrameStore: pure Python, no Qt."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from framegen import error, event, ping, pong, presence, raw, subscribe, unsubscribe

from inspector.logstore.frame_store import KIND_EMPTY, KIND_TEXT, FrameStore, Query, kind_label
from inspector.protocol.events import IN, OUT
from inspector.protocol.kinds import Kind


def test_store_module_does_not_import_qt():
    import inspector.logstore.frame_store as fs
    assert "PySide6" not in fs.__dict__
    src = Path(fs.__file__).read_text()
    assert "PySide6" not in src and "pyqtgraph" not in src


def test_columns_of_one_event():
    s = FrameStore()
    ev = event(seq=42, topic="orders.eu", conn="local", t=1.5)
    s.append(ev)
    assert len(s) == 1
    assert (s.number(0), s.t(0), s.conn(0), s.direction(0)) == (1, 1.5, "local", IN)
    assert s.kind(0) == Kind.EVENT and s.topic(0) == "orders.eu" and s.seq(0) == 42
    assert s.size(0) == len(ev.data) and s.data(0) == ev.data
    assert s.summary(0) == 'message {"n":42}'
    assert s.gap(0) is None and not s.undecodable(0)


def test_decodes_when_the_sender_did_not():
    s = FrameStore()
    s.extend([event(seq=5, decoded=False), subscribe("a.b"), unsubscribe("c.d")])
    assert [s.topic(i) for i in range(3)] == ["orders.eu", "a.b", "c.d"]
    assert s.seq(0) == 5 and s.seq(1) is None
    assert [s.direction(i) for i in range(3)] == [IN, OUT, OUT]


def test_bounded_drops_oldest_and_counts():
    s = FrameStore(cap=5)
    s.extend(event(seq=i, t=float(i)) for i in range(1, 13))
    assert len(s) == 5 and s.dropped == 7
    assert [s.number(i) for i in range(5)] == [8, 9, 10, 11, 12]
    assert [s.seq(i) for i in range(5)] == [8, 9, 10, 11, 12]
    assert [s.t(i) for i in range(5)] == [8.0, 9.0, 10.0, 11.0, 12.0]
    assert s.first_number == 8 and s.end_number == 13
    assert s.index_of(7) is None and s.index_of(8) == 0 and s.index_of(12) == 4 and s.index_of(13) is None
    assert s.seq(-1) == 12
    with pytest.raises(IndexError):
        s.data(5)


def test_numbers_stay_stable_while_dropping():
    s = FrameStore(cap=3)
    s.extend(event(seq=i) for i in range(1, 4))
    before = s.data(s.index_of(3))
    s.append(event(seq=4))
    assert s.data(s.index_of(3)) == before and s.dropped == 1


def test_clear_resets_everything():
    s = FrameStore(cap=2)
    s.extend(event(seq=i) for i in range(1, 6))
    s.clear()
    assert len(s) == 0 and s.dropped == 0 and s.first_number == 1 and s.conns == [] and s.topics == []
    s.append(event(seq=9))
    assert s.number(0) == 1 and s.gap(0) is None  # seq tracking was reset too


def test_seq_gap_per_topic_and_connection():
    s = FrameStore()
    s.extend([
        event(seq=1), event(seq=2), event(seq=8),                     # gap of 5
        event(seq=1, topic="other"), event(seq=2, topic="other"),    # own counter
        event(seq=3, conn="c2"),                                     # first seen on c2: no gap
        event(seq=3), presence(),                                    # seq went back, presence ignored
    ])
    assert [s.gap(i) for i in range(len(s))] == [None, None, 5, None, None, None, -6, None]
    assert s.summary(2).startswith("⚠ gap 5 ")
    assert s.summary(6).startswith("⚠ seq back 6 ")


def test_gap_on_filtered_subscription_is_expected():
    s = FrameStore()
    s.extend([subscribe("orders.eu", "data.total > `100`"), event(seq=1), event(seq=4),
              subscribe("orders.eu", ""), event(seq=9)])
    assert s.gap(2) == 2 and s.gap_expected(2)
    assert s.summary(2).startswith("gap 2 (filtered) ")
    assert s.gap(4) == 4 and not s.gap_expected(4)  # filter removed: a jump is a real loss again


def test_undecodable_frames():
    s = FrameStore()
    s.extend([raw(b""), raw(b"\x7a{}"), raw(b"\x10{not json"), raw(b'{"a":1}', text=True),
              raw(b"\x10" + b'{"topic":"t","type":"message","ts":"x","data":1}')])
    assert [s.kind(i) for i in range(5)] == [KIND_EMPTY, 0x7A, 0x10, KIND_TEXT, 0x10]
    assert [kind_label(s.kind(i)) for i in range(5)] == ["EMPTY", "0x7A?", "EVENT", "TEXT", "EVENT"]
    assert all(s.undecodable(i) for i in range(5))
    assert s.summary(0) == "undecodable: empty frame"
    assert s.summary(1) == "undecodable: first byte 0x7A is not a known kind"
    assert s.summary(2).startswith("undecodable: body is not JSON")
    assert s.summary(3).startswith("undecodable: text frame")
    assert "ts" in s.summary(4)
    assert s.is_text(3) and not s.is_text(2)


def test_event_round_trip_for_export():
    s = FrameStore()
    s.append(raw(b"hi", text=True, conn="x", t=3.0, direction=OUT))
    ev = s.event(0)
    assert (ev.conn, ev.t, ev.direction, ev.data, ev.text) == ("x", 3.0, OUT, b"hi", True)


def _mixed(s: FrameStore):
    s.extend([
        subscribe("orders.eu"), event(seq=1), event(seq=2, topic="orders.us", data={"total": 250}),
        ping(), pong(), error(), event(seq=3, conn="c2", topic="prices.gbp"), raw(b"\x7a!"),
        event(seq=4, data={"Name": "Zoë"}),
    ])


def numbers(s, q, lo=None, hi=None):
    return s.match(q, lo, hi).tolist()


def test_match_by_each_field():
    s = FrameStore()
    _mixed(s)
    assert numbers(s, Query()) == list(range(1, 10))
    assert numbers(s, Query(kinds=frozenset({Kind.EVENT}))) == [2, 3, 7, 9]
    assert numbers(s, Query(kinds=frozenset({Kind.PING, Kind.PONG}))) == [4, 5]
    assert numbers(s, Query(kinds=frozenset({0x7A}))) == [8]
    assert numbers(s, Query(direction=OUT)) == [1, 4]
    assert numbers(s, Query(direction=IN)) == [2, 3, 5, 6, 7, 8, 9]
    assert numbers(s, Query(conn="c2")) == [7]
    assert numbers(s, Query(conn="nobody")) == []
    assert numbers(s, Query(topic="orders.eu")) == [1, 2, 9]
    assert numbers(s, Query(topic="orders")) == []          # exact unless it ends with *
    assert numbers(s, Query(topic="orders.*")) == [1, 2, 3, 9]
    assert numbers(s, Query(kinds=frozenset({Kind.EVENT}), topic="orders.*", direction=IN)) == [2, 3, 9]


def test_match_free_text():
    s = FrameStore()
    _mixed(s)
    assert numbers(s, Query(text="total")) == [3]
    assert numbers(s, Query(text="PRICES")) == [7]          # topic, any case
    assert numbers(s, Query(text="zoë")) == [9]              # body, non-ASCII
    assert numbers(s, Query(text="bad topic")) == [6]       # ERROR message
    assert numbers(s, Query(text="undecodable")) == [8]     # summary of a broken frame
    assert numbers(s, Query(text="0001616263")) == [4, 5]   # PING/PONG payload hex
    assert numbers(s, Query(text="nothing like it")) == []


def test_match_range_and_ring_wrap():
    s = FrameStore(cap=4)
    s.extend(event(seq=i, topic="a" if i % 2 else "b") for i in range(1, 11))  # keeps 7..10, ring wrapped
    assert numbers(s, Query()) == [7, 8, 9, 10]
    assert numbers(s, Query(topic="a")) == [7, 9]
    assert numbers(s, Query(topic="b"), lo=9) == [10]
    assert numbers(s, Query(topic="b"), lo=1, hi=9) == [8]
    assert numbers(s, Query(), lo=11) == []
    assert numbers(s, Query(text='"n":9')) == [9]


def test_memory_is_compact():
    s = FrameStore(cap=10_000)
    s.extend(event(seq=i) for i in range(10_000))
    columns = sum(sys.getsizeof(getattr(s, a)) for a in
                  ("_t", "_conn", "_dir", "_kind", "_topic", "_seq", "_size", "_gap", "_flags", "_data"))
    assert columns < 10_000 * 60  # a few dozen bytes a frame besides the frame bytes themselves


def test_text_search_across_chunks_and_ring_wrap(monkeypatch):
    import inspector.logstore.frame_store as fs
    monkeypatch.setattr(fs, "_TEXT_CHUNK", 3)
    s = FrameStore(cap=10)
    s.extend(event(seq=i, data={"n": i}) for i in range(1, 26))  # keeps 16..25, wrapped
    assert numbers(s, Query(text='"n":2')) == [20, 21, 22, 23, 24, 25]
    assert numbers(s, Query(text='"N":19}')) == [19]
    assert numbers(s, Query(text='"n":2', kinds=frozenset({Kind.EVENT})), lo=22) == [22, 23, 24, 25]


def test_text_search_with_nul_in_the_needle():
    s = FrameStore()
    s.extend([ping(b"\x00\x01abc"), event(seq=1)])
    assert numbers(s, Query(text="\x00\x01a")) == [1]


def test_odd_data_types_never_break_the_store():
    from inspector.protocol.events import FrameSeen
    s = FrameStore()
    s.extend([FrameSeen("c", 1.0, IN, bytearray(b"\x20ab")), FrameSeen("c", 1.0, IN, memoryview(b"\x21")),
              FrameSeen("c", 1.0, IN, "text", None, True), FrameSeen("c", 1.0, IN, None)])
    assert [s.data(i) for i in range(4)] == [b"\x20ab", b"\x21", b"text", b""]
    assert [s.kind(i) for i in range(4)] == [Kind.PING, Kind.PONG, KIND_TEXT, KIND_EMPTY]


def test_tail_columns_across_the_ring_wrap():
    s = FrameStore(cap=7)
    evs = [event(seq=i, conn=f"c{i % 2}", t=1000.0 + i) for i in range(1, 12)]
    evs[8] = raw(b"text!", direction=OUT, text=True, t=1009.0)
    for k in range(0, 11, 3):
        s.extend(evs[k:k + 3])
    assert len(s) == 7 and s.dropped == 4
    for n in (1, 4, 7):
        t, conn, direction, kind, data = s.tail_columns(n)
        want = range(7 - n, 7)
        assert list(t) == [s.t(i) for i in want] and data == [s.data(i) for i in want]
        assert [s.conns[c] for c in conn] == [s.conn(i) for i in want]
        assert [("out", "in")[d] for d in direction] == [s.direction(i) for i in want]
        assert list(kind) == [s.kind(i) for i in want] and (KIND_TEXT in kind) == (n >= 3)
    with pytest.raises(ValueError):
        s.tail_columns(8)


def test_the_ring_grows_after_a_text_search_that_met_undecodable_bodies():
    """A first text search decodes the bodies read by their head only; one that does not decode
    leaves its error (and the frames it passed through) in a cycle until the collector runs. No
    view of the ring's columns may be held by those frames: the ring must take new rows at once."""
    import gc

    s = FrameStore(cap=100_000)
    frames = [raw(b'{"type":"EVENT","topic":"t.%d","seq":%d,"data":{"who":"%s"}}'
                  % (i % 4, i, b"Zoe" if i % 3 == 0 else b"bob"), t=1_700_000_000 + i * 1e-3) for i in range(600)]
    s.extend(frames[:300])
    gc.disable()
    try:
        assert len(s.match(Query(text="zoe"))) == 100
        s.extend(frames[300:])  # BufferError if a column were still viewed
    finally:
        gc.enable()
    assert len(s) == 600 and len(s.match(Query(text="zoe"))) == 200
