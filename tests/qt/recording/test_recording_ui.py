"""Recording in the app: record against the real mock, open (menu, drop, argument), replay,
HAR import, export. Real widgets, real files, real sockets. An opened file is a document of
its own (a RecordingView); tests/qt/recording/test_recording_view.py covers that it leaves
the live log alone."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
from pathlib import Path

import drops
import pytest
import windows
from framegen import T0, event, ping, raw
from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QApplication, QFileDialog
from qasync_loop import run, until

from inspector.client.engine import RealtimeClient
from inspector.client.model import ClientConfig
from inspector.client.tokens import TokenSource
from inspector.profiles import local_mock_profile
from inspector.protocol.events import FrameSeen, RttMeasured, State, StateChanged
from inspector.protocol.frames import Event, encode
from inspector.qt.main_window import MainWindow
from inspector.qt.recording.recorder import Recorder, Source
from inspector.qt.recording.recording_ui import ASK_WHERE_KEY
from inspector.recording import RecordingWriter, open_recording

TOKEN = "s3cr3t-T0ken-for-recording-tests"


def make_window(qtbot, tmp_path):
    """The app's window (tests/qt/windows.py) and its recording UI, saving under tmp_path."""
    w = windows.make_window(qtbot, tmp_path)
    return w, w.recording


async def close_window(w) -> None:
    await windows.close_window(w, stop_recording=True)


def log_rows(panel):
    s = panel.store
    return [(s.conn(i), s.t(i), s.direction(i), s.data(i)) for i in range(len(s)) if not s.is_session(i)]


def frame_rows(s) -> list[int]:
    """Store indices of the frames (connection-event rows left out)."""
    return [i for i in range(len(s)) if not s.is_session(i)]


def write(path, events, **kw):
    with RecordingWriter(path, created=T0, **kw) as w:
        for ev in events:
            w.write_event(ev)


def open_and_wait(qtbot, ui, path):
    """The RecordingView the file opens in."""
    with qtbot.waitSignal(ui.opened, timeout=20000) as blocker:
        ui.open_path(path)
    return blocker.args[0]


def secret_profile():
    return dataclasses.replace(local_mock_profile(), token=TOKEN)


# ---------------------------------------------------------------- recording live traffic

