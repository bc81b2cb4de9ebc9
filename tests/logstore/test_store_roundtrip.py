"""Whatever is written to a session comes back identical, however it was split into batches."""

from __future__ import annotations

import itertools
import os
import stat

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_kit import CONNS, TOPICS, ShortWrites, as_rows, batch

from inspector.logstore.session_store import writer
from inspector.logstore.session_store.labels import LabelTable
from inspector.logstore.session_store.layout import create_session, read_meta
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import Row, Rows
from inspector.logstore.session_store.writer import SessionWriter, open_sink
from inspector.logstore.sink_thread import SinkThread

NO_SEQ = -(2**63)
_row = st.tuples(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=8),                                   # connection name
    st.sampled_from([0, 1, 2]),                            # sent, received, connection event
    st.sampled_from([-3, -2, -1, 0x10, 0x20, 0x7F]),       # kind: event rows, text, empty, frames
    st.text(max_size=12),                                  # topic
    st.one_of(st.just(NO_SEQ), st.integers(-(2**63), 2**63 - 1)),
    st.integers(0, 7),                                     # flags
    st.binary(max_size=300),
    st.integers(-(2**63), 2**63 - 1),                      # gap
)


def _write(folder, rows: list[tuple], cuts: list[int], block_rows: int) -> None:
    conns, topics = LabelTable(), LabelTable()
    clock = [0.0]
    w = SessionWriter(folder, clock=lambda: clock[0], flush_interval=1.0, block_rows=block_rows, block_bytes=2000)
    bounds = sorted({0, len(rows), *(c % (len(rows) + 1) for c in cuts)})
    for a, b in itertools.pairwise(bounds):
        part = rows[a:b]
        w.append(Rows(t=np.array([r[0] for r in part], np.float64),
                      conn=np.array([conns.intern(r[1]) for r in part], np.uint16),
                      direction=np.array([r[2] for r in part]), kind=np.array([r[3] for r in part]),
                      topic=np.array([topics.intern(r[4]) for r in part], np.int32),
                      seq=np.array([r[5] for r in part], np.int64), flags=np.array([r[6] for r in part]),
                      data=[r[7] for r in part], gap=np.array([r[8] for r in part], np.int64)),
                 conns.names, topics.names)
        clock[0] += 0.4  # some appends flush on time, some wait
    w.close()
    assert not w.error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, max_size=120), cuts=st.lists(st.integers(0, 200), max_size=8),
       block_rows=st.integers(1, 40), scatter=st.sampled_from([0, 100, 10**9]))
def test_any_rows_in_any_batches_read_back_identical(tmp_path_factory, monkeypatch, rows, cuts, block_rows, scatter):
    """... whether a block's rows are joined before writing or written as they are (``scatter``:
    the least average row written as it is)."""
    monkeypatch.setattr(writer, "SCATTER_ROW_BYTES", scatter)
    folder = create_session(tmp_path_factory.mktemp("s"))
    _write(folder, rows, cuts, block_rows)
    with SessionReader(folder) as r:
        assert r.note == ""
        assert len(r) == len(rows)
        expected = [Row(t, c, d, k, topic, seq, len(data), gap, f, data)
                    for t, c, d, k, topic, seq, f, data, gap in rows]
        assert r.rows(0, len(rows)) == expected
        if rows:
            assert r.column("t").tolist() == [row[0] for row in rows]
            assert sum(b.rows for b in r.blocks) == len(rows)
            assert all(b.t_first == r.row(start).t for b, start in zip(r.blocks, r._starts, strict=False))


def test_rows_columns_and_table_agree(tmp_path):
    folder = create_session(tmp_path)
    batches = [batch(k) for k in range(6)]
    with SessionWriter(folder, block_rows=64) as w:
        for b in batches:
            w.append(b, CONNS, TOPICS)
    expected = [row for b in batches for row in as_rows(b)]
    r = SessionReader(folder)
    assert len(r) == 300 and [b.rows for b in r.blocks] == [64, 64, 64, 64, 44]  # whole blocks as they fill
    assert r.rows(0, 300) == expected
    assert r.row(299) == expected[-1]
    assert r.column("seq", 60, 70).tolist() == list(range(60, 70))
    assert r.table(10, 20).column("data").to_pylist() == [row.data for row in expected[10:20]]
    r.close()


