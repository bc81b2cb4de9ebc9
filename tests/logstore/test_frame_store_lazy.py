"""FrameStore rows of message EVENTs the client did not decode (frame None): read from the head,
the body checked only when a row is painted, summarised or searched."""

from __future__ import annotations

import pytest
from framegen import LAYOUTS, T0, batch, event, ping, presence, raw, subscribe, written

from inspector.logstore.frame_store import FrameStore, Query
from inspector.protocol.events import IN, FrameSeen


def columns(s: FrameStore):
    return [(s.t(i), s.conn(i), s.direction(i), s.kind(i), s.topic(i), s.seq(i), s.size(i), s.data(i),
             s.undecodable(i), s.gap(i), s.gap_expected(i), s.summary(i)) for i in range(len(s))]


def mixed(decoded: bool):
    evs = [subscribe("orders.eu", "data.total > `1`"), subscribe("orders.us")]
    for i in (1, 2, 5, 6, 4):  # gaps forward and back, on a filtered and an unfiltered subscription
        evs.append(event(seq=i, topic="orders.eu", decoded=decoded, t=T0 + i))
        evs.append(event(seq=i, topic="orders.us", decoded=decoded, conn="c2", t=T0 + i))
    evs += [presence(), ping(), event(seq=None, decoded=decoded), event(seq=7, type_="presence", decoded=decoded)]
    return evs


def test_lazy_rows_equal_decoded_rows():
    lazy, eager = FrameStore(), FrameStore()
    lazy.extend(mixed(decoded=False))
    eager.extend(mixed(decoded=True))
    assert columns(lazy) == columns(eager)
    assert any(lazy.gap_expected(i) for i in range(len(lazy))) and lazy.gap(4) is None


def test_a_lazily_read_row_with_a_broken_body_is_undecodable_when_painted_or_searched():
    broken = b'\x10{"topic":"orders.eu","type":"message","seq":3,"ts":"soon","data":{}}'
    s = FrameStore()
    s.extend([event(seq=2, decoded=False), FrameSeen("c1", T0, IN, broken), event(seq=4, decoded=False)])
    assert (s.topic(1), s.seq(1)) == ("orders.eu", 3)  # read from the head, as the log shows it
    assert s.summary(1).startswith("undecodable: EVENT 'ts' must be an integer")
    assert s.undecodable(1) and not s.undecodable(0) and not s.undecodable(2)
    # a fresh store, searched before anything was painted: the search checks the bodies itself
    s2 = FrameStore()
    s2.extend([event(seq=2, decoded=False), FrameSeen("c1", T0, IN, broken), event(seq=4, decoded=False)])
    assert s2.match(Query(text="must be an integer")).tolist() == [2]
    assert s2.undecodable(1)


def test_heads_the_store_cannot_vouch_for_are_decoded_at_once():
    s = FrameStore()
    s.extend([raw(b'\x10{"topic":"orders.eu","type":"message","seq":50,"ts":1,"data":'),  # cut: no closing brace
              raw(b'\x10{"type":"message","topic":"other","seq":5,"ts":1,"data":1}'),    # other key order
              raw(b'\x10{"topic":"Bad Topic","type":"message","ts":1,"data":0}')])
    assert [s.undecodable(i) for i in range(3)] == [True, False, False]
    assert [s.topic(i) for i in range(3)] == ["", "other", "Bad Topic"]
    assert s.seq(1) == 5


def flood(n: int, start_seq: int = 1):
    """A batch as the client hands it over under load: undecoded EVENTs on a few topics and
    connections, seq gaps (some on a filtered subscription), presence, long seqs."""
    evs = []
    for i in range(n):
        topic = ("orders.eu", "orders.us", "prices.gbp")[i % 3]
        conn = "c2" if i % 7 == 0 else "c1"
        seq = start_seq + i // 3 + (5 if i > n // 2 else 0) - (2 if i % 50 == 49 else 0)
        if i % 97 == 0:
            evs.append(event(seq=None, topic=topic, conn=conn, decoded=False, type_="presence", t=T0 + i))
        elif i % 31 == 0:
            evs.append(event(seq=None, topic=topic, conn=conn, decoded=False, t=T0 + i))
        else:
            evs.append(event(seq=seq, topic=topic, conn=conn, decoded=False, t=T0 + i, data={"i": i}))
    return evs


def spy_batch_path(monkeypatch) -> list:
    """Record, per batch of more than one frame, whether the batch path took it."""
    taken: list = []
    real = FrameStore._extend_events

    def spy(self, events):
        done = real(self, events)
        if len(events) > 1:
            taken.append(done)
        return done
    monkeypatch.setattr(FrameStore, "_extend_events", spy)
    return taken


def test_the_batch_path_equals_the_frame_by_frame_path(monkeypatch):
    taken = spy_batch_path(monkeypatch)
    setup = [subscribe("orders.eu", "data.total > `1`"), subscribe("orders.us", conn="c2")]
    batched, single = FrameStore(), FrameStore()
    for s in (batched, single):
        s.extend(setup)
    first, second = flood(500), flood(300, start_seq=10**17)  # the second batch jumps far: long seqs
    batched.extend(first)
    batched.extend(second)
    for ev in first + second:
        single.append(ev)
    assert taken == [False, False, True, True]  # the subscriptions, then the two floods
    assert columns(batched) == columns(single)
    assert sum(1 for i in range(len(batched)) if batched.gap(i)) > 10
    assert any(batched.gap_expected(i) for i in range(len(batched)))
    assert batched.seq(len(batched) - 1) > 10**17


