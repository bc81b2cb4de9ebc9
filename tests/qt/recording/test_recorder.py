"""The app's Recorder: frames from the log panel's flushes, connection events from the tabs,
written in the order they were seen. Real window, real tabs and clients (not started: the
events go through the client's own emit path), real recording process and files."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest
from framegen import T0, event, ping, raw
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from inspector.profiles import Profile, ProfileStore
from inspector.protocol.events import FrameSeen, RttMeasured, State, StateChanged
from inspector.qt.main_window import MainWindow
from inspector.qt.recording.recording_ui import tab_source
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.recording import open_recording

TOKEN = "tok-recorder-Secret-123"


@pytest.fixture
def window(qtbot, tmp_path):
    def make(log_cap: int = 1_000_000):
        QApplication.instance().setQuitOnLastWindowClosed(False)
        store = ProfileStore(tmp_path / "cfg")
        store.load()
        w = MainWindow(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat), log_cap=log_cap,
                       recordings_dir=tmp_path / "recordings")
        qtbot.addWidget(w)
        w.recording.recorder.directory = tmp_path / "recordings"
        return w
    return make


def idle_tab(qtbot, w, conn_id: str) -> ConnectionTab:
    """A tab wired to the window as open_connection wires it, but never started."""
    profile = Profile(name="idle", url="ws://127.0.0.1:9/api/v2/realtime", token=TOKEN)
    tab = ConnectionTab(profile, profile.url, conn_id, w.tasks)
    qtbot.addWidget(tab)
    tab.add_sinks(w.log_panel.ingest, w.latency_plot.ingest)
    return tab


def state(conn: str, s: State, t: float) -> StateChanged:
    return StateChanged(conn, t, s)


def summary(events) -> list[tuple]:
    out = []
    for e in events:
        if type(e) is FrameSeen:
            out.append(("frame", e.conn, e.t, e.direction, e.data, e.text))
        elif type(e) is StateChanged:
            out.append(("state", e.conn, e.t, State(e.state)))
        elif type(e) is RttMeasured:
            out.append(("rtt", e.conn, e.t, e.rtt))
    return out


def test_frames_and_events_keep_the_order_they_were_seen_in(qtbot, window):
    w = window()
    tab = idle_tab(qtbot, w, "c1")
    emit, panel, rec = tab.client._emit, w.log_panel, w.recording.recorder
    before = [event(seq=1, t=T0), event(seq=2, t=T0 + 0.001)]
    for ev in before:
        emit(ev)  # pending in the log when recording starts: not part of it
    path = rec.start([tab_source(tab)])
    seen = [event(seq=3, t=T0 + 0.01), state("c1", State.CONNECTING, T0 + 0.011), event(seq=4, t=T0 + 0.012),
            raw(b"\xff\x00odd", t=T0 + 0.013), RttMeasured("c1", T0 + 0.014, 0.0042),
            ping(t=T0 + 0.015), raw(b"not binary", t=T0 + 0.016, text=True)]
    for ev in seen:
        emit(ev)
    assert rec.frames == 0  # nothing handed over before the log flushes
    panel.flush()
    assert rec.frames == 5

    # an event while no frame waits in the log goes straight to the file
    now = state("c1", State.OPEN, T0 + 0.02)
    emit(now)
    rec.writer.flush()
    assert summary(open_recording(path))[-1] == summary([now])[0]

    # clearing the log drops its pending frames, not the recording's
    cleared = [event(seq=5, t=T0 + 0.03), state("c1", State.WAITING, T0 + 0.031), event(seq=6, t=T0 + 0.032)]
    for ev in cleared:
        emit(ev)
    panel.clear()
    # frames still pending at Stop are recorded too
    last = [event(seq=7, t=T0 + 0.04), state("c1", State.CLOSED, T0 + 0.041), event(seq=8, t=T0 + 0.042)]
    for ev in last:
        emit(ev)
    assert rec.stop() == path and panel.pending_count == 0
    emit(event(seq=9, t=T0 + 0.05))  # after Stop: not recorded
    panel.flush()

    got = open_recording(path)
    assert summary(got) == summary([*seen, now, *cleared, *last])
    assert got.clean_end and not got.truncated
    assert rec.frames == 9 and tab.client._taps == () and TOKEN.encode() not in path.read_bytes()


def test_the_log_ring_wrapping_and_a_batch_larger_than_the_log(qtbot, window):
    w = window(log_cap=5)
    tab = idle_tab(qtbot, w, "c1")
    rec, panel = w.recording.recorder, w.log_panel
    path = rec.start([tab_source(tab)])
    frames = []
    for batch in (3, 4, 4, 9, 2):  # the store's ring wraps mid-batch; 9 rows do not fit in 5
        for _ in range(batch):
            ev = event(seq=len(frames) + 1, t=T0 + len(frames) * 0.001)
            frames.append(ev)
            tab.client._emit(ev)
        panel.flush()
    assert panel.store.dropped > 0 and len(panel.store) == 5
    rec.stop()
    assert summary(open_recording(path)) == summary(frames)


def test_one_connection_of_several_mixed_in_one_batch(qtbot, window):
    w = window()
    a, b, c = (idle_tab(qtbot, w, cid) for cid in ("c1", "c2", "c3"))
    rec, panel = w.recording.recorder, w.log_panel
    path = rec.start([tab_source(a)], scope="c1")
    rec.attach(tab_source(b))  # not in scope: ignored
    want = []
    for i in range(30):
        tab = (a, b, c)[i % 3]
        ev = event(seq=i // 3 + 1, conn=tab.conn_id, t=T0 + i * 0.001)
        tab.client._emit(ev)
        if tab is a:
            want.append(ev)
        if i == 10:
            st = state(tab.conn_id, State.WAITING, T0 + i * 0.001 + 0.0005)
            tab.client._emit(st)
            if tab is a:
                want.append(st)
    ping_out = ping(conn="c1", t=T0 + 1)  # an outgoing frame among incoming ones
    a.client._emit(ping_out)
    want.append(ping_out)
    panel.flush()
    rec.stop()
    got = open_recording(path)
    assert summary(got) == summary(want) and {e.conn for e in got} == {"c1"}


def test_recording_everything_takes_tabs_opened_later(qtbot, window):
    w = window()
    a = idle_tab(qtbot, w, "c1")
    rec, panel = w.recording.recorder, w.log_panel
    path = rec.start([tab_source(a)])
    b = idle_tab(qtbot, w, "c2")
    rec.attach(tab_source(b))
    frames = [event(seq=1, conn="c1", t=T0), event(seq=1, conn="c2", t=T0 + 0.001),
              event(seq=2, conn="c1", t=T0 + 0.002)]
    for ev in frames:
        (a if ev.conn == "c1" else b).client._emit(ev)
    panel.flush()
    rec.stop()
    assert summary(open_recording(path)) == summary(frames)
    assert rec._on_event not in a._other_sinks + b._other_sinks  # the recorder let go


def test_frames_and_events_reach_the_file_while_recording(qtbot, window):
    """No flush() or Stop: the log's own flush timer and the writer get a frame, and an event
    with no frame before it, into the file (how fast: bench/bench_flush_latency.py)."""
    w = window()
    tab = idle_tab(qtbot, w, "c1")
    rec = w.recording.recorder
    path = rec.start([tab_source(tab)])
    rec.writer.flush()  # the sink is up
    for ev in (event(seq=1, t=T0), state("c1", State.OPEN, T0 + 1)):
        lines = len(path.read_bytes().splitlines())
        tab.client._emit(ev)
        qtbot.waitUntil(lambda want=lines + 1: len(path.read_bytes().splitlines()) == want, timeout=10_000)
    rec.stop()


def test_disk_full_stops_the_recording_and_says_so_once(qtbot, window):
    w = window()
    tab = idle_tab(qtbot, w, "c1")
    rec, panel = w.recording.recorder, w.log_panel
    failures = []
    rec.failed.connect(failures.append)
    rec.start([tab_source(tab)], path="/dev/full")
    for i in range(5):
        tab.client._emit(event(seq=i + 1))  # never raises into the client or the log
        panel.flush()
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert not rec.active and rec._on_event not in tab._other_sinks and panel._flush_hooks == ()
    tab.client._emit(event(seq=9))
    panel.flush()
    rec.update_indicator()  # a tick of the indicator's timer, had it kept running: nothing more to say
    assert len(failures) == 1 and "No space" in failures[0], failures
    assert panel.frame_count() == 6  # the log lost nothing


def test_stop_from_the_window_never_waits_for_the_recording_process(qtbot, window):
    """The recording process is frozen (SIGSTOP) with frames still to write: Stop returns at
    once, and "recording saved" comes when the file is complete."""
    w = window()
    tab = idle_tab(qtbot, w, "c1")
    ui, rec, panel = w.recording, w.recording.recorder, w.log_panel
    path = rec.start([tab_source(tab)])
    rec.writer.flush()  # the sink is up
    sink_pid = rec.writer.sink_pid
    frames = [event(seq=i, t=T0 + i) for i in range(1, 2001)]
    os.kill(sink_pid, signal.SIGSTOP)
    try:
        for ev in frames:
            tab.client._emit(ev)
        panel.flush()
        ui.toggle_recording(None)  # the Record action, checked: stop
        assert not rec.active and not ui.record_action.isChecked() and not rec.indicator.isVisible()
        assert b'"e":"end"' not in path.read_bytes() and "recording saved" not in w.status_label.text()
        with qtbot.waitSignal(rec.stopped, timeout=20000):
            os.kill(sink_pid, signal.SIGCONT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(sink_pid, signal.SIGCONT)
    got = open_recording(path)
    assert summary(got) == summary(frames) and got.clean_end
    assert "recording saved" in w.status_label.text() and "2,000 frames" in w.status_label.text()


def test_events_between_frames_keep_their_place_when_the_log_flushes_in_slices(qtbot, window):
    w = window()
    tab = idle_tab(qtbot, w, "c1")
    emit, panel, rec = tab.client._emit, w.log_panel, w.recording.recorder
    for ev in (event(seq=1, t=T0), event(seq=2, t=T0 + 0.001), event(seq=3, t=T0 + 0.002)):
        emit(ev)  # pending in the log when recording starts: not part of it
    path = rec.start([tab_source(tab)])
    seen = [event(seq=4, t=T0 + 0.01), state("c1", State.CONNECTING, T0 + 0.011), event(seq=5, t=T0 + 0.012),
            event(seq=6, t=T0 + 0.013), state("c1", State.OPEN, T0 + 0.014), event(seq=7, t=T0 + 0.015)]
    for ev in seen:
        emit(ev)
    while panel.pending_count:
        panel.slice_size = 2  # slices that split the skipped frames and the held events' places
        panel.flush_slice()
    rec.stop()
    assert summary(open_recording(path)) == summary(seen)
