"""A filter or search over a session store keeps exactly the rows the in-memory ring keeps."""

from __future__ import annotations

import gc
import json
import threading

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.logstore import scan_pace
from inspector.logstore.frame_store import (
    FLAG_BAD,
    FLAG_GAP_EXPECTED,
    FLAG_UNCHECKED,
    KIND_EMPTY,
    KIND_SESSION,
    KIND_TEXT,
    FrameStore,
    Query,
)
from inspector.logstore.scan_pace import Pace
from inspector.logstore.session_rows import row_bytes
from inspector.logstore.session_store.labels import LabelTable
from inspector.logstore.session_store.layout import create_session
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import Rows
from inspector.logstore.session_store.writer import SessionWriter
from inspector.logstore.store_scan import BodySearch, match_chunks
from inspector.protocol.events import PongMissed, State, StateChanged
from inspector.protocol.kinds import Kind

NO_SEQ = -(2**63)
CONNS = ["c1", "Conn-É", "c3"]
TOPICS = ["", "orders.eu", "orders.us", "Prices.GBP", "zürich.Ü", "a.b*c"]
ALPHABET = "aAbBéÉüÜ.*+?()[]{}|^$\\#-\"': 0123\x00\u212a"  # \u212a: the Kelvin sign, str.lower() gives "k"
NEEDLES = ["undecodable", "gap", "⚠ gap", "seq back", "'ts' must be", "é", "É", "\\u00e9", "orders", "ORDERS.E",
           "Prices", "connection", "open", "0a0b", "(empty)", "missed", "\x00", "k", "data\":"]


def _body(topic: str, i: int, bad: bool, escape: bool, spaced: bool) -> bytes:
    body = {"data": {"name": "Zoë Ünal", "i": i, "sym": "ÉCO"}, "ts": "soon" if bad else 1764300000123 + i,
            "type": "message", "topic": topic, "seq": i}
    keys = sorted(body, reverse=bool(i % 2))  # other servers' key orders and spacing
    separators = (", ", ": ") if spaced else (",", ":")
    text = json.dumps({k: body[k] for k in keys}, ensure_ascii=escape, separators=separators)
    return b"\x10" + text.encode("utf-8")


@st.composite
def rows(draw):
    n = draw(st.integers(0, 70))
    out = []
    for i in range(n):
        shape = draw(st.sampled_from(["event", "event", "event", "ping", "pong", "session", "text", "empty", "raw"]))
        topic = draw(st.sampled_from(TOPICS))
        conn = draw(st.sampled_from(CONNS))
        direction = draw(st.sampled_from([0, 1]))
        flags = draw(st.sampled_from([0, FLAG_UNCHECKED, FLAG_GAP_EXPECTED, FLAG_UNCHECKED | FLAG_GAP_EXPECTED]))
        gap = draw(st.sampled_from([0, 0, 0, 3, -2, 4242]))
        seq = NO_SEQ
        if shape == "event":
            kind, seq = Kind.EVENT, i
            data = _body(topic, i, draw(st.booleans()), draw(st.booleans()), draw(st.booleans()))
        elif shape in ("ping", "pong"):
            kind, flags, topic = (Kind.PING if shape == "ping" else Kind.PONG), 0, ""
            data = bytes([kind]) + draw(st.binary(max_size=6))
        elif shape == "session":
            kind, direction, flags, gap, topic = KIND_SESSION, 2, 0, 0, ""
            ev = draw(st.sampled_from([StateChanged(conn, 1.0, State.OPEN), PongMissed(conn, 2.0, 3),
                                       StateChanged(conn, 3.0, State.CLOSED, code=1006, reason="gone é")]))
            data = row_bytes(ev) if draw(st.booleans()) else draw(st.binary(max_size=8))  # or unreadable
        elif shape == "text":
            kind, flags, topic = KIND_TEXT, FLAG_BAD, ""
            data = draw(st.text(alphabet=ALPHABET, max_size=12)).encode("utf-8", "surrogatepass")
        elif shape == "empty":
            kind, flags, topic, data = KIND_EMPTY, FLAG_BAD, "", b""
        else:  # any bytes: an unknown kind, a broken SUBSCRIBE, an ERROR
            data = draw(st.binary(min_size=1, max_size=20)) + draw(st.text(alphabet=ALPHABET, max_size=8)).encode()
            kind, flags, topic = data[0], FLAG_BAD if data[0] not in (1, 2, 255) else 0, ""
        out.append((1000.0 + i, conn, direction, int(kind), topic, seq, flags, data, gap))
    return out


