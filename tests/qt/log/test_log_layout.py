"""The log's bar and Follow mode as a user meets them: buttons that stay put, a click
that keeps the frame it hit, checkmarks in the Kinds menu, a readable Time column."""

from __future__ import annotations

from framegen import event
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from inspector.qt.log.model import COL_NUMBER, COL_TIME
from inspector.qt.log.panel import LogPanel
from inspector.qt.log.time_column import RELATIVE, WALL

T0 = 1_764_300_000.0


def feed(p: LogPanel, events) -> None:
    for ev in events:
        p.ingest(ev)
    p.flush()


def _buttons(p: LogPanel):
    return [b.geometry() for b in (p.pause_button, p.follow_button, p.clear_button, p.kind_button)]


def test_buttons_stay_put_as_the_counts_grow(panel, qtbot):
    feed(panel, [event(seq=i) for i in range(1, 4)])
    qtbot.wait(1)
    before = _buttons(panel)
    assert panel.status_label.text() == "3 frames"
    # what a long session shows: seven-digit counts, a filter, a pause and drops
    panel.status_label.setText("1,000,000 frames · 999,999 shown · paused, 1,000,000 new")
    panel.dropped_label.setText("1,000,000 oldest frames dropped")
    panel.dropped_label.show()
    status = panel.status_label
    qtbot.waitUntil(lambda: status.width() >= status.fontMetrics().horizontalAdvance(status.text()), timeout=1000)
    assert _buttons(panel) == before


def _row_point(p: LogPanel, row: int) -> QPoint:
    return p.view.visualRect(p.model.index(row, COL_NUMBER)).center()


def test_selecting_a_row_leaves_follow_and_end_brings_it_back(panel, qtbot):
    feed(panel, [event(seq=i, t=T0 + i) for i in range(1, 301)])
    assert panel.following
    row = panel.view.rowAt(panel.view.viewport().height() // 2)
    number = panel.model.number_at(row)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=_row_point(panel, row))
    assert not panel.following and not panel.follow_button.isChecked()
    feed(panel, [event(seq=i, t=T0 + i) for i in range(301, 401)])  # rows keep arriving
    current = panel.view.currentIndex()
    assert panel.model.number_at(current.row()) == number
    assert panel.view.viewport().rect().contains(panel.view.visualRect(current).center())  # still under the pointer
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_End)
    assert panel.following and panel.follow_button.isChecked()
    sb = panel.view.verticalScrollBar()
    assert sb.value() == sb.maximum()
    feed(panel, [event(seq=i, t=T0 + i) for i in range(401, 451)])
    assert sb.value() == sb.maximum()


def test_a_filter_change_keeps_follow(panel):
    """Re-selecting the same frame after a filter change is not the user's choice."""
    feed(panel, [event(seq=i, topic="a" if i % 2 else "b") for i in range(1, 101)])
    panel.view.setCurrentIndex(panel.model.index(panel.model.rowCount() - 1, 0))
    panel.set_following(True)
    panel.topic_edit.setText("a")
    panel.apply_filter()
    assert panel.following


def test_kinds_menu_shows_checkmarks(panel):
    """Fusion draws an entry's icon in place of its checkmark: the entries have none."""
    acts = panel.kind_menu.actions()
    assert len(acts) == len(panel.kind_actions) >= 7
    assert all(a.isCheckable() and a.isChecked() and a.icon().isNull() for a in acts)
    panel.kind_actions["PING"].setChecked(False)
    assert panel.kind_button.text() == f"Kinds ({len(acts) - 1})"


def _time_text(p: LogPanel, row: int) -> str:
    option = QStyleOptionViewItem()
    index = p.model.index(row, COL_TIME)
    p.view.itemDelegateForColumn(COL_TIME).initStyleOption(option, index)
    return option.text


def test_time_column_wall_clock_or_seconds_since_the_first_frame(panel):
    feed(panel, [event(seq=1, t=T0 + 0.25), event(seq=2, t=T0 + 1.75), event(seq=3, t=T0 + 3725.5)])
    assert panel.time_mode == WALL
    assert _time_text(panel, 1) == panel.model.data(panel.model.index(1, COL_TIME))
    panel.set_time_mode(RELATIVE)
    assert panel.time_actions[RELATIVE].isChecked() and not panel.time_actions[WALL].isChecked()
    assert [_time_text(panel, r) for r in range(3)] == ["0.000 s", "1.500 s", "3,725.250 s"]
    panel.clear()
    feed(panel, [event(seq=4, t=T0 + 9000)])  # a cleared log counts from its new first frame
    assert _time_text(panel, 0) == "0.000 s"
    panel.set_time_mode(WALL)
    assert _time_text(panel, 0).count(":") == 2
