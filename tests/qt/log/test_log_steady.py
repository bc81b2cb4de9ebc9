"""Nothing in the log jumps: a click during Follow keeps the row it hit, the filter bar's
controls keep their places as counts, Pause/Resume and Kinds change, and a click on the
find box while topic suggestions show lands in the find box."""

from __future__ import annotations

from framegen import event
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from inspector.qt.log.model import COL_NUMBER
from inspector.qt.log.panel import LogPanel

T0 = 1_764_300_000.0


def feed(p: LogPanel, events) -> None:
    for ev in events:
        p.ingest(ev)
    p.flush()


def test_a_click_in_follow_mode_selects_the_row_under_the_pointer_and_it_stays_there(panel, qtbot):
    feed(panel, [event(seq=i, t=T0 + i) for i in range(1, 301)])
    view = panel.view
    assert panel.following
    # the last row flush with the bottom, the first one cut: the view Follow leaves behind
    y = view.viewport().height() - view.verticalHeader().defaultSectionSize() * 3 // 2
    pos = QPoint(view.columnViewportPosition(COL_NUMBER) + 10, y)
    number = panel.model.number_at(view.rowAt(y))
    for i in range(301, 311):  # a flood: rows in flight at the press
        panel.ingest(event(seq=i, t=T0 + i))
    with qtbot.waitSignal(panel.model.rowsInserted, timeout=2000):
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert not panel.following and not panel.follow_button.isChecked()
    assert panel.model.number_at(view.currentIndex().row()) == number  # the row it hit
    assert panel.model.number_at(view.rowAt(y)) == number  # still under the pointer
    feed(panel, [event(seq=i, t=T0 + i) for i in range(311, 411)])
    assert panel.model.number_at(view.rowAt(y)) == number


def _places(p: LogPanel) -> list:
    widgets = (p.pause_button, p.follow_button, p.clear_button, p.kind_button, p.direction_combo,
               p.conn_combo, p.topic_edit, p.text_edit)
    return [w.geometry().translated(w.parentWidget().pos()) for w in widgets]


def test_the_filter_bar_keeps_its_places_as_counts_pause_and_kinds_change(panel, qtbot):
    feed(panel, [event(seq=i, conn="c1") for i in range(1, 4)])
    qtbot.wait(1)  # one layout pass
    before = _places(panel)
    feed(panel, [event(seq=i, conn=f"connection-{i}") for i in range(4, 9)])  # the combo gains ids
    panel.pause_button.click()
    assert panel.pause_button.text() == "Resume"
    panel.kind_actions["PING"].setChecked(False)
    assert panel.kind_button.text().startswith("Kinds (")
    panel.status_label.setText("1,000,000 frames · 999,999 shown · paused, 1,000,000 new · 12,345 violations")
    panel.dropped_label.setText("1,000,000 oldest frames dropped")
    panel.dropped_label.show()
    status = panel.status_label
    qtbot.waitUntil(lambda: status.width() >= status.fontMetrics().horizontalAdvance(status.text()), timeout=1000)
    qtbot.wait(1)
    assert _places(panel) == before
    panel.pause_button.click()
    assert panel.pause_button.text() == "Pause" and _places(panel) == before


def _window_click(widget: QWidget) -> None:
    """A click as the system delivers it (to the window, so an open popup sees it first)."""
    window = widget.window()
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     widget.mapTo(window, widget.rect().center()))


def test_the_first_click_on_the_find_box_is_not_swallowed_by_topic_suggestions(panel, qtbot):
    feed(panel, [event(seq=1, topic="orders.eu"), event(seq=2, topic="orders.us")])
    panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel.window(), timeout=2000)
    panel.topic_edit.setFocus()
    qtbot.waitUntil(panel.topic_edit.hasFocus, timeout=1000)
    qtbot.keyClicks(panel.topic_edit, "orders.e")
    popup = panel.topic_edit.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=1000)
    _window_click(panel.text_edit)
    assert not popup.isVisible()
    assert panel.text_edit.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), "total")
    assert panel.topic_edit.text() == "orders.e" and panel.text_edit.text() == "total"
