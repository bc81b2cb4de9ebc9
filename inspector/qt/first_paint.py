"""The main window's first paint, as a future: what can wait (the embedded mock, the first
connection) starts once the window is on screen.

``EXIT_AFTER_PAINT_ENV`` set: the app prints the modules it imported up to its first paint,
one a line, and exits (the start-up allow-list test reads them).
"""

from __future__ import annotations

import asyncio
import os
import sys

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

EXIT_AFTER_PAINT_ENV = "REALTIME_INSPECTOR_EXIT_AFTER_PAINT"
MODULES_MARKER = "modules before the first paint:"
# a window that is never exposed (minimised, a platform without paints) still starts its work
FALLBACK_MS = 1000


class _PaintWatch(QObject):
    def __init__(self, window: QWidget, done: asyncio.Future[None]) -> None:
        super().__init__(window)
        self._window = window
        self._done = done

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._window and event.type() == QEvent.Type.Paint:
            self.finish()
        return False

    def finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)
        self._window.removeEventFilter(self)
        self.deleteLater()


def first_paint(window: QWidget) -> asyncio.Future[None]:
    """Resolves once ``window`` (shown) has painted, or after FALLBACK_MS at the latest."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    watch = _PaintWatch(window, done)
    window.installEventFilter(watch)
    QTimer.singleShot(FALLBACK_MS, watch, watch.finish)
    return done


def exit_after_paint_requested() -> bool:
    return bool(os.environ.get(EXIT_AFTER_PAINT_ENV))


def print_modules_and_exit() -> None:
    """The modules loaded so far, on stdout, then exit at once (no shutdown: nothing to keep)."""
    print(MODULES_MARKER, *sorted(sys.modules), sep="\n", flush=True)
    os._exit(0)