def test_record_the_real_mock_then_reopen_byte_for_byte(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    w.show()
    w.mock_panel.demo_check.setChecked(True)

    async def scenario():
        ui.record_action.trigger()  # record everything, before any connection exists: where to?
        dlg = ui.save_dialog
        assert dlg.isVisible() and not ui.recorder.active and not ui.record_action.isChecked()
        folder = tmp_path / "recordings"
        assert Path(dlg.directory().absolutePath()) == folder and folder.stat().st_mode & 0o777 == 0o700
        dlg.accept()  # the prefilled timestamped name, as the user would take it
        assert ui.recorder.active and ui.record_action.isChecked()
        assert f"recording to {ui.recorder.path}" in w.status_label.text()
        initial = ui.recorder.indicator.text()
        assert ui.recorder.indicator.isVisibleTo(w) and initial.startswith("● REC all connections · 0 frames · ")
        tab = w.open_connection(secret_profile())
        ui.connection_opened(tab)  # what the window does for every new tab
        await until(lambda: ui.recorder.frames >= 60, 15, "frames recorded")
        await until(lambda: w.latency_plot.stats(tab.conn_id)["count"] >= 1, 10, "an RTT")
        await until(lambda: ui.recorder.indicator.text() != initial, 2, "the indicator to update (2 Hz)")
        assert " KB" in ui.recorder.indicator.text() and " 0 frames" not in ui.recorder.indicator.text()
        path = ui.recorder.path
        ui.record_action.trigger()
        assert not ui.recorder.active and not ui.recorder.indicator.isVisibleTo(w)
        await until(lambda: "recording saved" in w.status_label.text(), 10, "the file to be complete")
        await tab.client.stop()
        w.log_panel.flush()
        return path
    path = run(qloop, scenario())
    assert path.parent == tmp_path / "recordings" and path.name.startswith("recording-")
    assert path.stat().st_mode & 0o777 == 0o600

    live = [r for r in log_rows(w.log_panel)]
    rec = open_recording(path)
    recorded = [(e.conn, e.t, e.direction, e.data) for e in rec if type(e) is FrameSeen]
    assert rec.clean_end and not rec.truncated and len(recorded) >= 60
    assert recorded == live[:len(recorded)]  # every frame, every byte, same order
    assert any(isinstance(e, RttMeasured) for e in open_recording(path))
    assert TOKEN.encode() not in path.read_bytes()

    view = open_and_wait(qtbot, ui, path)
    assert view.recording.frame_count == len(recorded)
    reopened = log_rows(view.log_panel)
    assert [(t, d, b) for _, t, d, b in reopened] == [(t, d, b) for _, t, d, b in recorded]
    assert {c for c, *_ in reopened} == {path.name}
    assert path.name in w.status_label.text() and f"{len(recorded):,} frames" in w.status_label.text()
    assert view.latency_plot.stats(path.name)["count"] >= 1  # RTTs reach the recording's latency graph
    assert log_rows(w.log_panel) == live  # the live log is not touched

    view.log_panel.view.selectRow(0)
    assert view.log_panel.detail.header.text() != "No frame selected"
    run(qloop, close_window(w))


def test_record_current_connection_only(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)

    ui.ask_where_action.setChecked(False)  # Record writes to the recordings folder at once
    assert w.settings.value(ASK_WHERE_KEY) in (False, "false") and not ui.ask_where
    # frames from PINGs ten times a second on each, not one (no demo: batches of one connection's frames)
    profile = dataclasses.replace(secret_profile(), ping_interval=0.1)

    async def scenario():
        a = w.open_connection(profile)
        b = w.open_connection(profile)
        await until(lambda: a.client.state is State.OPEN and b.client.state is State.OPEN, 10, "open")
        w.conn_tabs.setCurrentWidget(a)
        ui.record_current_action.trigger()
        assert ui.recorder.scope == a.conn_id and a.conn_id in ui.recorder.indicator_text()
        assert f"recording to {tmp_path / 'recordings'}" in w.status_label.text()  # where it goes
        ui.connection_opened(b)  # not recorded: the scope is one connection
        await until(lambda: ui.recorder.frames >= 10, 10, "frames")
        path = ui.recorder.stop()
        await close_window(w)
        return path, a.conn_id
    path, conn = run(qloop, scenario())
    assert {e.conn for e in open_recording(path)} == {conn}


def test_recorder_disk_full_stops_and_reports_once(qtbot, tmp_path):
    rec = Recorder(tmp_path, indicator_ms=50)
    failures = []
    rec.failed.connect(failures.append)

    client = RealtimeClient(ClientConfig("ws://127.0.0.1:9/api/v2/realtime", TokenSource.literal("abc")))
    # the recording process finds the disk full at its first write (ENOSPC)
    rec.start([Source("c1", client, "ws://h/x?token=abc")], path="/dev/full")
    assert client._taps == (rec.writer.tap,)
    for i in range(5):
        client._emit(event(seq=i + 1))  # never raises into the client
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert not rec.active and client._taps == () and not rec.indicator.isVisible()
    rec.update_indicator()  # a tick of the indicator's timer, had it kept running: nothing more to say
    assert len(failures) == 1 and "stopped" in failures[0] and "No space" in failures[0], failures


def test_recorder_sink_killed_stops_and_reports(qtbot, tmp_path):
    rec = Recorder(tmp_path, indicator_ms=50)
    failures = []
    rec.failed.connect(failures.append)
    client = RealtimeClient(ClientConfig("ws://127.0.0.1:9/api/v2/realtime", TokenSource.literal("tok-123")))
    path = rec.start([Source("c1", client, client.config.url)])
    client._emit(event(seq=1))
    rec.writer.flush()
    assert rec.frames == 1 and path.read_text().count("\n") == 2  # header and the frame
    rec.writer.kill()
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert "recording process ended unexpectedly" in failures[0] and not rec.active
    assert client._taps == () and client._listeners == ()
    assert [e.data for e in open_recording(path) if hasattr(e, "data")] == [event(seq=1).data]


def test_recorder_cannot_create_file(qtbot, tmp_path):
    rec = Recorder(tmp_path / "file-not-dir")
    (tmp_path / "file-not-dir").write_text("x")
    with pytest.raises(OSError):
        rec.start([])
    assert not rec.active


# ---------------------------------------------------------------- opening files

def test_truncated_and_garbage_files_give_status_messages(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    path = tmp_path / "torn.rirec"
    write(path, [event(seq=i, t=T0 + i) for i in range(1, 21)])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-2]) + lines[-2][:25])  # killed while writing frame 20
    view = open_and_wait(qtbot, ui, path)
    assert view.recording.truncated and view.log_panel.frame_count() == 19
    assert "loaded 19 records, last one truncated" in w.status_label.text()
    assert not w.errors

    junk = tmp_path / "photo.rirec"
    junk.write_bytes(bytes(range(256)) * 10)
    with qtbot.waitSignal(ui.open_failed, timeout=10000):
        ui.open_path(junk)
    assert "not a recording" in w.status_label.text() and "photo.rirec" in w.status_label.text()
    assert ui.views == [view] and view.log_panel.frame_count() == 19  # the open recording stays
    missing = tmp_path / "nope.rirec"
    with qtbot.waitSignal(ui.open_failed, timeout=10000):
        ui.open_path(missing)
    assert "nope.rirec" in w.status_label.text()


