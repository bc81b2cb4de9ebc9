"""A click outside a completer's popup closes it and still lands where it was aimed.

QCompleter's popup takes every mouse press while it is open and eats the one outside it:
a first click on the next field only closed the popup, and the text typed next went on
into the completed field. Here that press also moves the focus to the field clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QCompleter, QWidget

_CLICK_FOCUS = Qt.FocusPolicy.ClickFocus.value


class _ClickThrough(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() != QEvent.Type.MouseButtonPress or not isinstance(watched, QWidget)
                or not isinstance(event, QMouseEvent)):
            return False
        if watched.rect().contains(event.position().toPoint()):
            return False  # a click on a suggestion: the completer's own
        at = event.globalPosition().toPoint()
        watched.hide()
        target = QApplication.widgetAt(at)
        while target is not None and not target.focusPolicy().value & _CLICK_FOCUS:
            target = target.parentWidget() if not target.isWindow() else None
        if target is not None:
            target.setFocus(Qt.FocusReason.MouseFocusReason)
        return True


def let_clicks_through(completer: QCompleter) -> None:
    """Make a press outside ``completer``'s popup focus what it hit (before the completer
    swallows it: a filter installed later runs first)."""
    popup = completer.popup()  # created now, so the completer's own filter is already on it
    if popup is not None:
        popup.installEventFilter(_ClickThrough(popup))
