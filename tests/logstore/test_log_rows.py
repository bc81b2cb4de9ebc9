"""LogRows: the log's rows from the ring and the live session's store, with the ring bounded.

Real FrameStore, real LiveSession writing a real session folder (errors by a disk that fills,
as the writer's own tests make one)."""

from __future__ import annotations

import pytest
from framegen import T0, event
from store_kit import FullDisk

from inspector.logstore.frame_store import FrameStore, Query
from inspector.logstore.live_session import LiveSession
from inspector.logstore.log_rows import LogRows


class Clock:
    """The writer's clock, moved by the test: no flush happens until it says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frames(a: int, b: int, size: int = 100) -> list:
    return [event(seq=i, t=T0 + i * 1e-3, data={"i": i, "pad": "x" * size}) for i in range(a, b)]


def live_log(tmp_path, ring_rows: int, ring_bytes: int, cap: int = 1_000_000, **writer):
    ring = FrameStore(cap)
    errors: list[str] = []
    live = LiveSession(tmp_path / "data", on_error=errors.append, writer_options=writer, threaded=False)
    live.attach(ring)
    rows = LogRows(ring)
    rows.attach_live(live, ring_rows=ring_rows, ring_bytes=ring_bytes)
    return ring, live, rows, errors


def feed(ring: FrameStore, rows: LogRows, sent: list, a: int, b: int) -> None:
    batch = frames(a, b)
    ring.extend(batch)
    sent += batch
    rows.maintain(now=True)


def readable(rows: LogRows, sent: list) -> bool:
    """Every row sent is shown, numbered from 1, with its very bytes and time."""
    if rows.first_number != 1 or len(rows) != len(sent):
        return False
    return all(rows.data(i) == ev.data and rows.t(i) == ev.t for i, ev in enumerate(sent))


def test_the_ring_stays_bounded_while_the_store_keeps_every_row(tmp_path):
    ring, live, rows, _ = live_log(tmp_path, ring_rows=500, ring_bytes=20_000, flush_interval=0)
    sent: list = []
    for a in range(0, 6000, 250):
        feed(ring, rows, sent, a, a + 250)
        assert len(ring) <= 500 and ring.data_bytes() <= 20_000
    assert readable(rows, sent) and rows.dropped == 0
    assert ring.first_number > 5000 and len(rows.disk or ()) == 6000
    live.close()


def test_bytes_not_yet_on_disk_stay_in_the_ring(tmp_path):
    clock = Clock()
    ring, live, rows, _ = live_log(tmp_path, ring_rows=10_000, ring_bytes=1000, clock=clock, flush_interval=1.0)
    sent = frames(0, 300)
    ring.extend(sent[:100])
    clock.now = 2.0
    live.tick()  # the first 100 rows are written
    ring.extend(sent[100:])
    rows.maintain(now=True)
    assert ring.data_from == 101  # bytes given up: only those the store has
    assert readable(rows, sent)
    clock.now = 4.0
    live.tick()  # the rest are written
    rows.maintain(now=True)
    assert ring.data_bytes() <= 1000 and readable(rows, sent)
    live.close()


def test_a_full_disk_leaves_the_log_to_the_ring_as_without_a_store(tmp_path):
    room = [40_000]
    ring, live, rows, errors = live_log(tmp_path, ring_rows=100, ring_bytes=5000, cap=400, flush_interval=0,
                                        opener=lambda path: FullDisk(path, room))
    sent: list = []
    for a in range(0, 3000, 50):
        feed(ring, rows, sent, a, a + 50)
        if errors:
            break
    assert errors and ring.cap == 400  # the ring is back to its full size
    assert readable(rows, sent)  # what the store has joins up with the ring: nothing lost yet
    for a in range(len(sent), len(sent) + 1000, 50):
        ring.extend(frames(a, a + 50))
        rows.maintain(now=True)
    assert rows.first_number == ring.first_number > 1 and len(rows) == 400 and rows.dropped == ring.dropped
    live.close()


def test_without_a_store_the_rows_are_the_rings():
    ring = FrameStore(100)
    rows = LogRows(ring)
    sent = frames(0, 250)
    ring.extend(sent)
    assert not rows.maintain(now=True)
    assert (rows.first_number, rows.end_number, rows.dropped) == (151, 251, 150)
    assert [rows.data(i) for i in range(len(rows))] == [ev.data for ev in sent[150:]]
    assert rows.index_of(150) is None and rows.index_of(151) == 0


@pytest.mark.parametrize("ring_rows", [1, 7, 64])
def test_set_cap_keeps_the_newest_rows_in_order(ring_rows):
    ring = FrameStore(50)
    ring.extend(frames(0, 130))  # wrapped
    ring.set_cap(ring_rows)
    assert ring.first_number == 131 - min(ring_rows, 50)
    assert [ring.data(i) for i in range(len(ring))] == [ev.data for ev in frames(0, 130)[-min(ring_rows, 50):]]
    ring.extend(frames(130, 140))
    assert ring.end_number == 141 and len(ring) == min(ring_rows, 60)  # a larger cap lets the ring grow


def test_a_search_in_steps_reads_from_the_store_the_rows_whose_bytes_the_ring_gave_up_meanwhile(tmp_path):
    ring, live, rows, _ = live_log(tmp_path, ring_rows=50_000, ring_bytes=2_500_000, flush_interval=0)
    sent: list = []
    feed(ring, rows, sent, 0, 12_000)
    assert ring.data_from == 1  # the ring holds every row's bytes now
    alone = FrameStore()
    alone.extend(sent)
    q = Query(text="PAD")
    found, steps = [], 0
    for _done, _total, numbers in rows.match_chunks(q):
        found += numbers.tolist()
        steps += 1
        feed(ring, rows, sent, len(sent), len(sent) + 6000)  # newer rows: the oldest bytes go
    assert steps > 2 and ring.data_from > 4000
    assert found == alone.match(q).tolist() == list(range(1, 12_001))
    live.close()
    rows.close()
