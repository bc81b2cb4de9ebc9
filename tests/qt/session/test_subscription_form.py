"""The subscription form as a user meets it: the topic list opens beside the filter, not
over it; an error line does not move the form; both fields count columns from 1."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication

from inspector.protocol.frames import Event
from inspector.qt.session.subscriptions import SubscriptionEditor


def _editor(qtbot) -> SubscriptionEditor:
    w = SubscriptionEditor()
    qtbot.addWidget(w)
    w.resize(640, 320)
    w.show()
    qtbot.waitExposed(w)
    return w


def _global_rect(widget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def test_topic_completion_opens_beside_the_filter_not_over_it(qtbot):
    w = _editor(qtbot)
    for i, topic in enumerate(("orders.eu", "orders.us", "orders.asia", "ops.alerts", "ticker")):
        w.ingest_event(Event(topic, "message", 1_764_300_000_000 + i, {"total": i}, i + 1))
    completer = w.topic_edit.completer()
    qtbot.waitUntil(lambda: completer.model().rowCount() == 5, timeout=2000)
    w.topic_edit.setFocus()
    qtbot.keyClicks(w.topic_edit, "o")
    popup = completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert not _global_rect(popup).intersects(_global_rect(w.filter_edit))
    # a click on the Filter box lands in the Filter box, not on a topic in the list
    centre = w.filter_edit.mapToGlobal(w.filter_edit.rect().center())
    hit = QApplication.widgetAt(centre)
    assert hit is w.filter_edit or w.filter_edit.isAncestorOf(hit)
    popup.hide()
    assert w.topic_edit.text() == "o" and w.filter_edit.text() == ""


def test_error_line_does_not_move_the_form(qtbot):
    w = _editor(qtbot)
    w.topic_edit.setText("orders.eu")
    qtbot.wait(1)
    places = [x.geometry() for x in (w.topic_edit, w.filter_edit, w.preview_label, w.submit, w.table)]
    w.filter_edit.setText("data.total > ] 3")
    w.topic_edit.setText("orders.EU")
    assert w.filter_error.text() and w.topic_error.text()
    qtbot.wait(1)
    assert [x.geometry() for x in (w.topic_edit, w.filter_edit, w.preview_label, w.submit, w.table)] == places


def test_topic_and_filter_errors_count_columns_the_same_way(qtbot):
    w = _editor(qtbot)
    w.topic_edit.setText("Orders")  # the first character
    w.filter_edit.setText("] data")  # the first character
    assert w.topic_error.text().startswith("column 1: ") and "'O'" in w.topic_error.text()
    assert w.filter_error.text().startswith("column 1: ")
    assert w.filter_edit.error_position == 0  # the underline starts at the first character
    w.filter_edit.setText("")
    w.topic_edit.setText("orders eu")
    assert w.topic_error.text().startswith("column 7: ")
    # a long message is whole in the tooltip even when the line elides it
    assert w.topic_error.toolTip() == w.topic_error.text()


def test_the_first_click_on_filter_while_topics_are_suggested_lands_in_filter(qtbot):
    """The topic list open, a click on Filter: the list closes and Filter takes the typing
    (the click used to only close the list, and "data.to…" went on into Topic)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    w = _editor(qtbot)
    w.set_contract_topics(["orders.eu", "orders.us"])
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    w.topic_edit.setFocus()
    qtbot.waitUntil(w.topic_edit.hasFocus, timeout=1000)
    qtbot.keyClicks(w.topic_edit, "orders.e")
    popup = w.topic_edit.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=1000)
    # as the system delivers a click: to the window, where the open list sees it first
    QTest.mouseClick(w.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     w.filter_edit.mapTo(w, w.filter_edit.rect().center()))
    assert not popup.isVisible() and w.filter_edit.hasFocus()
    qtbot.keyClicks(QApplication.focusWidget(), "data.total")
    assert w.topic_edit.text() == "orders.e" and w.filter_edit.text() == "data.total"
