"""Qt test fixtures: the qasync loop (``qloop``), a napari-style guard against leaked timers, and
warnings from numpy and pyqtgraph while Qt paints turned into failures.

Every test in tests/qt fails at teardown when, after pytest-qt has closed and deleted
its widgets, a QTimer started during the test is still alive and active (tasks, threads
and processes are checked for every folder by tests/helpers/leak_guard.py). Mark a test
``@pytest.mark.allow_leaks(reason="...")`` to opt out.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import traceback
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

# --import-mode=importlib keeps test folders off sys.path; the Qt helpers live here.
if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))

from leak_guard import describe_task, pending_tasks

_started: weakref.WeakKeyDictionary[QTimer, str] = weakref.WeakKeyDictionary()
_original_start = QTimer.start


def _recording_start(self: QTimer, *args: Any) -> None:
    _started[self] = "".join(traceback.format_stack(limit=6)[:-1])
    _original_start(self, *args)


@pytest.fixture(autouse=True)
def no_leaked_timers(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("allow_leaks"):
        yield
        return
    _started.clear()
    QTimer.start = _recording_start  # type: ignore[method-assign]
    try:
        yield
    finally:
        QTimer.start = _original_start  # type: ignore[method-assign]
    app = QCoreApplication.instance()
    if app is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    leaked = [(t, where) for t, where in list(_started.items()) if shiboken6.isValid(t) and t.isActive()]
    _started.clear()
    for t, _ in leaked:
        t.stop()  # do not let it fire into the next test
    if leaked:
        pytest.fail("left behind by the test (mark allow_leaks(reason=...) to opt out):\n" + "\n".join(
            f"QTimer (interval {t.interval()} ms) still active; started at:\n{where}" for t, where in leaked),
            pytrace=False)


@pytest.fixture(autouse=True)
def plot_warnings_fail() -> Iterator[None]:
    """numpy's and pyqtgraph's RuntimeWarnings (``All-NaN slice encountered``) come from paint and
    bounds callbacks that Qt calls: raised there as errors (pyproject's ``error`` filter) they
    unwind through C++ and can crash the run. They are recorded instead, and fail the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=RuntimeWarning, module=r"(numpy|pyqtgraph)(\.|$)")
        yield
    if caught:
        pytest.fail("warnings while Qt painted or laid out:\n" + "\n".join(
            f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught), pytrace=False)


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync loop for the test; tasks still pending at its end fail the test."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    left: list[str] = []
    try:
        yield loop
        loop.run_until_complete(asyncio.sleep(0))  # callbacks already due (a close finishing) run first
        left = [describe_task(t) for t in pending_tasks(loop)]
    finally:
        pending = pending_tasks(loop)
        for t in pending:
            t.cancel()  # the loop must close cleanly for the next test, leak or not
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
        loop.close()
        asyncio.set_event_loop(None)
        # The closed loop's QObjects sit in reference cycles. Collect them here, on the
        # GUI thread: if a worker thread's GC deleted them, their Qt timers would stay
        # registered and fire on a dead object.
        del loop
        gc.collect()
    if left:
        pytest.fail("tasks still pending on the qasync loop at the end of the test:\n" + "\n".join(left),
                    pytrace=False)
