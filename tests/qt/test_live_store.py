"""The app's live session on disk: the real window, the real mock over a real socket."""

from __future__ import annotations

import os
import time

import windows
from framegen import event
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar
from qasync_loop import run, until
from store_kit import FullDisk

from inspector.logstore.log_rows import RING_ROWS
from inspector.logstore.session_store.layout import create_session, list_sessions, read_meta, update_meta
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.store_source import open_any
from inspector.profiles import local_mock_profile
from inspector.qt.live_store import BUDGET_KEY, LiveStore


def _rows(panel):
    s = panel.store
    return [(s.conn(i), s.t(i), s.data(i)) for i in range(len(s))]


def test_the_live_session_is_written_as_the_log_takes_it(qtbot, qloop, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    live = LiveStore(w, tmp_path / "data")
    w.show()
    w.mock_panel.demo_check.setChecked(True)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: w.log_panel.frame_count() >= 60, 15, "frames in the log")
        await until(lambda: live.session.folder is not None and not live.session.pending, 2,
                    "the tick to write the waiting rows")
        live.session.drain()
        with SessionReader(live.session.folder) as reader:  # readable while it is written
            assert len(reader) >= 60
        await tab.client.stop()
        w.log_panel.flush()
        await windows.close_window(w)
    run(qloop, scenario())
    live.close()
    folder = live.session.folder
    with SessionReader(folder) as reader:
        stored = [(r.conn, r.t, r.data) for r in reader.rows(0, len(reader))]
    assert stored == _rows(w.log_panel)  # every row of the log, connection events included
    assert read_meta(folder)["closed"] is True
    assert folder.stat().st_mode & 0o777 == 0o700 and (folder / "frames.arrows").stat().st_mode & 0o777 == 0o600


