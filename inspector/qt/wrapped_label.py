"""A word-wrapped label that is always as tall as its text at its width.

A form layout sizes its rows from a cached height-for-width: a wrapped label given a
longer text, or a narrower column, kept its old height and was cut. This label asks for
its wrapped height as its minimum, which every layout honours. Plain text only.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        # any width it is given (it never widens its column), then the height that takes
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _fit(self) -> None:
        # from the font, not heightForWidth(): that never goes below the minimum set here
        m = self.contentsMargins()
        width = max(1, self.width() - m.left() - m.right() - 2 * self.margin())
        flags = Qt.TextFlag.TextWordWrap | int(self.alignment().value)
        text = self.fontMetrics().boundingRect(QRect(0, 0, width, 1 << 20), flags, self.text()).height()
        height = text + m.top() + m.bottom() + 2 * self.margin() if self.text() else 0
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
