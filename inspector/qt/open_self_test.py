"""``realtime-inspector FILE --self-test``: open FILE as the user would, wait until its last
frame is shown in the log, print ``self-test: opened N frames``. A way to time an open from
outside (``time realtime-inspector big.rirec --self-test``); a second line says how the open
went inside: when the first rows were painted and the last row shown (seconds after the open
started), how late the event loop ran while it did (its 99th percentile and worst; the stretch
from the open's start to the first look counts as one lateness: the loop ran nothing then),
and the most CPU time the GUI thread spent between two looks (a machine's load stretches
wall time, far less this)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:
    from inspector.qt.main_window import MainWindow
    from inspector.qt.recording.recording_view import RecordingView

TICK_S = 0.005  # how often the self-test looks (and how its lateness is sampled)


def last_frame_shown(view: RecordingView) -> bool:
    """Every row of the file is in the log, and the last one lies in the table's viewport."""
    panel = view.log_panel
    rows = panel.model.rowCount()
    if panel.pending_count or len(panel.rows) < view.recording.row_count or not rows:
        return False
    rect = panel.view.visualRect(panel.model.index(rows - 1, 0))
    if rect.isValid() and panel.view.viewport().rect().intersects(rect):
        return True
    if panel.following:  # the table was laid out again after it followed: End, as a user would press
        panel.view.scrollToBottom()
    return False


def _table_made(view: RecordingView) -> bool:
    """The document's log table exists (a document being built makes it a few steps in)."""
    panel = getattr(view, "log_panel", None)
    return panel is not None and getattr(panel, "view", None) is not None


class _FirstPaint(QObject):
    """When the log's table first painted rows."""

    def __init__(self, view: RecordingView) -> None:
        super().__init__(view)
        self.view = view
        self.at: float | None = None
        view.log_panel.view.viewport().installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if self.at is None and event.type() == QEvent.Type.Paint and self.view.log_panel.model.rowCount():
            self.at = time.perf_counter()
        return False


async def run_open_self_test(window: MainWindow, seconds: float, started: float | None = None) -> int:
    start = time.perf_counter() if started is None else started
    deadline = time.monotonic() + seconds
    ui = window.recording
    # what ran on this thread from the open's start until now (its caller's own work) held the loop
    late: list[float] = [max(0.0, time.perf_counter() - start)] if started is not None else []
    cpu_most = 0.0
    painted: _FirstPaint | None = None
    while True:
        if window.errors:
            print(f"self-test failed: {window.errors[0]}", file=sys.stderr)
            return 1
        view = ui.views[-1] if ui is not None and ui.views else None
        # watched while it is built: its first paint may come in the turn that shows it
        built = view or (ui.building[-1] if ui is not None and ui.building else None)
        if painted is None and built is not None and _table_made(built):
            painted = _FirstPaint(built)
        if view is not None and painted is not None and painted.at is not None and last_frame_shown(view):
            break
        if time.monotonic() > deadline:
            print(f"self-test failed: timed out after {seconds:g} s waiting for the file's last frame",
                  file=sys.stderr)
            return 1
        asked, cpu = time.perf_counter(), time.thread_time()
        await asyncio.sleep(TICK_S)
        late.append(time.perf_counter() - asked - TICK_S)
        cpu_most = max(cpu_most, time.thread_time() - cpu)
    shown = time.perf_counter() - start
    print(f"self-test: opened {view.recording.frame_count} frames", flush=True)
    first = f"{painted.at - start:.3f} s" if painted is not None and painted.at is not None else "?"
    late.sort()
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))] if late else 0.0
    print(f"self-test: first rows painted {first}, last row shown {shown:.3f} s, event-loop lag p99 "
          f"{p99 * 1000:.0f} ms, worst {(late[-1] if late else 0.0) * 1000:.0f} ms, GUI thread's CPU between two "
          f"looks at most {cpu_most * 1000:.0f} ms", flush=True)
    return 0
