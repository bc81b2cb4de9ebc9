"""Kept spans: the bookkeeping (pure), the live session's numbers, pruning, and saving spans."""

from __future__ import annotations

import itertools

from framegen import event
from hypothesis import given
from hypothesis import strategies as st

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.recording_source import prepare
from inspector.logstore.session_store.kept_spans import KeptSpans, merged
from inspector.logstore.session_store.layout import create_session, list_sessions, read_meta, update_meta
from inspector.logstore.session_store.prune import prune
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.span_copy import save_spans
from inspector.logstore.store_source import open_any


def test_a_span_runs_from_its_start_to_its_stop_and_an_open_one_to_the_end():
    spans = KeptSpans()
    spans.start(11)
    assert spans.keeping and spans.open_first == 11 and spans.ranges(30) == [(11, 30)]
    spans.start(20)  # already keeping: nothing changes
    spans.stop(25)
    assert not spans.keeping and spans.to_meta() == [[11, 25]] and spans.rows(100) == 15
    spans.start(40)
    spans.stop(39)   # stopped before a row arrived: no span
    spans.start(24)
    assert spans.ranges(27) == [(11, 27)]  # overlapping spans count once
    assert spans.to_meta() == [[11, 25], [24, None]]
    assert spans.describe(30) == "#11–25, #24–… (keeping)"
    assert KeptSpans.from_meta(spans.to_meta()) == spans


def test_spans_read_from_any_json_keep_only_sound_entries():
    value = [[1, 5], [3, None], [0, 4], [7, 6], ["1", 2], [True, 3], [2], None, [8.5, 9], [10, 12]]
    assert KeptSpans.from_meta(value).spans == [(1, 5), (3, None), (10, 12)]
    assert KeptSpans.from_meta({"a": 1}).spans == [] and KeptSpans.from_meta(None).spans == []


@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 60)), max_size=12), st.integers(0, 70))
def test_ranges_are_the_kept_rows_as_sorted_disjoint_runs(pairs, end):
    spans = KeptSpans()
    model: set[int] = set()
    for first, length in pairs:
        spans.start(first)
        spans.stop(first + length - 1)
        model |= set(range(first, min(first + length - 1, end) + 1))
    ranges = spans.ranges(end)
    assert {i for a, b in ranges for i in range(a, b + 1)} == model
    assert all(b + 1 < c for (_, b), (c, _) in itertools.pairwise(ranges))  # disjoint, not touching
    assert merged(ranges) == ranges and spans.rows(end) == len(model)


def test_the_live_session_numbers_its_rows_and_closes_an_open_span(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=lambda _t: None)
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])
    live.keep_from()                       # from the next row: 101
    store.extend([event(seq=i) for i in range(101, 201)])
    live.keep_until_now()
    store.clear()                          # the log numbers from 1 again; the session does not
    store.extend([event(seq=i) for i in range(201, 251)])
    assert live.session_number(10, store.end_number) == 210
    live.keep_from(live.session_number(10, store.end_number))
    live.close()
    assert read_meta(live.folder)["kept_spans"] == [[101, 200], [210, 250]]
    with SessionReader(live.folder) as reader:
        assert reader.row(100).seq == 101 and reader.row(209).seq == 210


def test_a_session_with_a_kept_span_is_never_pruned_whole(tmp_path):
    folders = [create_session(tmp_path, created=1000.0 + k) for k in range(3)]
    for folder in folders:
        (folder / "frames.arrows").write_bytes(b"x" * 10_000)
    update_meta(folders[0], kept_spans=[[5, 9]])
    update_meta(folders[1], kept_spans=[[5, 4], "junk"])  # nothing sound: not kept
    prune(tmp_path, budget=25_000)  # one must go: the oldest not kept
    assert [s.path for s in list_sessions(tmp_path)] == [folders[0], folders[2]]


def test_saving_spans_copies_their_rows_and_names_into_a_new_session(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path / "data", on_error=lambda _t: None, url="ws://h/x?token=secret-1")
    live.attach(store)
    for k in range(5):  # several blocks' worth of batches, two connections and topics
        store.extend([event(seq=k * 1000 + i, topic=("a.b", "c.d")[i % 2], conn=("c1", "c2")[k % 2],
                            t=k * 10.0 + i * 1e-3) for i in range(1, 1001)])
    live.close()
    folder, rows = save_spans(live.folder, [(10, 20), (900, 2100), (4990, 9999)], tmp_path / "data", "outage")
    assert rows == 11 + 1201 + 11
    with SessionReader(live.folder) as source, SessionReader(folder) as copy:
        assert copy.rows(0, len(copy)) == source.rows(9, 20) + source.rows(899, 2100) + source.rows(4989, 5000)
        assert copy.conns == source.conns and copy.topics == source.topics and copy.note == ""
    meta = read_meta(folder)
    assert meta["kept"] is True and meta["name"] == "outage" and meta["closed"] is True
    assert meta["copied_from"] == {"session": live.folder.name, "spans": [[10, 20], [900, 2100], [4990, 5000]]}
    assert "secret-1" not in meta["url"]
    assert len(list(open_any(folder).events())) == rows   # replay's way in
    assert len(prepare(folder).frames.data) == rows         # the app's open path
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in folder.iterdir())