def test_filters_and_search(tmp_path):
    folder = create_session(tmp_path)
    with SessionWriter(folder, block_rows=30) as w:
        for k in range(4):
            w.append(batch(k), CONNS, TOPICS)
    with SessionReader(folder) as r:
        rows = r.rows(0, len(r))
        assert r.match(r.where(topic="quotes")).tolist() == [i for i, x in enumerate(rows) if x.topic == "quotes"]
        assert r.match(r.where(kind=-3, conn="c2")).tolist() == [
            i for i, x in enumerate(rows) if x.kind == -3 and x.conn == "c2"]
        assert r.match(r.where(text="BATCH 2 ROW 1")).tolist() == [
            i for i, x in enumerate(rows) if b"batch 2 row 1" in x.data]
        assert r.match(r.where(text="BATCH 2 ROW 1", ignore_case=False)).tolist() == []
        assert r.match(r.where(topic="nowhere")).tolist() == []
        progress = [done for done, _ in r.scan(r.where(kind=16))]
        assert progress == sorted(progress) and progress[-1] == len(r)


def test_files_are_private_and_the_session_says_closed(tmp_path):
    folder = create_session(tmp_path / "data", profile="p", url="wss://x")
    with SessionWriter(folder) as w:
        w.append(batch(0), CONNS, TOPICS)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(folder.parent).st_mode) == 0o700
    assert {stat.S_IMODE(os.stat(folder / f).st_mode) for f in os.listdir(folder)} == {0o600}
    meta = read_meta(folder)
    assert meta["closed"] is True and meta["rows"] == 50 and meta["profile"] == "p"


def test_a_live_session_is_read_as_it_grows(tmp_path):
    folder = create_session(tmp_path)
    clock = [0.0]
    w = SessionWriter(folder, clock=lambda: clock[0], flush_interval=0.25)
    w.append(batch(0), CONNS, TOPICS)
    r = SessionReader(folder)
    assert len(r) == 0  # not due yet: still in memory
    clock[0] = 0.25
    w.tick()
    r.refresh()
    assert len(r) == 50 and r.note == ""
    w.append(batch(1), CONNS, TOPICS)
    w.flush()
    r.refresh()
    assert r.rows(0, 100) == as_rows(batch(0)) + as_rows(batch(1))
    w.close()
    r.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(datas=st.lists(st.binary(max_size=40) | st.text(alphabet="aB .*+?()[]{}|^$\\#-é", max_size=20)
                      .map(str.encode), min_size=1, max_size=40),
       text=st.text(alphabet="aB .*+?()[]{}|^$\\#-é", min_size=1, max_size=4))
def test_search_is_a_plain_substring_search(tmp_path_factory, datas, text):
    folder = create_session(tmp_path_factory.mktemp("s"))
    n = len(datas)
    with SessionWriter(folder, block_rows=7) as w:
        w.append(Rows(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n),
                      datas), ["c"], [""])
    with SessionReader(folder) as r:
        needle = text.encode()
        assert r.match(r.where(text=text, ignore_case=False)).tolist() == [
            i for i, d in enumerate(datas) if needle in d]
        assert r.match(r.where(text=text)).tolist() == [
            i for i, d in enumerate(datas) if needle.lower() in d.lower()]


@pytest.mark.parametrize("threaded", [False, True])
def test_sizes_given_with_the_rows_are_used_and_checked_when_written(tmp_path, threaded):
    """The bytes are joined only when written (on the writes' thread when there is one): sizes
    that do not add up stop the writer there, and the rows written before stay whole."""
    folder = create_session(tmp_path)
    writes = SinkThread() if threaded else None
    opener = writes.opener(open_sink) if writes is not None else open_sink
    try:
        _write_wrong_sizes(folder, opener, writes)
    finally:
        if writes is not None:
            writes.stop()
    with SessionReader(folder) as r:
        assert [(row.size, row.data) for row in r.rows(0, len(r))] == [(2, b"ab"), (3, b"cde")]


