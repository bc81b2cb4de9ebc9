"""The main window's first paint, waited for on Qt's own event loop: the app shows its window
before it loads asyncio, qasync, numpy and the rest, and builds those once the window is up.

``EXIT_AFTER_PAINT_ENV`` set: the app prints the modules it imported up to its first paint,
one a line, then the PySide6 classes made by then, and exits (the start-up tests read them).
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QWidget

from inspector.lazy_module import pending

EXIT_AFTER_PAINT_ENV = "REALTIME_INSPECTOR_EXIT_AFTER_PAINT"
MODULES_MARKER = "modules before the first paint:"
CLASSES_MARKER = "PySide6 classes made before the first paint:"
# a window that is never exposed (minimised, a platform without paints) still starts its work
FALLBACK_MS = 1000


class _PaintWatch(QObject):
    def __init__(self, window: QWidget, loop: QEventLoop) -> None:
        super().__init__(window)
        self._window = window
        self._loop = loop

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self._window and event.type() == QEvent.Type.Paint:
            self.finish()
        return False

    def finish(self) -> None:
        # the loop returns once this event is handled: the whole window has painted by then
        self._loop.quit()


def wait_for_first_paint(window: QWidget) -> None:
    """Run Qt's event loop until ``window`` (shown) has painted, or FALLBACK_MS at the latest."""
    loop = QEventLoop()
    watch = _PaintWatch(window, loop)
    window.installEventFilter(watch)
    timer = QTimer(watch)
    timer.setSingleShot(True)
    timer.timeout.connect(watch.finish)
    timer.start(FALLBACK_MS)
    loop.exec()
    window.removeEventFilter(watch)
    watch.deleteLater()


def exit_after_paint_requested() -> bool:
    return bool(os.environ.get(EXIT_AFTER_PAINT_ENV))


def print_modules_and_exit() -> None:
    """The modules loaded so far, on stdout in the order their loading began, then the PySide6
    classes made so far, then exit at once (no shutdown: nothing to keep). A lazy module not read
    yet (see inspector.lazy_module) is bound, not loaded: it is left out."""
    waiting = set(pending())
    print(MODULES_MARKER, *(m for m in list(sys.modules) if m not in waiting), sep="\n")
    print(CLASSES_MARKER, *pyside_classes(), sep="\n", flush=True)
    os._exit(0)


def pyside_classes() -> list[str]:
    """The classes of PySide6's Qt modules made so far, as ``module.Class``: PySide6 makes a class
    (and its enum classes) when it is first used, and only then is it in its module's namespace."""
    qt = sorted(name for name in sys.modules if name.startswith("PySide6.Qt"))
    return [f"{name}.{attr}" for name in qt for attr, value in sorted(vars(sys.modules[name]).items())
            if isinstance(value, type)]
