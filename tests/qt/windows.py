"""The app's main window for tests, built as run_app builds it, on files under tmp_path."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication

from inspector.mock.server import MockConfig
from inspector.profiles import ProfileStore
from inspector.qt.main_window import MainWindow


def settle_layouts(rounds: int = 3) -> None:
    """Deliver the layout requests posted so far, and those their geometry changes post in turn."""
    for _ in range(rounds):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QCoreApplication.sendPostedEvents()


def make_window(qtbot: Any, tmp_path: Any, **mock: Any) -> MainWindow:
    """``mock``: more MockConfig settings for the embedded mock (faults, ...)."""
    # the window closes itself after its async shutdown; the qasync loop must not stop when it does
    QApplication.instance().setQuitOnLastWindowClosed(False)
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(store, settings, MockConfig(close_timeout=1.0, **mock), recordings_dir=tmp_path / "recordings")
    qtbot.addWidget(w)
    return w


async def close_window(w: MainWindow, *, stop_recording: bool = False) -> None:
    """Close as the user does and wait for the async shutdown (``stop_recording``: end a
    recording first, as the recording tests need)."""
    if stop_recording and w.recording is not None:
        w.recording.shutdown()
    w.closed = asyncio.get_running_loop().create_future()
    w.close()
    await asyncio.wait_for(w.closed, 10)