def _write_wrong_sizes(folder, opener, writes):
    with SessionWriter(folder, opener=opener) as w:
        w.append(Rows(t=[1.0, 2.0], conn=[0, 0], direction=[1, 1], kind=[16, 16], topic=[0, 0], seq=[1, 2],
                      flags=[0, 0], data=[b"ab", b"cde"], size=np.array([2, 3], np.int32)), ["c"], [""])
        w.flush()
        w.append(Rows(t=[3.0, 4.0], conn=[0, 0], direction=[1, 1], kind=[16, 16], topic=[0, 0], seq=[3, 4],
                      flags=[0, 0], data=[b"ab", b"cde"], size=[1, 3]), ["c"], [""])
        w.flush()
        if writes is not None:
            writes.wait_for(lambda: None)
            assert writes.error is not None
            w.abandon(writes.error)  # as LiveSession does when it sees the thread's error
        assert "the rows' bytes differ from their sizes by +1" in w.error
        assert (w.rows_written, w.rows_dropped) == (2, 2)


@pytest.mark.parametrize("threaded", [False, True])
def test_large_rows_are_written_as_they_are_and_their_sizes_checked(tmp_path, monkeypatch, threaded):
    """Rows of SCATTER_ROW_BYTES or more on average go to the file as their own bytes, never
    joined; sizes that do not add up stop the writer as for joined rows, the rows before whole."""
    def no_join(self):
        raise AssertionError("joined")

    monkeypatch.setattr(writer.Gather, "data", no_join)
    folder = create_session(tmp_path)
    writes = SinkThread() if threaded else None
    opener = writes.opener(open_sink) if writes is not None else open_sink
    big = [bytes([65 + i]) * (writer.SCATTER_ROW_BYTES + i) for i in range(4)]
    try:
        with SessionWriter(folder, opener=opener) as w:
            w.append(Rows(t=[1.0, 2.0], conn=[0, 0], direction=[1, 1], kind=[16, 16], topic=[0, 0], seq=[1, 2],
                          flags=[0, 0], data=big[:2]), ["c"], [""])
            w.flush()
            w.append(Rows(t=[3.0, 4.0], conn=[0, 0], direction=[1, 1], kind=[16, 16], topic=[0, 0], seq=[3, 4],
                          flags=[0, 0], data=big[2:], size=[len(big[2]) - 1, len(big[3])]), ["c"], [""])
            w.flush()
            if writes is not None:
                writes.wait_for(lambda: None)
                assert writes.error is not None
                w.abandon(writes.error)
            assert "the rows' bytes differ from their sizes by +1" in w.error
            assert (w.rows_written, w.rows_dropped) == (2, 2)
    finally:
        if writes is not None:
            writes.stop()
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == big[:2]


def test_large_rows_take_a_write_call_for_every_iov_max_of_them(tmp_path, monkeypatch):
    """A block of large rows: one call for the message's head, one for each IOV_MAX rows, one
    for its tail."""
    monkeypatch.setattr(writer, "IOV_MAX", 64)
    folder = create_session(tmp_path)
    sinks: dict[str, CountingSink] = {}

    def opener(path):
        sinks[path.name] = CountingSink(path)
        return sinks[path.name]

    datas = [bytes([97 + i % 26]) * (writer.SCATTER_ROW_BYTES + i) for i in range(300)]
    n = len(datas)
    with SessionWriter(folder, opener=opener, block_rows=150) as w:
        w.append(Rows(np.arange(n, dtype=float), np.zeros(n), np.ones(n), np.full(n, 16), np.zeros(n),
                      np.arange(n), np.zeros(n), datas), ["c"], [""])
    assert len(w.blocks) == 2
    assert sinks["frames.arrows"].writes == 1 + len(w.blocks) * (1 + 3 + 1)  # the schema; head, 150 rows, tail
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == datas