queries = st.builds(
    Query,
    kinds=st.none() | st.frozensets(st.sampled_from([Kind.EVENT, Kind.PING, Kind.PONG, Kind.SUBSCRIBE, Kind.ERROR,
                                                     KIND_SESSION, KIND_TEXT, KIND_EMPTY, 0x7A])),
    direction=st.sampled_from([None, "out", "in"]),
    conn=st.none() | st.sampled_from([*CONNS, "nobody"]),
    topic=st.sampled_from(["", *TOPICS[1:], "orders*", "*", "Prices.*", "zür*", "a.b*c*", "none"]),
    text=st.sampled_from(["", ""]) | st.sampled_from(NEEDLES) | st.text(alphabet=ALPHABET, min_size=1, max_size=4),
)


def _ring(rows_, clear_unchecked: bool = False) -> FrameStore:
    ring = FrameStore(cap=1000)
    if not rows_:
        return ring
    cols = list(zip(*rows_, strict=True))
    flags = np.array(cols[6], np.int8)
    if clear_unchecked:
        flags &= ~np.int8(FLAG_UNCHECKED)
    ring.extend_rows(np.array(cols[0]), CONNS, np.array([CONNS.index(c) for c in cols[1]]), np.array(cols[2], np.int8),
                     np.array(cols[3], np.int16), TOPICS, np.array([TOPICS.index(t) for t in cols[4]]),
                     np.array(cols[5], np.int64), np.array([len(d) for d in cols[7]], np.int32),
                     np.array(cols[8], np.int64), flags, list(cols[7]))
    return ring


def _store(tmp_path_factory, rows_, block_rows: int, order: list[str]) -> SessionReader:
    """The rows in a session whose label ids are given in another order than the ring's."""
    folder = create_session(tmp_path_factory.mktemp("s"))
    conns, topics = LabelTable(), LabelTable()
    for name in order:
        (topics if name in TOPICS else conns).intern(name)
    with SessionWriter(folder, block_rows=block_rows, block_bytes=1 << 20) as w:
        for a in range(0, len(rows_), 17):
            part = rows_[a:a + 17]
            cols = list(zip(*part, strict=True))
            w.append(Rows(t=np.array(cols[0]), conn=np.array([conns.intern(c) for c in cols[1]]), direction=cols[2],
                          kind=cols[3], topic=np.array([topics.intern(t) for t in cols[4]]), seq=cols[5],
                          flags=cols[6], data=list(cols[7]), gap=cols[8]), conns.names, topics.names)
    return SessionReader(folder)


def _scan(reader, q, lo, hi, chunk_rows, check_bodies):
    chunks = list(match_chunks(reader, q, lo, hi, chunk_rows=chunk_rows, check_bodies=check_bodies))
    done = [d for d, _, _ in chunks]
    total = max(0, min(hi, len(reader)) - lo)
    assert done[-1] == total and {t for _, t, _ in chunks} == {total}
    assert all(0 < b - a <= chunk_rows for a, b in zip([0, *done], done, strict=False)) or total == 0
    return np.concatenate([r for _, _, r in chunks]).tolist()


@pytest.mark.timeout(600)  # a store written per example: on a loaded machine it outlasts the default limit
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_=rows(), q=queries, block_rows=st.integers(1, 30), chunk_rows=st.integers(1, 80),
       order=st.permutations([*CONNS, *TOPICS]), span=st.tuples(st.integers(0, 80), st.integers(0, 80)))
def test_a_store_scan_keeps_exactly_the_rows_the_ring_keeps(tmp_path_factory, rows_, q, block_rows, chunk_rows,
                                                             order, span):
    lo, hi = min(span), max(span)
    with _store(tmp_path_factory, rows_, block_rows, order) as reader:
        # the ring decodes bodies it read by their head only when searching: so does the scan, asked to
        expected = (_ring(rows_).match(q, lo + 1, hi + 1) - 1).tolist()
        assert _scan(reader, q, lo, hi, chunk_rows, check_bodies=True) == expected
        # by default it does not: those rows match on their topic and bytes, as checked ones do
        expected = (_ring(rows_, clear_unchecked=True).match(q, lo + 1, hi + 1) - 1).tolist()
        assert _scan(reader, q, lo, hi, chunk_rows, check_bodies=False) == expected


