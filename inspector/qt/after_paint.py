"""Run a function once a window has painted what is pending (or soon, if it paints nothing).

A worker thread started while the window paints holds the GIL for stretches, and the paint
waits for it at every call into Python (a cell's text, a delegate, an event filter): started
just after the paint, the two never meet.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 50  # a window with nothing to paint (hidden, minimised) starts the work anyway


class _AfterPaint(QObject):
    def __init__(self, window: QWidget, fn: Callable[[], object], fallback_ms: int) -> None:
        super().__init__(window)
        self._window = window
        self._fn: Callable[[], object] | None = fn
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)
        self._timer.start(fallback_ms)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.UpdateRequest:
            self._window.removeEventFilter(self)
            self._timer.start(0)  # runs once this paint is done
        return False

    def _fire(self) -> None:
        fn, self._fn = self._fn, None
        self._window.removeEventFilter(self)
        self.deleteLater()
        if fn is not None:
            fn()


def after_pending_paint(widget: QWidget, fn: Callable[[], object], fallback_ms: int = FALLBACK_MS) -> None:
    """Call ``fn`` once on the GUI thread, after ``widget``'s window has handled its next paint,
    or after ``fallback_ms`` if none comes."""
    _AfterPaint(widget.window(), fn, fallback_ms)
