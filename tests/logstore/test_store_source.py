"""A session store opened like a recording: the app's bulk path and the event iteration."""

from __future__ import annotations

import pytest
from framegen import T0, event, ping, raw, subscribe

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.recording_source import prepare
from inspector.logstore.session_store.layout import DATA_FILE
from inspector.logstore.store_source import StoreRecording, open_any, store_folder
from inspector.protocol.events import FrameSeen, State, StateChanged, SubscriptionChanged, SubState
from inspector.recording import RecordingError, RecordingWriter


def _session(tmp_path):
    """A live log written to the store; the log and the session folder."""
    store = FrameStore()
    live = LiveSession(tmp_path / "data", on_error=pytest.fail)
    live.attach(store)
    store.add_session(StateChanged("c1", T0, State.OPEN))
    store.extend([subscribe("orders.eu", conn="c1", t=T0 + 0.1)])
    store.add_session(SubscriptionChanged("c1", T0 + 0.2, "orders.eu", SubState.ACTIVE))
    frames = [event(seq=i, conn="c1", t=T0 + 1 + i / 1000, decoded=bool(i % 2)) for i in range(1, 300)]
    frames[150] = event(seq=400, conn="c1", t=frames[150].t)  # a gap
    store.extend(frames)
    store.extend([ping(conn="c1", t=T0 + 2), raw(b"\xff\xfe", conn="c1", t=T0 + 2.1),
                  raw(b"hello", conn="c1", t=T0 + 2.2, text=True)])
    live.close()
    return store, live.folder


def _log_rows(s: FrameStore):
    return [(s.t(i), s.direction(i), s.kind(i), s.topic(i), s.seq(i), s.gap(i), s.data(i), s.summary(i))
            for i in range(len(s))]


@pytest.mark.parametrize("as_file", [False, True])
def test_the_app_opens_a_session_with_the_rows_the_log_had(tmp_path, as_file):
    live, folder = _session(tmp_path)
    rec = prepare(folder / DATA_FILE if as_file else folder)
    opened = FrameStore()
    opened.extend_rows(*rec.frames.store_args())
    assert _log_rows(opened) == _log_rows(live)  # bytes, times, order, kinds, gaps, summaries
    assert {opened.conn(i) for i in range(len(opened))} == {folder.name}
    assert rec.frame_count == live.frame_count and len(rec) == len(live)
    assert [type(ev).__name__ for ev in rec.events_between(0, len(rec))] == ["StateChanged", "SubscriptionChanged"]
    assert "recording" in rec.status() and f"{live.frame_count:,} frames" in rec.status()


def test_open_any_iterates_the_events_as_they_were(tmp_path):
    live, folder = _session(tmp_path)
    rec = open_any(folder)
    assert isinstance(rec, StoreRecording) and rec.clean_end and rec.warning is None
    events = rec.load()
    frames = [e for e in events if type(e) is FrameSeen]
    rows = [i for i in range(len(live)) if not live.is_session(i)]
    assert [(e.t, e.direction, e.data, e.text) for e in frames] == [
        (live.t(i), live.direction(i), live.data(i), live.is_text(i)) for i in rows]
    assert events[0] == StateChanged("c1", T0, State.OPEN)
    assert rec.count == len(live) and rec.start == T0


def test_a_torn_session_opens_with_what_was_whole_and_says_so(tmp_path):
    _live, folder = _session(tmp_path)
    with open(folder / DATA_FILE, "ab") as f:
        f.write(b"\x01\x02 torn")
    rec = open_any(folder)
    assert rec.truncated and "recovered" in rec.warning and "lost 7 bytes" in rec.warning


def test_other_files_still_open_and_non_sessions_are_named(tmp_path):
    path = tmp_path / "a.rirec"
    with RecordingWriter(path, created=T0) as w:
        w.write_event(event(seq=1))
    assert store_folder(path) is None and open_any(path).load()[0].data == event(seq=1).data
    (tmp_path / "empty").mkdir()
    with pytest.raises(RecordingError):
        open_any(tmp_path / "empty")
    bad = tmp_path / "s"
    bad.mkdir()
    (bad / DATA_FILE).write_bytes(b"not arrow")
    with pytest.raises(RecordingError, match="not a session store file"):
        prepare(bad)


def test_a_reopened_session_shows_the_gaps_the_live_log_found(tmp_path):
    # gaps the log found from state a reader lacks: an EVENT of another type carrying a seq,
    # a filtered subscription, and a jump across the ring's first kept row
    store = FrameStore(cap=50)
    live = LiveSession(tmp_path / "data", on_error=pytest.fail)
    live.attach(store)
    store.extend([subscribe("orders.eu", flt="amount > `5`", conn="c1", t=T0)])
    store.extend([event(seq=i, t=T0 + i / 100) for i in range(1, 40)])
    store.extend([event(seq=900, t=T0 + 1, type_="presence", data={"action": "sync", "members": []})])
    store.extend([event(seq=i, t=T0 + 2 + i / 100) for i in range(45, 90)])
    live.close()
    rec = prepare(live.folder)
    opened = FrameStore(cap=rec.frames.store_args()[-1].__len__())
    opened.extend_rows(*rec.frames.store_args())
    tail = len(store)
    got = [(opened.seq(i), opened.gap(i), opened.gap_expected(i)) for i in range(len(opened) - tail, len(opened))]
    assert got == [(store.seq(i), store.gap(i), store.gap_expected(i)) for i in range(tail)]
    assert any(g for _, g, _ in got)
