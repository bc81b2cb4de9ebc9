"""A one-line label for text that changes many times a second (live counts).

A plain QLabel asks its layout to lay every neighbour out again on each new text,
since its size hint may have changed; during a flood that is several times a second,
and neighbours that move or resize repaint. This label's size is fixed instead: it
grows, in steps of a few characters, only when a text needs more room (and shrinks
when one needs far less), so a new count repaints the label alone.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

STEP_CHARS = 6  # room added at a time: counts growing by a digit do not re-lay out


class SteadyLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._fit(force=True)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit(force=True)  # a style sheet's font arrives at polish time

    def _fit(self, force: bool = False) -> None:
        # from the font, not sizeHint(): a label's hint never goes below its minimum width
        fm = self.fontMetrics()
        m = self.contentsMargins()
        pad = 2 * self.margin() + max(0, self.indent())
        need = fm.horizontalAdvance(self.text()) + m.left() + m.right() + pad + 1
        step = max(1, fm.averageCharWidth() * STEP_CHARS)
        have = self.minimumWidth()
        if force or need > have or need < have - 2 * step:
            self.setFixedWidth(-(-need // step) * step)
        height = fm.height() + m.top() + m.bottom() + pad
        if force or self.minimumHeight() != height:
            self.setFixedHeight(height)
