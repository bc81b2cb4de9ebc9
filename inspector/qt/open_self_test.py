"""``realtime-inspector FILE --self-test``: open FILE as the user would, wait until its last
frame is shown in the log, print ``self-test: opened N frames``. A way to time an open from
outside (``time realtime-inspector big.rirec --self-test``)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspector.qt.main_window import MainWindow
    from inspector.qt.recording.recording_view import RecordingView


def last_frame_shown(view: RecordingView) -> bool:
    """Every row of the file is in the log, and the last one lies in the table's viewport."""
    panel = view.log_panel
    rows = panel.model.rowCount()
    if panel.pending_count or len(panel.store) < len(view.recording.frames) or not rows:
        return False
    rect = panel.view.visualRect(panel.model.index(rows - 1, 0))
    if rect.isValid() and panel.view.viewport().rect().intersects(rect):
        return True
    if panel.following:  # the table was laid out again after it followed: End, as a user would press
        panel.view.scrollToBottom()
    return False


async def run_open_self_test(window: MainWindow, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    ui = window.recording
    while True:
        if window.errors:
            print(f"self-test failed: {window.errors[0]}", file=sys.stderr)
            return 1
        view = ui.views[-1] if ui is not None and ui.views else None
        if view is not None and last_frame_shown(view):
            break
        if time.monotonic() > deadline:
            print(f"self-test failed: timed out after {seconds:g} s waiting for the file's last frame",
                  file=sys.stderr)
            return 1
        await asyncio.sleep(0.01)
    print(f"self-test: opened {view.recording.frame_count} frames", flush=True)
    return 0