def test_drop_a_file_onto_the_window_opens_it(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    w.show()
    path = tmp_path / "dropped.rirec"
    write(path, [event(seq=i, t=T0 + i) for i in range(1, 6)])
    mime = drops.files(path)
    assert drops.drag_enter(w, mime)
    with qtbot.waitSignal(ui.opened, timeout=10000) as blocker:
        drops.drop(w, mime)
    panel = blocker.args[0].log_panel
    assert panel.frame_count() == 5 and panel.store.conn(0) == "dropped.rirec" and w.log_panel.frame_count() == 0
    text = QMimeData()
    text.setText("not a file")
    assert not drops.drag_enter(w, text)


def test_open_through_the_file_dialog(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    path = tmp_path / "menu.rirec"
    write(path, [event(seq=i, t=T0 + i) for i in range(1, 4)])
    dlg = ui.open_dialog()
    assert dlg.isVisible() and dlg.isModal() is not None
    with qtbot.waitSignal(ui.opened, timeout=10000) as blocker:
        dlg.fileSelected.emit(str(path))
        dlg.reject()
    assert blocker.args[0].log_panel.frame_count() == 3
    assert "&File" in [a.text() for a in w.menuBar().actions()]


def test_har_import_each_websocket_is_a_connection(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    frame = encode(Event("orders.eu", "message", 1, {"total": 5}, 1))
    har = {"log": {"version": "1.2", "entries": [
        {"request": {"url": f"wss://h/api/v2/realtime?token={TOKEN}"}, "startedDateTime": "2025-11-28T03:20:00Z",
         "_webSocketMessages": [
             {"type": "receive", "time": T0 + 1, "opcode": 2, "data": base64.b64encode(frame).decode()},
             {"type": "send", "time": T0 + 2, "opcode": 1, "data": "hi"}]},
        {"request": {"url": "https://h/page"}, "startedDateTime": "2025-11-28T03:20:00Z"},
        {"request": {"url": "wss://h/b"}, "startedDateTime": "2025-11-28T03:20:01Z",
         "_webSocketMessages": [{"type": "receive", "time": T0 + 3, "opcode": 2, "data": "IAE="}]},
    ]}}
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har))
    dlg = ui.open_dialog(har=True)
    assert "HAR" in dlg.windowTitle()
    with qtbot.waitSignal(ui.opened, timeout=10000) as blocker:
        dlg.fileSelected.emit(str(path))
        dlg.reject()
    s = blocker.args[0].log_panel.store
    assert s.conns == ["capture.har:ws1", "capture.har:ws2"]
    f = frame_rows(s)
    assert s.kind(f[0]) == 0x10 and s.topic(f[0]) == "orders.eu"
    assert s.is_text(f[1]) and s.data(f[2]) == b"\x20\x01"
    assert "HAR capture" in w.status_label.text()


# ---------------------------------------------------------------- replay

def replay_file(tmp_path):
    path = tmp_path / "replay.rirec"
    evs = [StateChanged("c1", T0, State.OPEN)]
    evs += [event(seq=i, t=T0 + i * 0.01) for i in range(1, 11)]
    evs += [RttMeasured("c1", T0 + 0.105, 0.003), ping(t=T0 + 0.11)]
    write(path, evs)
    return path


def test_a_playwright_har_opens_at_its_wall_time(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    page = json.loads((fixtures / "playwright-chromium.witness.json").read_text())
    view = open_and_wait(qtbot, ui, fixtures / "playwright-chromium.har")
    assert view.recording.frame_count == len(page) == 14
    times = [t for _, t, _, _ in log_rows(view.log_panel)]
    assert page[0]["wall_ms"] / 1000 - 0.05 <= min(times) <= max(times) <= page[-1]["wall_ms"] / 1000 + 0.05
    assert "HAR capture, 14 frames" in w.status_label.text()
    view.log_panel.view.selectRow(3)  # the detail pane shows a frame of it
    assert view.log_panel.detail.header.text() != "No frame selected"
    run(qloop, close_window(w))


def test_replay_step_seek_speed_and_play(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    path = replay_file(tmp_path)
    view = open_and_wait(qtbot, ui, path)
    r = view.replay
    assert w.current_document() is view and ui.replay is r
    assert r.position == 13 and view.log_panel.frame_count() == 11
    assert view.latency_plot.stats(path.name)["count"] == 1

    r.seek_index(0)
    assert view.log_panel.frame_count() == 0 and r.slider.value() == 0
    assert view.latency_plot.connections == []  # the graph goes back in time with the log
    assert r.step() == 0 and view.log_panel.frame_count() == 0  # record 0 is the state event
    assert r.step() == 1 and view.log_panel.frame_count() == 1
    assert r.step() == 2 and view.log_panel.frame_count() == 2
    assert view.log_panel.store.seq(frame_rows(view.log_panel.store)[1]) == 2

    r.seek(0.05)  # records at or before +0.05 s are shown
    store = view.log_panel.store
    assert view.log_panel.frame_count() == 5 and [store.seq(i) for i in frame_rows(store)] == [1, 2, 3, 4, 5]
    assert "frame 5 / 11" in r.position_label.text()  # frames, as the log counts them
    r.slider.setValue(r.slider.maximum())  # clicking the groove at the end
    assert r.position == 13 and view.log_panel.frame_count() == 11
    r.slider.setValue(r.slider.maximum())
    r.seek(0.2)
    r.seek_index(13)  # back and forth: the one RTT is on the graph once, not three times
    assert view.latency_plot.stats(path.name)["count"] == 1

    r.set_speed(100.0)
    assert r.speed_combo.currentText() == "100×" and r.player.speed == 100.0
    r.seek_index(3)
    r.play()
    assert r.playing and r.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: r.position == 13, timeout=5000)
    qtbot.waitUntil(lambda: not r.playing, timeout=2000)
    assert view.log_panel.frame_count() == 11 and "replay finished" in w.status_label.text()
    assert [view.log_panel.store.seq(i) for i in frame_rows(view.log_panel.store)[:10]] == list(range(1, 11))

    with pytest.raises(ValueError):
        r.set_speed(1000.0)
    r.set_speed(0.0)  # as fast as possible
    r.play()  # from the end: starts over
    qtbot.waitUntil(lambda: not r.playing, timeout=5000)
    assert r.position == 13 and view.log_panel.frame_count() == 11


def test_replay_at_scaled_timing_is_paced(qtbot, qloop, tmp_path):
    _w, ui = make_window(qtbot, tmp_path)
    path = tmp_path / "slow.rirec"
    write(path, [event(seq=i, t=T0 + i * 1.0) for i in range(1, 4)])  # 2 s of recording
    view = open_and_wait(qtbot, ui, path)
    r = view.replay
    r.set_speed(10.0)  # 0.2 s of replay
    r.seek_index(0)
    shown: dict[int, float] = {}  # frames in the log -> when the replay first showed that many
    r.positionChanged.connect(lambda _: shown.setdefault(view.log_panel.frame_count(), time.monotonic()))
    started = time.monotonic()
    r.play()
    qtbot.waitUntil(lambda: view.log_panel.frame_count() == 3, timeout=3000)
    # one at a time, the n-th no sooner than (n - 1) s of recording at 10x after Play
    assert list(shown) == [1, 2, 3], shown
    assert all(shown[n] - started >= 0.099 * (n - 1) for n in shown), (started, shown)
    r.pause()
    assert not r._timer.isActive()


# ---------------------------------------------------------------- export

def test_export_selection_to_recording_and_har_and_reload(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    panel = w.log_panel
    panel.store.extend([event(seq=i, t=T0 + i, conn="c1") for i in range(1, 6)] +
                       [raw(b"\x99odd", conn="c2", t=T0 + 9), raw("text\u2028".encode(), t=T0 + 10, text=True)])
    panel.flush()
    assert ui.export(tmp_path / "none.rirec", selection=True) is False  # nothing selected
    for row in (1, 5, 6):
        panel.view.selectionModel().select(panel.model.index(row, 0),
                                           panel.view.selectionModel().SelectionFlag.Select |
                                           panel.view.selectionModel().SelectionFlag.Rows)
    chosen = [panel.store.data(i) for i in (1, 5, 6)]

    for name in ("sel.rirec", "sel.har"):
        out = tmp_path / name
        with qtbot.waitSignal(ui.exported, timeout=10000):
            assert ui.export(out, selection=True)
        events = [e for e in open_recording(out) if type(e) is FrameSeen]
        assert [e.data for e in events] == chosen
        assert [e.text for e in events] == [False, False, True]
    with qtbot.waitSignal(ui.exported, timeout=10000):
        ui.export(tmp_path / "all.rirec", selection=False)
    assert len(open_recording(tmp_path / "all.rirec").load()) == 7
    panel.direction_combo.setCurrentIndex(1)  # only "sent": nothing here
    panel.apply_filter()
    assert ui.export(tmp_path / "filtered.rirec") is False

    view = open_and_wait(qtbot, ui, tmp_path / "sel.rirec")
    assert view.recording.frame_count == 3 and [view.log_panel.store.data(i) for i in range(3)] == chosen


def test_har_export_after_live_connections_names_each_real_url_without_the_token(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)

    async def scenario():
        query_auth = dataclasses.replace(secret_profile(), auth="query")     # token in the dialled URL
        first = w.open_connection(query_auth)
        mock_url = w.mock_panel.server_thread.url
        plain = dataclasses.replace(secret_profile(), name="eu", embedded_mock=False,
                                    url=mock_url + "?region=eu%2Dwest&x=a+b")   # header auth: URL as typed
        w.open_connection(plain)
        await until(lambda: w.log_panel.flush() or {c for c, *_ in log_rows(w.log_panel)} >= {"c1", "c2"},
                    15, "frames from both connections")
        w.conn_tabs.tabCloseRequested.emit(w.conn_tabs.indexOf(first))  # closed before the export
        await until(lambda: first not in w.tabs(), 5, "the first tab to close")
        return mock_url
    mock_url = run(qloop, scenario())
    out = tmp_path / "live.har"
    with qtbot.waitSignal(ui.exported, timeout=10000):
        assert ui.export(out)
    raw = out.read_bytes()
    urls = {e["_inspectorConnection"]: e["request"]["url"] for e in json.loads(raw)["log"]["entries"]}
    assert urls == {"c1": mock_url + "?token=***", "c2": mock_url + "?region=eu%2Dwest&x=a+b"}
    assert TOKEN.encode() not in raw and out.stat().st_mode & 0o777 == 0o600
    assert sorted(open_recording(out).conn_urls.values()) == sorted(urls.values())
    run(qloop, close_window(w))


def test_export_dialog_picks_har_by_filter(qtbot, qloop, tmp_path):
    w, ui = make_window(qtbot, tmp_path)
    w.log_panel.store.extend([event(seq=1)])
    w.log_panel.flush()
    dlg = ui.export_dialog()
    assert dlg.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    dlg.filterSelected.emit("HAR (*.har)")
    assert dlg.defaultSuffix() == "har"
    with qtbot.waitSignal(ui.exported, timeout=10000):
        dlg.fileSelected.emit(str(tmp_path / "x.har"))
    dlg.reject()
    assert json.loads((tmp_path / "x.har").read_text())["log"]["entries"]


def test_a_file_on_the_command_line_opens_in_its_own_view(qtbot, qloop, tmp_path, monkeypatch):
    """``realtime-inspector FILE``: the app's own start-up (argument parsing, window, first
    connection) opens the recording in a view of its own."""
    from inspector.cli.main import build_parser
    from inspector.qt.app import AppOptions, _main, show_window

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = tmp_path / "argument.rirec"
    frames = [event(seq=i, t=T0 + i) for i in range(1, 8)]
    write(path, frames)
    args = build_parser(open_file=True, commands=False).parse_args([str(path)])
    QApplication.instance().setQuitOnLastWindowClosed(False)
    options = AppOptions.from_namespace(args)
    shown = show_window(options)  # painted on Qt's own loop, as the app does before its qasync loop

    async def scenario():
        app = asyncio.ensure_future(_main(options, shown))
        await until(lambda: any(isinstance(x, MainWindow) and x.isVisible() for x in QApplication.topLevelWidgets()),
                    10, "the window")
        w = next(x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow) and x.isVisible())
        qtbot.addWidget(w)  # deleted at teardown, its timers with it
        await until(lambda: w.recording is not None and w.recording.views, 20, "the recording's view")
        store = w.recording.views[0].log_panel.store
        rows = [store.data(i) for i in range(len(store)) if store.conn(i) == path.name]
        assert rows == [f.data for f in frames] and w.recording.replay.name_label.text() == path.name
        assert path.name not in w.log_panel.store.conns
        w.close()
        return await asyncio.wait_for(app, 20)
    assert run(qloop, scenario(), timeout=60) == 0
