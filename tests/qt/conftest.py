"""Qt test helpers, and a napari-style guard against leaked timers and threads.

Every test in tests/qt fails at teardown when, after pytest-qt has closed and
deleted its widgets, a QTimer started during the test is still alive and
active, or a non-daemon thread started during the test is still running. Mark a
test ``@pytest.mark.allow_leaks`` to opt out (and say why next to it).
"""

from __future__ import annotations

import sys
import threading
import traceback
import weakref
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer

# --import-mode=importlib keeps test folders off sys.path; the frame builders live here.
if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))

from qasync_loop import qloop  # noqa: E402,F401 - the fixture, for every Qt test

_started: "weakref.WeakKeyDictionary[QTimer, str]" = weakref.WeakKeyDictionary()
_original_start = QTimer.start


def _recording_start(self, *args):
    _started[self] = "".join(traceback.format_stack(limit=6)[:-1])
    return _original_start(self, *args)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_leaks: do not fail on QTimers/threads left running by the test")


@pytest.fixture(autouse=True)
def no_leaked_timers_or_threads(request):
    if request.node.get_closest_marker("allow_leaks"):
        yield
        return
    threads_before = set(threading.enumerate())
    _started.clear()
    QTimer.start = _recording_start
    try:
        yield
    finally:
        QTimer.start = _original_start
    app = QCoreApplication.instance()
    if app is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    leaked = [(t, where) for t, where in list(_started.items()) if shiboken6.isValid(t) and t.isActive()]
    _started.clear()
    for t, _ in leaked:
        t.stop()  # do not let it fire into the next test
    threads = [t for t in threading.enumerate()
               if t not in threads_before and not t.daemon and not isinstance(t, threading._DummyThread)]
    for t in threads:
        t.join(timeout=2.0)
    threads = [t for t in threads if t.is_alive()]
    problems = [f"QTimer (interval {t.interval()} ms) still active; started at:\n{where}" for t, where in leaked]
    problems += [f"thread {t.name!r} still running" for t in threads]
    if problems:
        pytest.fail("leaked after the test (mark allow_leaks to opt out):\n" + "\n".join(problems), pytrace=False)