@pytest.mark.parametrize("threaded", [False, True])
def test_the_rows_own_bytes_are_written_in_place_of_the_stand_in(tmp_path, threaded):
    """Each block's message is made with a stand-in for its bytes: the file must hold the rows'
    bytes, in blocks of many sizes (full by rows, by bytes, and a last part), never the stand-in's."""
    folder = create_session(tmp_path)
    writes = SinkThread() if threaded else None
    opener = writes.opener(open_sink) if writes is not None else open_sink
    datas = [bytes([65 + i % 26]) * (1 + i * 37 % 3000) for i in range(700)]
    try:
        with SessionWriter(folder, opener=opener, block_rows=128, block_bytes=64 * 1024) as w:
            for a in range(0, len(datas), 99):
                part = datas[a:a + 99]
                n = len(part)
                w.append(Rows(np.arange(a, a + n, dtype=float), np.zeros(n), np.ones(n), np.full(n, 16),
                              np.zeros(n), np.arange(a, a + n), np.zeros(n), part), ["c"], [""])
    finally:
        if writes is not None:
            writes.stop()
    assert w.error == "" and len(w.blocks) > 5
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == datas
        assert [row.t for row in r.rows(0, len(r))] == list(range(len(datas)))


class CountingSink:
    """A real file that counts its write calls (``writev`` too)."""

    def __init__(self, path) -> None:
        self._f = open_sink(path)
        self.writes = 0

    def write(self, data, /):
        self.writes += 1
        return self._f.write(data)

    def writev(self, buffers, /):
        self.writes += 1
        return self._f.writev(buffers)

    def truncate(self, size, /):
        return self._f.truncate(size)

    def close(self) -> None:
        self._f.close()


def test_each_block_reaches_the_writes_thread_as_one_write(tmp_path):
    """A block's whole message (header, columns, the rows' bytes) is one piece of work for the
    writes' thread and one write call: the thread takes the GIL a few times a block, not a few
    times for each of the message's parts."""
    folder = create_session(tmp_path)
    writes = SinkThread()
    sinks: dict[str, CountingSink] = {}

    def opener(path):
        sinks[path.name] = CountingSink(path)
        return sinks[path.name]

    datas = [b"x" * (1 + i % 200) for i in range(1000)]
    n = len(datas)
    try:
        with SessionWriter(folder, opener=writes.opener(opener), block_rows=100) as w:
            w.append(Rows(np.arange(n, dtype=float), np.zeros(n), np.ones(n), np.full(n, 16), np.zeros(n),
                          np.arange(n), np.zeros(n), datas), ["c"], [""])
    finally:
        writes.stop()
    assert len(w.blocks) == 10
    assert sinks["frames.arrows"].writes == 1 + len(w.blocks)  # the schema, then one write a block
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == datas


def test_a_message_without_the_stand_in_is_written_with_the_bytes_joined(tmp_path, monkeypatch):
    """Should pyarrow ever copy the stand-in instead of passing it on, the stand-in is not found
    among the message's parts: the block is written again with its rows' bytes joined, never
    with the stand-in's zeros."""
    from inspector.logstore.session_store import writer

    found = []
    take_parts = writer._Capture.take_parts

    def copying(self, stand_in=None, gather=None):
        parts = take_parts(self, stand_in, gather)
        found.append(parts is not None)
        return None if stand_in is not None else parts

    monkeypatch.setattr(writer._Capture, "take_parts", copying)
    folder = create_session(tmp_path)
    datas = [bytes([97 + i % 26]) * (1 + i % 300) for i in range(500)]
    with SessionWriter(folder, block_rows=64) as w:
        for a in range(0, len(datas), 71):  # blocks made of several appends' columns
            part = datas[a:a + 71]
            n = len(part)
            w.append(Rows(np.arange(a, a + n, dtype=float), np.zeros(n), np.ones(n), np.full(n, 16), np.zeros(n),
                          np.arange(a, a + n), np.zeros(n), part), ["c"], [""])
    assert w.error == "" and len(w.blocks) == 8
    assert found.count(True) >= len(w.blocks)  # the stand-in was there each time, and refused
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == datas
        assert [row.t for row in r.rows(0, len(r))] == list(range(len(datas)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.binary(max_size=700), max_size=40), caps=st.lists(st.integers(1, 900), min_size=1,
                                                                            max_size=6),
       iov_max=st.integers(1, 5))
