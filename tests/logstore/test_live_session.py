"""The live log's rows reach the session store: a real FrameStore feeding a real writer."""

from __future__ import annotations

import pytest
from framegen import event, ping, raw, subscribe
from store_kit import FullDisk, FullDiskV

from inspector.logstore.frame_store import KIND_SESSION, FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.layout import list_sessions, read_meta
from inspector.logstore.session_store.reader import SessionReader
from inspector.protocol.events import State, StateChanged


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _rows_of(store: FrameStore) -> list[tuple[float, str, int, str, int, bytes]]:
    return [(store.t(i), store.conn(i), store.kind(i), store.topic(i), store.seq(i) or -1, store.data(i))
            for i in range(len(store))]


def _rows_read(reader: SessionReader) -> list[tuple[float, str, int, str, int, bytes]]:
    out = []
    for r in reader.rows(0, len(reader)):
        out.append((r.t, r.conn, r.kind, r.topic, r.seq, r.data))
    return out


def _mixed(n: int, conn: str = "c1", t0: float = 100.0) -> list:
    out = [subscribe("orders.eu", conn=conn, t=t0)]
    out += [event(seq=i + 1, topic=("orders.eu", "prices.gbp")[i % 2], conn=conn, t=t0 + i * 1e-3,
                  decoded=bool(i % 3)) for i in range(n)]
    out += [ping(conn=conn, t=t0 + n), raw(b"", conn=conn, t=t0 + n)]
    return out


def _no_seq(rows):
    from inspector.logstore.event_heads import NO_SEQ
    return [(*r[:4], -1 if r[4] == NO_SEQ else r[4], *r[5:]) for r in rows]


def test_every_row_of_the_log_is_written_to_the_session(tmp_path):
    errors: list[str] = []
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=errors.append, profile="local")
    live.attach(store)
    store.extend(_mixed(500))          # the vectorised path and the row path alike
    store.add_session(StateChanged("c1", 101.0, State.OPEN))
    store.extend(_mixed(3, conn="c2", t0=102.0))
    live.close()
    assert errors == [] and live.folder is not None
    with SessionReader(live.folder) as reader:
        assert len(reader) == len(store)
        assert _no_seq(_rows_read(reader)) == _no_seq(_rows_of(store))
        assert reader.row(len(_mixed(500))).kind == KIND_SESSION
    meta = read_meta(live.folder)
    assert meta["closed"] is True and meta["profile"] == "local" and meta["rows"] == len(store)


def test_nothing_is_made_before_the_first_row(tmp_path):
    store = FrameStore()
    LiveSession(tmp_path, on_error=lambda _t: None).attach(store)
    assert list_sessions(tmp_path) == []


def test_a_cleared_log_keeps_the_names_of_its_ids(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=lambda _t: None)
    live.attach(store)
    store.extend([event(topic="a.one", conn="first")] * 100)
    store.clear()  # the log's ids start again: "second" is conn 0 now, as "first" was
    store.extend([event(topic="b.two", conn="second")] * 100)
    live.close()
    with SessionReader(live.folder) as reader:
        got = {(r.conn, r.topic) for r in reader.rows(0, len(reader))}
    assert got == {("first", "a.one"), ("second", "b.two")}


def test_rows_wait_for_the_tick_then_reach_the_file(tmp_path):
    clock = Clock()
    started: list[bool] = []
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=lambda _t: None, on_pending=lambda: started.append(True),
                       writer_options={"clock": clock, "flush_interval": 0.2})
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])
    store.extend([event(seq=i) for i in range(101, 201)])
    assert started == [True] and live.pending  # one timer start for the owner, not one per batch
    live.drain()
    with SessionReader(live.folder) as reader:
        assert len(reader) == 0
        clock.now = 0.25
        live.tick()
        live.drain()  # the writes' thread has the bytes: now they are in the file
        assert not live.pending
        reader.refresh()
        assert len(reader) == 200
    live.close()


