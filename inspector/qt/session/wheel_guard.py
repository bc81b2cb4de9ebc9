"""Only a focused spin box or combo takes the mouse wheel: a form scrolled with the wheel
must not change whatever field passes under the pointer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # the enclosing scroll area scrolls instead
            return True
        return False


def guard_wheel(root: QWidget) -> None:
    """Every spin box and combo under ``root`` takes the wheel only while it has focus (and a
    wheel does not give it focus)."""
    guard = root.findChild(_WheelGuard)
    if guard is None:
        guard = _WheelGuard(root)
    for field in root.findChildren(QAbstractSpinBox) + root.findChildren(QComboBox):
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        field.removeEventFilter(guard)
        field.installEventFilter(guard)