@pytest.mark.parametrize("odd, bulk", [
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":007,"ts":1,"data":1}'), False),  # leading zeros
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":9,"ts":1,"data":'), False),      # cut
    (raw(b'\x10{"topic":"orders.\\ud800","type":"message","ts":1,"data":1}'), False),        # decode reads it
    (FrameSeen("c1", T0, IN, bytearray(event(seq=3, decoded=False).data)), False),
    (FrameSeen("c1", T0, IN, b"\x20ab"), False),
    (subscribe("orders.eu", "data.i > `1`", conn="c2"), False),
    (raw(b'\x10{"topic":"orders.eu","type":"message","ts":1,"data":1}', text=True), False),
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":8,"ts":1,"data":1} '), True),   # trailing space
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":1234567890123456789,"ts":1,"data":1}'), True),
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":%d,"ts":1,"data":1}' % 2**64), True),  # no column holds
    (raw(b'\x10{"topic":"orders.eu","type":"message","seq":9,"ts":"soon","data":1}'), True),  # checked when shown
    (raw(b'\x10{"data":1, "seq": 9, "type": "message", "topic": "orders.eu", "ts": 1}'), True),
    (event(seq=3, conn="c2"), True),                                                         # decoded by the client
    (presence(), True),
])
def test_odd_frames_in_a_flood_give_the_frame_by_frame_rows(monkeypatch, odd, bulk):
    taken = spy_batch_path(monkeypatch)
    batch = flood(100)
    batch.insert(50, odd)
    batched, single = FrameStore(), FrameStore()
    batched.extend(batch)
    for ev in batch:
        single.append(ev)
    assert columns(batched) == columns(single)
    assert taken == [bulk]


def test_many_topics_and_connections_go_in_bulk(monkeypatch):
    taken = spy_batch_path(monkeypatch)
    many = [event(seq=i, topic=f"t{i % 20}", conn=f"c{i % 3}", decoded=False) for i in range(100)]
    batched, single = FrameStore(), FrameStore()
    batched.extend(many)
    for ev in many:
        single.append(ev)
    assert columns(batched) == columns(single)
    assert batched.topics == single.topics and batched.conns == single.conns
    assert taken == [True]


def test_the_batch_path_wraps_the_ring_like_the_frame_by_frame_path(monkeypatch):
    taken = spy_batch_path(monkeypatch)
    batch = flood(400)
    for cap in (50, 130, 399, 400, 401):
        batched, single = FrameStore(cap=cap), FrameStore(cap=cap)
        batched.extend(batch[:90])
        batched.extend(batch[90:])
        for ev in batch:
            single.append(ev)
        assert columns(batched) == columns(single) and batched.dropped == single.dropped
        assert batched.first_number == single.first_number
    assert all(taken)


def test_search_checks_many_bodies_at_once_and_still_finds_each_broken_one():
    batch = flood(600)
    batch[100] = FrameSeen("c1", T0, IN, b'\x10{"topic":"orders.eu","type":"message","seq":1,"ts":true,"data":{}}')
    batch[400] = FrameSeen("c1", T0, IN, b'\x10{"topic":"orders.eu","type":"message","seq":2,"ts":1,"data":{,}}')
    batch[500] = FrameSeen("c1", T0, IN, b'\x10{"topic":"orders.eu","type":"message","seq":3,"ts":1,"data":NaN}')
    s = FrameStore()
    s.extend(batch)
    assert s.match(Query(text="undecodable")).tolist() == [101, 401, 501]
    assert [i for i in range(len(s)) if s.undecodable(i)] == [100, 400, 500]
    assert s.match(Query(text="'ts' must be an integer")).tolist() == [101]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_store_takes_other_servers_floods_in_bulk_with_the_same_rows(monkeypatch, layout):
    taken = spy_batch_path(monkeypatch)
    frames = [FrameSeen("c1", T0 + i, IN, d) for i, d in enumerate(batch(layout))]
    frames.insert(70, FrameSeen("c1", T0, IN, written(70, layout, seq=1, type="x")))
    setup = [subscribe("orders.eu", "data.i > `3`")]
    batched, single = FrameStore(), FrameStore()
    for s in (batched, single):
        s.extend(setup)
    batched.extend(frames)
    for ev in frames:
        single.append(ev)
    assert taken == [True]  # a frame whose data has keys like the head's: still in bulk, still exact
    assert columns(batched) == columns(single)
    frames.pop(70)
    bulk, one = FrameStore(), FrameStore()
    bulk.extend(setup)
    one.extend(setup)
    bulk.extend(frames)
    for ev in frames:
        one.append(ev)
    assert taken[-1] is True
    assert columns(bulk) == columns(one)
    assert any(bulk.gap(i) for i in range(len(bulk))) and any(bulk.gap_expected(i) for i in range(len(bulk)))


def test_a_nested_seq_is_not_taken_for_the_frames_own():
    s = FrameStore()
    s.extend([event(seq=1, decoded=False),
              FrameSeen("c1", T0, IN, b'\x10{"topic": "orders.eu", "type": "message", "seq": 2, "ts": 1, '
                                      b'"data": {"seq": 99}}')])
    assert s.seq(1) == 2 and s.gap(1) is None


def test_a_head_the_client_read_is_not_read_again(monkeypatch):
    import inspector.logstore.frame_store as frame_store
    from inspector.protocol.heads import read_head

    def with_head(ev: FrameSeen) -> FrameSeen:
        return FrameSeen(ev.conn, ev.t, ev.direction, ev.data, None, False, read_head(ev.data))
    batch = flood(200)
    expected = FrameStore()
    expected.extend(batch)
    given = [with_head(ev) for ev in batch]
    monkeypatch.setattr(frame_store, "read_head", lambda data: pytest.fail("read again"))
    batched, single = FrameStore(), FrameStore()
    batched.extend(given)
    for ev in given[:5]:
        single.append(ev)
    assert columns(batched) == columns(expected)
    assert columns(single) == columns(expected)[:5]
