"""A recording in its own view, beside live traffic: the live log and graph carry on
untouched while a recording is opened, sought and closed; several are open at once;
its server events play into the real embedded mock; Record asks where and saves there.
Real widgets, the real mock on 127.0.0.1, real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import drops
import shiboken6
from framegen import T0, event, ping
from PySide6.QtWidgets import QApplication, QTabBar
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.profiles import local_mock_profile
from inspector.protocol.events import IN, FrameSeen, RttMeasured, State, StateChanged
from inspector.qt.main_window import MainWindow
from inspector.qt.recording.recording_view import RecordingView
from inspector.recording import RecordingWriter, open_recording


def rows(panel) -> list[tuple]:
    s = panel.store
    return [(s.conn(i), s.t(i), s.direction(i), s.data(i)) for i in range(len(s))]


def write(path: Path, n: int = 10, topic: str = "orders.eu") -> Path:
    """A state change, ``n`` EVENTs 10 ms apart, an RTT and a PING: 13 records, 11 frames."""
    with RecordingWriter(path, created=T0) as wr:
        wr.write_event(StateChanged("c1", T0, State.OPEN))
        for i in range(1, n + 1):
            wr.write_event(event(seq=i, topic=topic, t=T0 + i * 0.01, data={"from": path.name, "i": i}))
        wr.write_event(RttMeasured("c1", T0 + n * 0.01 + 0.005, 0.003))
        wr.write_event(ping(t=T0 + n * 0.01 + 0.01))
    return path


def write_lines(path: Path, bodies: list[bytes], t0: float = T0) -> Path:
    """EVENTs as another producer lays them out (key order, whitespace), in a recording."""
    with RecordingWriter(path, created=t0) as wr:
        for i, body in enumerate(bodies):
            wr.write_event(FrameSeen("c1", t0 + i * 0.01, IN, b"\x10" + body))
    return path


async def open_view(w: MainWindow, path: Path) -> RecordingView:
    """Open ``path`` as the user does and wait (on the running loop) for its view."""
    got: list[RecordingView] = []
    w.recording.opened.connect(got.append)
    try:
        w.open_file(path)
        await until(lambda: got, 20, f"{path.name} to open")
    finally:
        w.recording.opened.disconnect(got.append)
    return got[0]


async def live_connection(w: MainWindow, frames: int = 20):
    w.mock_panel.demo_check.setChecked(True)
    tab = w.open_connection(local_mock_profile())
    await until(lambda: tab.client.state is State.OPEN, 10, "open")
    await until(lambda: w.log_panel.frame_count() >= frames, 15, "live frames")
    return tab


def test_a_recording_opens_beside_live_traffic_and_seeking_it_leaves_the_live_log_alone(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    path = write(tmp_path / "beside.rirec")

    async def scenario():
        tab = await live_connection(w)
        await until(lambda: w.latency_plot.stats(tab.conn_id)["count"] >= 1, 10, "a live RTT")
        view = await open_view(w, path)
        assert w.current_document() is view and w.current_log_panel() is view.log_panel
        assert w.documents.count() == 2 and w.documents.tabText(1) == path.name
        assert view.log_panel.frame_count() == 11 and view.log_panel.store.conns == [path.name]
        assert path.name not in w.log_panel.store.conns  # nothing poured into the live log
        w.log_panel.flush()
        before = rows(w.log_panel)
        live_rtts = w.latency_plot.stats(tab.conn_id)["count"]

        r = view.replay
        r.seek_index(0)  # back to the start: the recording's log and graph empty ...
        assert view.log_panel.frame_count() == 0 and view.latency_plot.connections == []
        r.slider.setValue(r.slider.maximum() // 2)
        r.step()
        r.seek(0.05)
        assert view.log_panel.frame_count() == 5
        # ... the live ones untouched, and still growing
        await until(lambda: w.log_panel.flush() or w.log_panel.frame_count() > len(before) + 5, 10, "more live")
        assert rows(w.log_panel)[:len(before)] == before
        assert w.latency_plot.stats(tab.conn_id)["count"] >= live_rtts
        assert path.name not in w.latency_plot.connections and path.name not in w.log_panel.store.conns
        assert tab.client.state is State.OPEN

        w.documents.setCurrentIndex(0)  # the log actions follow the document in view
        assert w.current_log_panel() is w.log_panel
        w.documents.setCurrentWidget(view)
        w.clear_action.trigger()
        assert view.log_panel.frame_count() == 0 and w.log_panel.frame_count() >= len(before)
        w.pause_action.trigger()
        assert view.log_panel.paused and not w.log_panel.paused and w.pause_action.isChecked()
        w.documents.setCurrentIndex(0)
        assert not w.pause_action.isChecked()
        await close_window(w)
    run(qloop, scenario())


def test_two_recordings_at_once_closing_one_keeps_the_other_and_the_live_view(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    a_path = write(tmp_path / "a.rirec", n=4)
    b_path = write(tmp_path / "b.rirec", n=7, topic="ticker")

    async def scenario():
        await live_connection(w, frames=5)
        a = await open_view(w, a_path)
        b = await open_view(w, b_path)
        assert w.documents.count() == 3 and w.recording.views == [a, b]
        assert a.log_panel.frame_count() == 5 and b.log_panel.frame_count() == 8
        b_rows = rows(b.log_panel)
        # the live document cannot be closed; asking does nothing
        assert w.documents.tabBar().tabButton(0, QTabBar.ButtonPosition.RightSide) is None
        w.documents.tabCloseRequested.emit(0)
        assert w.documents.widget(0) is w.center

        w.documents.tabCloseRequested.emit(w.documents.indexOf(a))
        await until(lambda: a not in w.recording.views, 5, "the first view to go")
        assert w.documents.count() == 2 and w.documents.indexOf(b) == 1
        assert rows(b.log_panel) == b_rows
        b.replay.seek_index(0)
        b.replay.seek_index(len(b.recording))
        assert rows(b.log_panel) == b_rows  # the other still works
        n = w.log_panel.frame_count()
        await until(lambda: w.log_panel.flush() or w.log_panel.frame_count() > n, 10, "live frames go on")
        assert a_path.name not in w.log_panel.store.conns
        await close_window(w)
    run(qloop, scenario())


def test_a_recording_in_a_window_of_its_own_beside_the_main_one(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    path = write(tmp_path / "apart.rirec")

    async def scenario():
        await live_connection(w, frames=5)
        view = await open_view(w, path)
        expected = rows(view.log_panel)
        win = w.detach_document(w.documents.indexOf(view))
        assert win.isVisible() and win.isWindow() and path.name in win.windowTitle()
        assert w.documents.count() == 1 and w.current_log_panel() is w.log_panel
        assert view.isVisible() and rows(view.log_panel) == expected
        view.replay.seek_index(0)
        n = w.log_panel.frame_count()
        await until(lambda: w.log_panel.flush() or w.log_panel.frame_count() > n, 10, "live frames go on")
        assert path.name not in w.log_panel.store.conns
        win.close()  # stops the view, then closes
        await until(lambda: not w.document_windows and not w.recording.views, 5, "the window to go")
        assert w.isVisible() and w.documents.count() == 1
        other = w.detach_document(w.documents.indexOf(await open_view(w, path)))
        await close_window(w)  # quitting closes the recordings' windows too
        assert not w.document_windows and not shiboken6.isValid(other)
    run(qloop, scenario())


def test_play_a_recording_into_the_mock_from_its_view(qtbot, qloop, tmp_path):
    """The recorded EVENTs reach a live connection subscribed on the embedded mock, bodies as
    another producer wrote them (their key order and fields kept)."""
    w = make_window(qtbot, tmp_path)
    layouts = [{"indent": 2}, {"sort_keys": True}, {"separators": (",", ":")}, {}]
    bodies = [json.dumps({"data": {"replayed": i, "note": "é"}, "seq": 100 + i, "type": "message",
                          "topic": "orders.eu", "ts": 1}, **layouts[i % 4]).encode() for i in range(6)]
    path = write_lines(tmp_path / "other-tool.rirec", bodies)

    async def scenario():
        tab = w.open_connection(local_mock_profile())  # no demo: only replayed events arrive
        rows_ = tab.editor.rows
        await until(lambda: rows_.get("orders.eu") and rows_["orders.eu"].state.value == "active", 10, "subscribed")
        view = await open_view(w, path)
        view.replay.set_speed(0.0)
        finished: list[int] = []
        view.mock_replay_finished.connect(finished.append)
        view.mock_button.click()
        assert view.mock_replaying and view.mock_button.text() == "Stop mock replay"
        await until(lambda: finished, 10, "the replay to finish")
        assert finished == [6] and view.mock_button.text() == "Play into mock"
        assert "mock replay finished" in w.status_label.text()

        def replayed():
            w.log_panel.flush()
            s = w.log_panel.store
            return [json.loads(s.data(i)[1:]) for i in range(len(s))
                    if s.topic(i) == "orders.eu" and b"replayed" in s.data(i)]
        await until(lambda: len(replayed()) == 6, 10, "the events in the live log")
        got = replayed()
        assert [(e["seq"], e["data"]) for e in got] == [(100 + i, {"replayed": i, "note": "é"}) for i in range(6)]
        assert view.log_panel.frame_count() == 6  # the recording's own view is as it was

        view.replay.set_speed(0.1)  # slow: it is still running when the view closes
        view.mock_button.click()
        await until(lambda: "playing 6 server events" in w.status_label.text(), 10, "the replay to start")
        w.close_document(w.documents.indexOf(view))
        await until(lambda: not view.mock_replaying, 5, "the replay to stop with its view")
        assert tab.client.state is State.OPEN
        await close_window(w)
    run(qloop, scenario())


def test_record_asks_where_saves_there_and_the_counts_agree(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    ui = w.recording
    chosen = tmp_path / "chosen"
    chosen.mkdir()

    async def scenario():
        await live_connection(w, frames=1)
        w.record_action.trigger()
        dlg = ui.save_dialog
        assert dlg is not None and dlg.isVisible() and not ui.recorder.active  # non-blocking: we are here
        folder = tmp_path / "recordings"
        assert Path(dlg.directory().absolutePath()) == folder and folder.stat().st_mode & 0o777 == 0o700
        prefilled = Path(dlg.selectedFiles()[0]).name
        assert re.fullmatch(r"recording-\d{8}-\d{6}-all\.rirec", prefilled), prefilled
        target = chosen / "my capture.rirec"
        dlg.selectFile(str(target))
        dlg.accept()
        assert ui.recorder.active and ui.recorder.path == target
        assert w.status_label.text() == f"recording to {target}"
        await until(lambda: ui.recorder.frames >= 30, 15, "frames recorded")
        w.record_action.trigger()
        await until(lambda: "recording saved" in w.status_label.text(), 10, "the file to be complete")
        return target
    target = run(qloop, scenario())
    said = w.status_label.text()
    assert said.startswith(f"recording saved: {target} (")
    saved_frames = int(re.search(r"\(([\d,]+) frames", said).group(1).replace(",", ""))
    assert target.stat().st_mode & 0o777 == 0o600 and list((tmp_path / "recordings").iterdir()) == []
    in_file = sum(type(e) is FrameSeen for e in open_recording(target))
    assert saved_frames == in_file

    assert ui.open_last_action.isEnabled()
    with qtbot.waitSignal(ui.opened, timeout=20000) as blocker:
        ui.open_last_action.trigger()
    view = blocker.args[0]
    assert view.recording.path == target and view.log_panel.frame_count() == saved_frames
    assert f"{saved_frames:,} frames" in w.status_label.text()
    assert f"frame {saved_frames:,} / {saved_frames:,}" in view.replay.position_label.text()
    assert f"{saved_frames:,} frames" in view.log_panel.status_label.text()

    w.record_action.trigger()  # asked again, and cancelled: nothing recorded
    ui.save_dialog.reject()
    assert not ui.recorder.active and not w.record_action.isChecked()
    run(qloop, close_window(w))


def test_a_recordings_own_window_takes_the_window_shortcuts_and_drops(qtbot, qloop, tmp_path):
    """Ctrl+L, Find and Pause act on the recording in that window (not on the live log); a file
    dropped there opens like one dropped on the main window."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence

    w = make_window(qtbot, tmp_path)
    w.show()
    path, other = write(tmp_path / "apart.rirec"), write(tmp_path / "dropped.rirec", n=3)

    async def scenario():
        await live_connection(w, frames=5)
        view = await open_view(w, path)
        win = w.detach_document(w.documents.indexOf(view))
        win.activateWindow()
        await until(lambda: QApplication.activeWindow() is win, 5, "the recording's window active")
        live = w.log_panel.frame_count()
        qtbot.keyClick(view.log_panel.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert view.log_panel.text_edit.hasFocus()
        qtbot.keyClick(view.log_panel.text_edit, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        assert view.log_panel.paused and not w.log_panel.paused
        qtbot.keyClick(view.log_panel.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert view.log_panel.frame_count() == 0 and w.log_panel.frame_count() >= live
        assert QKeySequence(QKeySequence.StandardKey.Open) in [a.shortcut() for a in win.actions()]

        mime = drops.files(other)
        assert drops.drag_enter(win, mime)
        got: list[RecordingView] = []
        w.recording.opened.connect(got.append)
        drops.drop(win, mime)
        await until(lambda: got, 20, "the dropped file to open")
        assert got[0].log_panel.frame_count() == 4 and got[0].title == other.name  # 3 EVENTs, a PING
        await close_window(w)
    run(qloop, scenario())


def test_stopping_the_mock_during_a_replay_into_it_leaves_no_pending_task(qtbot, qloop, tmp_path):
    import gc
    import logging

    w = make_window(qtbot, tmp_path)
    path = write(tmp_path / "slow.rirec", n=200)  # 20 s at a tenth of its speed
    destroyed: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "destroyed but it is pending" in record.getMessage():
                destroyed.append(record.getMessage())
    catch = Catch()
    logging.getLogger("asyncio").addHandler(catch)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        view = await open_view(w, path)
        view.replay.set_speed(0.1)  # slow: still playing when the mock stops
        view.mock_button.click()
        await until(lambda: "playing 200 server events" in w.status_label.text(), 10, "the replay to start")
        w.mock_panel.start_button.click()  # stop the mock server
        await until(lambda: not w.mock_panel.running and not view.mock_replaying, 10, "mock and replay stopped")
        assert view.mock_button.text() == "Play into mock"
        await close_window(w)
        gone: list[bool] = []
        view.destroyed.connect(lambda *_: gone.append(True))
        view.deleteLater()  # with what it still holds of the replay
        await until(lambda: gone, 5, "the view deleted")
    try:
        run(qloop, scenario())
        gc.collect()
    finally:
        logging.getLogger("asyncio").removeHandler(catch)
    assert destroyed == []


def test_a_recordings_view_names_its_connections_whole_and_gives_the_log_the_room(qtbot, qloop, tmp_path):
    from inspector.qt.log.model import COL_CONN

    w = make_window(qtbot, tmp_path)
    w.show()
    path = write(tmp_path / "staging-eu-session.rirec")

    async def scenario():
        view = await open_view(w, path)
        win = w.detach_document(w.documents.indexOf(view))
        win.resize(700, 500)
        await until(lambda: win.isVisible() and view.splitter.sizes()[0] > 0, 5, "shown")
        log, plot = view.splitter.sizes()
        header = view.log_panel.view.horizontalHeader()
        name = view.log_panel.store.conns[0]
        fits = header.sectionSize(COL_CONN) >= view.log_panel.view.fontMetrics().horizontalAdvance(name)
        await close_window(w)
        return log, plot, fits
    log, plot, fits = run(qloop, scenario())
    assert log >= 2 * plot and fits, (log, plot)


def test_an_opened_file_is_built_a_piece_a_turn_and_shown_as_a_view_built_at_once(qtbot, qloop, tmp_path):
    """The document of an opened file is built in steps, the event loop turning between them
    (a timer of the loop's own fires among them), and then shows the rows a view built in one
    go shows."""
    import asyncio

    from inspector.logstore.recording_source import prepare

    w = make_window(qtbot, tmp_path)
    w.show()
    path = write(tmp_path / "steps.rirec")
    ticks = []

    async def scenario():
        async def ticker():
            while True:
                ticks.append(len(w.recording.building))
                await asyncio.sleep(0)
        task = asyncio.ensure_future(ticker())
        view = await open_view(w, path)
        task.cancel()
        shown = rows(view.log_panel)
        await close_window(w)
        return shown
    shown = run(qloop, scenario())
    whole = RecordingView(prepare(path), None)
    assert shown == rows(whole.log_panel) and len(shown) == 12  # the RTT is not a log row
    assert sum(1 for building in ticks if building) >= 5  # the loop turned while the view was built


def test_a_recordings_replay_bar_does_not_widen_its_view(qtbot, tmp_path):
    """A narrow window keeps its side column when a file opens: the replay bar's controls and
    position text ask for no width of their own (the log's filter bar wraps too)."""
    from inspector.logstore.recording_source import prepare

    view = RecordingView(prepare(write(tmp_path / "narrow.rirec")), None)
    qtbot.addWidget(view)
    assert view.replay.minimumSizeHint().width() > view.log_panel.minimumSizeHint().width()
    assert view.minimumSizeHint().width() <= view.log_panel.minimumSizeHint().width()


def test_rows_prepared_before_a_first_paint_are_the_rows_painted(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from inspector.logstore.recording_source import prepare

    view = RecordingView(prepare(write(tmp_path / "prepared.rirec")), None)
    qtbot.addWidget(view)
    model = view.log_panel.model
    cells = [[model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
             for r in range(model.rowCount())]
    model._cache.clear()
    model.prepare(model.rowCount() - 5, model.rowCount() + 3)
    assert len(model._cache) == 5
    assert [[model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
            for r in range(model.rowCount())] == cells


def test_a_built_document_formats_its_newest_rows_a_time_slice_a_step(qtbot, tmp_path, monkeypatch):
    """Rows cost what their bodies and the machine's load make them: a build step formats rows for
    ``PREPARE_S`` of its clock, not a fixed number of them, newest first, until a window's worth is."""
    from inspector.logstore.recording_source import prepare
    from inspector.qt.recording import recording_view

    view = RecordingView(prepare(write(tmp_path / "sliced.rirec", n=100)), None, staged=True)
    qtbot.addWidget(view)
    for _ in view.build_steps():  # up to the rows' own steps
        if hasattr(view, "replay") and view.log_panel.model.rowCount():
            break
    model = view.log_panel.model
    n = model.rowCount()
    monkeypatch.setattr(recording_view, "PREPARE_S", 3)
    ticks = iter(range(1, 10_000))  # a clock read once a step and once before each row: 2 rows a step

    model._cache.clear()
    done = []
    for _ in view._prepare_rows(lambda: next(ticks)):
        done.append(len(model._cache))
    done.append(len(model._cache))
    assert done == [0, 0, *range(2, recording_view.PREPARED_ROWS + 1, 2)]  # the kinds' brushes, then the rows
    assert set(model._cache) == {model.number_at(r) for r in range(n - recording_view.PREPARED_ROWS, n)}


def test_a_shown_document_is_painted_its_table_first_then_the_rest(qtbot, tmp_path):
    """Shown with its updates off, a document paints a piece a turn: the log's table (the rows the
    user opened it for), then its filter bar, detail pane, replay bar and graph."""
    from inspector.logstore.recording_source import prepare

    view = RecordingView(prepare(write(tmp_path / "painted.rirec")), None)
    qtbot.addWidget(view)
    view.setUpdatesEnabled(False)
    view.show()
    panel = view.log_panel
    rest = [panel.detail, panel.text_edit, panel.kind_button, view.latency_plot, view.replay, view.mock_button]
    pieces = view.paint_steps()
    next(pieces)
    assert panel.view.updatesEnabled() and panel.view.viewport().updatesEnabled()
    assert not any(w.updatesEnabled() for w in rest)
    assert next(pieces, None) is None
    assert all(w.updatesEnabled() for w in [*rest, panel.view, view])
