"""FrameStore rows of message EVENTs the client did not decode (frame None): read from the head,
the body checked only when a row is painted, summarised or searched."""

from __future__ import annotations

from inspector.protocol.events import IN, FrameSeen
from inspector.qt.frame_store import FrameStore, Query

from framegen import T0, event, ping, presence, raw, subscribe


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