@pytest.mark.parametrize("disk", [FullDisk, FullDiskV])
def test_a_full_disk_is_reported_once_and_the_log_carries_on(tmp_path, disk):
    errors: list[str] = []
    room = [40_000]
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=errors.append,
                       writer_options={"flush_interval": 0.0, "opener": lambda p: disk(p, room)})
    live.attach(store)
    for k in range(20):
        store.extend([event(seq=k * 100 + i, t=float(k)) for i in range(1, 101)])
    live.close()
    assert len(store) == 2000  # the log has every row
    assert len(errors) == 1 and "No space left on device" in errors[0] and "in memory" in errors[0]
    assert not live.pending
    with SessionReader(live.folder) as reader:  # what was written before is whole
        assert 0 < len(reader) < 2000
        assert [r.seq for r in reader.rows(0, len(reader))] == list(range(1, len(reader) + 1))


def test_an_unwritable_data_folder_is_reported_once(tmp_path):
    errors: list[str] = []
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    store = FrameStore()
    live = LiveSession(blocker, on_error=errors.append)
    live.attach(store)
    store.extend([event()] * 100)
    store.extend([event()] * 100)
    live.flush()  # the writer is made on the writes' thread: its failure is known once that is done
    store.extend([event()] * 100)
    live.close()
    assert len(errors) == 1 and "cannot write the session" in errors[0]
    assert len(store) == 300 and not live.pending


def test_the_writes_thread_keeps_the_order_and_ends_with_the_session(tmp_path):
    import threading
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=pytest.fail, writer_options={"flush_interval": 0.0, "block_rows": 64})
    live.attach(store)
    for k in range(30):  # many blocks: index entries and batches interleave on the one thread
        store.extend([event(seq=k * 100 + i, t=float(k)) for i in range(1, 101)])
    assert any(t.name == "session-store-writes" for t in threading.enumerate())
    live.close()
    assert not any(t.name == "session-store-writes" for t in threading.enumerate())
    with SessionReader(live.folder) as reader:
        assert reader.note == "" and len(reader) == 3000 and len(reader.blocks) > 30
        assert [r.seq for r in reader.rows(0, 3000)] == [k * 100 + i for k in range(30) for i in range(1, 101)]


def test_unthreaded_the_rows_are_in_the_file_when_the_tick_returns(tmp_path):
    clock = Clock()
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=pytest.fail, threaded=False, writer_options={"clock": clock})
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])
    clock.now = 1.0
    live.tick()
    with SessionReader(live.folder) as reader:
        assert len(reader) == 100
    live.close()


@pytest.mark.parametrize("end", ["tick", "close"])
def test_open_at_tick_starts_the_writer_at_the_first_tick_and_loses_no_row(tmp_path, end):
    import threading
    started: list[bool] = []
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=pytest.fail, on_pending=lambda: started.append(True), open_at_tick=True)
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])
    store.extend([event(seq=i) for i in range(101, 151)])
    # the rows wait in memory: no writes' thread, no session folder, yet the owner's timer starts
    assert started == [True] and live.pending and live.writes is None and live.waiting_bytes > 0
    assert not any(t.name == "session-store-writes" for t in threading.enumerate())
    assert list_sessions(tmp_path) == []
    if end == "tick":
        live.tick()
        assert live.writes is not None
        store.extend([event(seq=i) for i in range(151, 201)])
    live.close()
    with SessionReader(live.folder) as reader:
        assert [r.seq for r in reader.rows(0, len(reader))] == list(range(1, 201 if end == "tick" else 151))


def test_open_at_tick_starts_the_writer_when_the_rows_waiting_pass_the_limit(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=pytest.fail, open_at_tick=True, early_limit=1000)
    live.attach(store)
    store.extend([event(seq=1)])
    assert live.writes is None
    store.extend([event(seq=i) for i in range(2, 201)])  # more bytes than early_limit: put waits for the writer
    assert live.writer is not None and live.waiting_bytes == 0
    live.close()
    with SessionReader(live.folder) as reader:
        assert [r.seq for r in reader.rows(0, len(reader))] == list(range(1, 201))