def test_the_log_reads_the_store_once_rows_are_written_and_its_ring_is_bounded(qtbot, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    live = LiveStore(w, tmp_path / "data")
    panel = w.log_panel
    assert panel.rows is panel.store  # start-up: the ring alone
    panel.ingest_frames([event(seq=i) for i in range(1, 101)])
    panel.flush()
    qtbot.waitUntil(lambda: panel.rows is not panel.store and not live.session.pending, timeout=5000)
    assert panel.rows.session is live.session and panel.store.cap == RING_ROWS
    live.session.drain()
    panel.rows.maintain(now=True)
    assert len(panel.rows.disk) == 100 and panel.rows.first_number == 1 and panel.frame_count() == 100
    live.close()


def test_the_store_label_counts_the_bytes_written_while_the_session_runs(qtbot, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    live = LiveStore(w, tmp_path / "data")
    assert live.label.text() == "store 0 B"
    w.log_panel.ingest_frames([event(seq=i) for i in range(1, 2001)])
    w.log_panel.flush()
    qtbot.waitUntil(lambda: live.session.folder is not None and not live.session.pending, timeout=5000)
    qtbot.waitUntil(lambda: live.label.text() != "store 0 B", timeout=5000)
    assert "KB" in live.label.text() or "MB" in live.label.text()
    live.close()


def _feed(w, first_seq: int, n: int) -> None:
    w.log_panel.ingest_frames([event(seq=i, t=1000.0 + i) for i in range(first_seq, first_seq + n)])
    w.log_panel.flush()


def test_keep_takes_records_place_in_the_toolbar_and_keeps_spans(qtbot, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    w.show()
    live = LiveStore(w, tmp_path / "data")
    bar = w.findChild(QToolBar, "mainToolBar")
    assert live.keep_action in bar.actions() and w.record_action not in bar.actions()
    assert w.keep_slot_action not in bar.actions()
    assert w.record_action in w.file_menu.actions()  # File → Record still writes a .rirec
    button = bar.widgetForAction(live.keep_action)
    assert button.menu() is live.keep_menu and live.save_action in live.keep_menu.actions()
    _feed(w, 1, 100)                                   # rows 1-100: not kept
    qtbot.waitUntil(lambda: live.session.folder is not None)  # the writes' thread made the session
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # Keep on: from the next row
    assert live.keep_action.isChecked() and "keeping since #101" in live.label.text()
    _feed(w, 101, 50)                                  # rows 101-150
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # Keep off
    assert not live.keep_action.isChecked()
    _feed(w, 151, 100)                                 # rows 151-250: not kept
    meta = read_meta(live.session.folder)
    assert meta["kept_spans"] == [[101, 150]] and meta.get("kept") is False
    assert [s.kept for s in list_sessions(tmp_path / "data")] == [True]  # never pruned whole
    assert "kept 50 rows" in live.label.text() and "#101–150" in live.label.toolTip()
    w.log_panel.view.selectRow(199)                    # the log's frame 200
    dlg = live.keep_from_dialog()
    assert dlg.intValue() == 200
    dlg.accept()                                       # a second span, from frame 200 on
    assert read_meta(live.session.folder)["kept_spans"] == [[101, 150], [200, None]]
    assert live.keep_action.isChecked() and "keeping since #200" in live.label.text()
    _feed(w, 251, 10)
    assert "#101–150, #200–… (keeping)" in live.show_dialog().summary.text()
    name = tmp_path / "name"
    save = live.save_dialog()
    save.setTextValue(" before the outage ")
    with qtbot.waitSignal(live.saved, timeout=10_000) as saved:
        save.accept()
    folder, rows = saved.args
    assert rows == 50 + 61 and not name.exists()
    with SessionReader(live.session.folder) as source, SessionReader(folder) as copy:
        want = source.rows(100, 150) + source.rows(199, 260)
        assert copy.rows(0, len(copy)) == want         # the very rows, names and all
    meta = read_meta(folder)
    assert meta["kept"] is True and meta["name"] == "before the outage" and meta["closed"] is True
    assert "saved 111 kept rows" in w.status_label.text()
    live.close()                                       # closing ends the open span at the last row
    assert read_meta(live.session.folder)["kept_spans"] == [[101, 150], [200, 260]]
    opened = open_any(folder)
    assert [e.data for e in opened.events(decode=False)] == [r.data for r in want]


def test_start_up_prunes_the_oldest_closed_sessions_never_kept_ones(qtbot, tmp_path):
    data = tmp_path / "data"
    old = [create_session(data, created=1000.0 + k) for k in range(4)]
    for folder in old:
        (folder / "frames.arrows").write_bytes(b"x" * 10_000)
    update_meta(old[0], kept=True)
    w = windows.make_window(qtbot, tmp_path)
    live = LiveStore(w, data, budget=25_000)
    left = {s.path for s in list_sessions(data)}
    assert old[0] in left and old[3] in left and old[1] not in left  # oldest closed, not kept, go first
    assert live.last_prune is not None and not live.last_prune.over_budget
    live.close()


def test_the_budget_is_a_preference_and_the_command_line_wins(qtbot, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    live = LiveStore(w, tmp_path / "data")
    assert live.budget == 2 * 1024**3
    dlg = live.show_dialog()
    dlg.budget.setValue(0.5)
    dlg.accept()
    assert int(w.settings.value(BUDGET_KEY)) == 1024**3 // 2 == live.budget
    live.close()
    assert LiveStore(w, tmp_path / "data", budget=1234).budget == 1234


def test_a_full_disk_is_shown_once_and_the_log_carries_on(qtbot, tmp_path):
    w = windows.make_window(qtbot, tmp_path)
    room = [20_000]
    live = LiveStore(w, tmp_path / "data", writer_options={"flush_interval": 0.0,
                                                           "opener": lambda p: FullDisk(p, room)})
    for k in range(10):
        w.log_panel.ingest_frames([event(seq=k * 100 + i, t=time.time()) for i in range(1, 101)])
        w.log_panel.flush()
    assert w.log_panel.frame_count() == 1000
    qtbot.waitUntil(lambda: bool(w.errors))  # the writes' thread failed: the session's next tick says so
    assert len(w.errors) == 1 and "No space left on device" in w.errors[0]
    assert "No space left on device" in w.status_label.text()
    live.close()
    assert os.path.isdir(live.session.folder)


def test_the_app_starts_without_pyarrow():
    import subprocess
    import sys
    code = ("import sys, inspector.cli.main, inspector.qt.app, inspector.qt.live_store; "
            "print('pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert out.stdout.strip() == "False", out.stderr