def test_a_dense_needle_and_a_match_across_rows_find_the_same_rows(tmp_path_factory):
    # "aa" in every row, several times (the dense path); "aba" across a row's end, an empty row
    # and the next row's start, which hides the "aba" that next row holds (the overlap path)
    rows_ = [(1.0, "c1", 1, 0x7A, "", NO_SEQ, FLAG_BAD, b"zaaaa aa AA" * (i % 3 + 1), 0) for i in range(30)]
    rows_ += [(2.0, "c1", 1, 0x7A, "", NO_SEQ, FLAG_BAD, data, 0) for data in (b"zab", b"", b"abay", b"zza", b".b-")]
    with _store(tmp_path_factory, rows_, 100, [*CONNS, *TOPICS]) as reader:
        for text in ("aa", "AA A", "aba", "zab", "ba", "a.", "A.B", ".b-"):
            expected = (_ring(rows_).match(Query(text=text)) - 1).tolist()
            assert _scan(reader, Query(text=text), 0, len(rows_), 1000, False) == expected, text
        assert _scan(reader, Query(text="ABA"), 0, 33, 1000, False) == [32]
        assert _scan(reader, Query(text="a.b"), 0, len(rows_), 1000, False) == []


def test_a_scan_stopped_midway_leaves_nothing_open(tmp_path_factory):
    rows_ = [(1.0 + i, "c1", 1, Kind.EVENT, "orders.eu", i, 0, _body("orders.eu", i, False, False, False), 0)
             for i in range(400)]
    reader = _store(tmp_path_factory, rows_, 10, [*CONNS, *TOPICS])
    scan = match_chunks(reader, Query(text="zoë"), chunk_rows=50)
    first = next(scan)
    assert first[:2] == (50, 400) and first[2].tolist() == list(range(50))
    assert _mapped(reader.path)
    scan.close()  # what a cancel does: the generator ends, and with it every view of the file it held
    reader.close()
    del scan, first
    gc.collect()
    assert not _mapped(reader.path)


def _mapped(path) -> bool:
    with open("/proc/self/maps") as f:
        return str(path) in f.read()


FEW = "aAbB.-éÉ\u212a"  # few characters: needles and rows meet often, within rows and across them


@settings(max_examples=400, deadline=None)
@given(datas=st.lists(st.binary(max_size=6) | st.text(alphabet=FEW, max_size=8).map(str.encode), max_size=40),
       text=st.text(alphabet=FEW, min_size=1, max_size=4) | st.text(alphabet=ALPHABET, min_size=1, max_size=4),
       cut=st.integers(0, 40))
def test_both_ways_of_searching_bytes_find_the_rows_that_hold_the_needle(datas, text, cut):
    raw = text.lower().encode()
    sizes = np.array([len(d) for d in datas], np.int32)
    array = pa.Array.from_buffers(pa.binary(), len(datas), [None, pa.py_buffer(np.concatenate([[0], np.cumsum(sizes)])
                                                                                .astype(np.int32)),
                                                            pa.py_buffer(b"".join(datas))]).slice(cut)
    expected = [raw in d.lower() for d in datas[cut:]]
    ways = [BodySearch.REGEX, BodySearch.ROWS]
    ways += [BodySearch.ARROW] if raw.isascii() else []
    ways += [BodySearch.FIND] if BodySearch(raw).anchor else []  # an all-letter needle has no FIND way
    for way in ways:
        search = BodySearch(raw)
        search.way = way
        assert search.hits(array).tolist() == expected, way


def test_an_ascii_needle_matches_ascii_letters_in_any_case_and_nothing_else():
    # the ring lower-cases ASCII letters only (bytes.lower): the Kelvin sign is no "k", "É" no "é",
    # and Latin-1's case pairs (0xC3 "Ã", 0xE3 "ã") are no pair
    datas = ["K", "k", "\u212a", "\u017f", "S", "É", "é", "\u0130", "\u0131", "i"]  # Kelvin, long s, dotted/dotless i
    raws = [d.encode() for d in datas] + [b"\xe3\xa9", b"\xc3\xa9", b"\xff\xfek\xc3", b"a\xc3(B"]
    array = pa.array(raws, pa.binary())
    for needle in ("k", "s", "i", "é", "a\xc3(b".encode("latin-1").decode("utf-8", "replace"), "(b", "\u212a"):
        raw = needle.lower().encode()
        search = BodySearch(raw)
        assert search.hits(array).tolist() == [raw in d.lower() for d in raws], needle


