"""What waits for the app's first paint and nothing else: the log's ring (with the codec its
module loads) and the shortcuts come with ``build_after_paint`` (``MainWindow(later=True)``)."""

from __future__ import annotations

from framegen import event
from PySide6.QtCore import QSettings

from inspector.profiles import ProfileStore
from inspector.qt.log.panel import LogPanel
from inspector.qt.main_window import MainWindow


def test_a_log_made_later_is_empty_until_its_rest_comes_then_takes_frames(qtbot):
    p = LogPanel(later=True)
    qtbot.addWidget(p)
    assert p.frame_count() == 0 and p.model.rowCount() == 0 and p.model.pending == 0
    assert p.go_to_action.shortcut().isEmpty() and p.copy_rows_action.shortcut().isEmpty()
    assert p.topic_edit.completer() is None
    p.build_rest()
    ring = p.store
    p.build_rest()  # once only: the ring stays
    assert p.store is ring and p.rows is ring and p.model.store is ring
    for i in range(3):
        p.ingest(event(seq=i + 1))
    p.flush()
    assert p.frame_count() == 3 and p.model.rowCount() == 3
    assert p.go_to_action.shortcut().toString() == "Ctrl+G"
    assert p.follow_action.shortcut().toString() == "End"
    p.ingest(event(topic="orders.eu"))
    p.flush()
    assert p.topic_edit.completer().model().stringList() == ["orders.eu"]  # the topics seen, suggested


def test_a_window_made_later_has_its_shortcuts_and_ring_once_painted(qtbot, tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    w = MainWindow(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat), later=True)
    qtbot.addWidget(w)
    assert w.find_action.shortcut().isEmpty() and w.find_action.toolTip() == "Find text in the log"
    w.build_after_paint()
    assert w.find_action.shortcut().toString() == "Ctrl+F"
    assert w.find_action.toolTip() == "Find text in the log (Ctrl+F)"
    assert w.connect_action.shortcut().toString() == "Ctrl+Return"
    assert w.log_panel.store is w.log_panel.rows and w.log_panel.frame_count() == 0
    assert w.log_panel.go_to_action.shortcut().toString() == "Ctrl+G"
