"""Start-up runs with the cyclic collector paused (inspector.cli.main, before the app's
modules load); the app turns it on again, what start-up made frozen, once the log shows
its first frame, or after a fallback when no frame comes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import windows
from framegen import event
from PySide6.QtWidgets import QApplication

from inspector.qt import app as app_module


@pytest.fixture
def paused_collector() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_collector_runs_again_once_the_first_frame_shows(qtbot, tmp_path, paused_collector, monkeypatch):
    monkeypatch.setattr(app_module, "FREEZE_FALLBACK_MS", 600_000)  # only the frame can end the pause
    w = windows.make_window(qtbot, tmp_path)
    app_module._freeze_at_first_frame(w)
    for _ in range(3):
        QApplication.processEvents()
    assert not gc.isenabled()  # no frame yet
    w.log_panel.ingest_frames([event(seq=1)])
    qtbot.waitUntil(gc.isenabled, timeout=5000)
    assert w.log_panel.frame_count() == 1
    assert gc.get_freeze_count() > 0  # the window and the modules: out of the collector's full passes


def test_without_a_frame_the_collector_runs_again_after_the_fallback(qtbot, tmp_path, paused_collector, monkeypatch):
    monkeypatch.setattr(app_module, "FREEZE_FALLBACK_MS", 50)
    w = windows.make_window(qtbot, tmp_path)
    app_module._freeze_at_first_frame(w)
    qtbot.waitUntil(gc.isenabled, timeout=5000)
    assert w.log_panel.frame_count() == 0
    assert gc.get_freeze_count() > 0