def _search_threads() -> list:
    import threading
    return [t for t in threading.enumerate() if t.name.startswith("text-search")]


def test_an_ascii_search_is_done_on_threads_of_its_own_which_end_with_it(tmp_path_factory):
    """Arrow's kernel runs ahead on worker threads; stopping the scan midway ends them and lets go
    of every view of the file, as a scan on the caller's thread alone does."""
    rows_ = [(1.0 + i, "c1", 1, Kind.EVENT, "orders.eu", i, 0, _body("orders.eu", i, False, False, False), 0)
             for i in range(400)]
    reader = _store(tmp_path_factory, rows_, 10, [*CONNS, *TOPICS])
    expected = (_ring(rows_).match(Query(text="ORDERS")) - 1).tolist()
    assert _scan(reader, Query(text="ORDERS"), 0, 400, 50, False) == expected == list(range(400))
    assert not _search_threads()  # a scan run to its end leaves none
    scan = match_chunks(reader, Query(text="orders"), chunk_rows=50)
    first = next(scan)
    assert first[:2] == (50, 400) and first[2].tolist() == list(range(50))
    assert _search_threads()
    scan.close()
    assert not _search_threads()
    reader.close()
    del scan, first
    gc.collect()
    assert not _mapped(reader.path)


def test_a_damaged_block_read_ahead_stops_the_scan_where_it_lies(tmp_path_factory):
    """The blocks are read ahead of the chunk being taken: a damaged one still raises when the
    scan reaches it, after every chunk before it; skipped (``readable``), its rows are not found."""
    import pytest

    from inspector.logstore.session_store.errors import StoreError

    rows_ = [(1.0 + i, "c1", 1, Kind.EVENT, "orders.eu", i, 0, _body("orders.eu", i, False, False, False), 0)
             for i in range(400)]
    reader = _store(tmp_path_factory, rows_, 40, [*CONNS, *TOPICS])
    path, bad = reader.path, reader.blocks[5]  # rows 200..239
    reader.close()
    with open(path, "r+b") as f:
        f.seek(bad.offset)
        f.write(bytes(64))
    with SessionReader(path.parent) as reader:
        taken = []
        with pytest.raises(StoreError):
            for done, _, found in match_chunks(reader, Query(text="orders"), chunk_rows=20):
                taken.append((done, found.tolist()))
        assert taken == [(d, list(range(d - 20, d))) for d in range(20, 201, 20)]
        chunks = list(match_chunks(reader, Query(text="orders"), chunk_rows=20, readable=lambda k: k != 5))
        assert chunks[-1][0] == 400 and np.concatenate([c[2] for c in chunks]).tolist() == [
            *range(200), *range(240, 400)]
    assert not _search_threads()


def test_a_runner_that_would_not_wait_gets_no_progress_until_the_search_is_ready(tmp_path_factory, monkeypatch):
    """With ``scan_pace`` set, a chunk whose text is still being searched on the scan's threads is
    not waited for: the scan gives a chunk with no rows done (and says it was behind), then goes on
    with the same rows as ever once the search is ready."""
    rows_ = [(1.0 + i, "c1", 1, Kind.EVENT, "orders.eu", i, 0, _body("orders.eu", i, False, False, False), 0)
             for i in range(400)]
    reader = _store(tmp_path_factory, rows_, 10, [*CONNS, *TOPICS])
    gate = threading.Event()
    search = BodySearch.hits

    def gated(self, data):
        assert gate.wait(30)
        return search(self, data)

    monkeypatch.setattr(BodySearch, "hits", gated)
    pace = Pace()
    token = scan_pace.current.set(pace)
    try:
        scan = match_chunks(reader, Query(text="orders"), chunk_rows=50)
        first = next(scan)
        assert first[0] == 0 and first[1] == 400 and not len(first[2]) and pace.behind
        gate.set()
        chunks = [first, *scan]
    finally:
        scan_pace.current.reset(token)
    done = [d for d, _, _ in chunks]
    assert done == sorted(done) and done[-1] == 400
    assert {d for d in done} == {0, *range(50, 401, 50)}  # progress only where a chunk ends
    assert np.concatenate([r for _, _, r in chunks]).tolist() == list(range(400))
    reader.close()