def test_short_writes_carry_on_from_the_byte_they_stopped_at(tmp_path_factory, monkeypatch, pieces, caps, iov_max):
    """A ``writev`` (or ``write``) may write part of what it was given: ``write_all`` goes on
    from the next byte, in calls of at most IOV_MAX buffers, until all of them are written, and
    says how many bytes each call wrote."""
    monkeypatch.setattr(writer, "IOV_MAX", iov_max)
    path = tmp_path_factory.mktemp("short") / "f"
    sink = ShortWrites(path, caps)
    told: list[int] = []
    gather = writer.Gather([(pieces, 0, len(pieces))], sum(map(len, pieces)), head=[b"head", memoryview(b"")],
                           tail=[memoryview(b"tail")])
    writer.write_all(sink, gather, told.append)
    sink.close()
    expected = b"head" + b"".join(pieces) + b"tail"
    assert path.read_bytes() == expected and sum(told) == len(expected)
    assert all(0 < n <= iov_max for n in sink.calls)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.lists(st.binary(max_size=200), max_size=12), max_size=5),
       caps=st.lists(st.integers(1, 300), min_size=1, max_size=6), iov_max=st.integers(1, 5))
def test_rows_written_as_they_are_carry_on_from_the_byte_a_short_write_stopped_at(
        tmp_path_factory, monkeypatch, runs, caps, iov_max):
    """The same for a block's rows written as they are, from runs of several lists: every byte
    once, in order, and each call's count told."""
    monkeypatch.setattr(writer, "IOV_MAX", iov_max)
    monkeypatch.setattr(writer, "SCATTER_ROW_BYTES", 0)
    rows = [p for run in runs for p in run]
    path = tmp_path_factory.mktemp("short") / "f"
    sink = ShortWrites(path, caps)
    told: list[int] = []
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in rows], dtype=np.int64)])
    gather = writer.Gather([(["x", *run, "y"], 1, 1 + len(run)) for run in runs], sum(map(len, rows)),
                           head=[b"head"], tail=[memoryview(b"tail")], offsets=offsets)
    assert gather.scattered == bool(rows)
    writer.write_all(sink, gather, told.append)
    sink.close()
    expected = b"head" + b"".join(rows) + b"tail"
    assert path.read_bytes() == expected and sum(told) == len(expected)
    assert all(0 < n <= iov_max for n in sink.calls)


@pytest.mark.parametrize("threaded", [False, True])
def test_a_block_written_in_short_writes_reads_back_whole(tmp_path, threaded):
    """The writer's files, each block's message written a few hundred bytes a call: every row
    comes back as written."""
    folder = create_session(tmp_path)
    writes = SinkThread() if threaded else None
    sinks: list[ShortWrites] = []

    def short(path):
        sinks.append(ShortWrites(path, [997, 1, 300, 4096]))
        return sinks[-1]

    try:
        with SessionWriter(folder, opener=writes.opener(short) if writes else short, block_rows=64) as w:
            for k in range(6):
                w.append(batch(k), CONNS, TOPICS)
    finally:
        if writes is not None:
            writes.stop()
    assert w.error == "" and any(len(s.calls) > len(w.blocks) for s in sinks)  # blocks took many calls
    with SessionReader(folder) as r:
        assert r.rows(0, len(r)) == [row for k in range(6) for row in as_rows(batch(k))]


def test_rows_whose_sizes_say_nothing_are_checked_too(tmp_path, monkeypatch):
    """Rows written as they are whose sizes add up to nothing (empty rows, by the sizes) still
    go to the call, which finds their bytes: the sizes are wrong, and the write says so."""
    monkeypatch.setattr(writer, "SCATTER_ROW_BYTES", 0)
    sink = open_sink(tmp_path / "f")
    gather = writer.Gather([([b"", b"x"], 0, 2)], 0, offsets=np.zeros(3, np.int64))
    with pytest.raises(OSError, match=r"the rows' bytes differ from their sizes by \+1"):
        writer.write_all(sink, gather)
    sink.close()
    empty = writer.Gather([([b"", b""], 0, 2)], 0, offsets=np.zeros(3, np.int64))
    sink = open_sink(tmp_path / "g")
    writer.write_all(sink, empty)
    sink.close()
    assert (tmp_path / "g").read_bytes() == b""
