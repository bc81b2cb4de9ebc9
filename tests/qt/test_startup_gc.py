"""Start-up runs with the cyclic collector paused (inspector.cli.main, before the app's
modules load); the app turns it on again, what start-up made frozen, once the log shows
its first frame, or after a fallback when no frame comes. The profiles' page and the
recording UI come then too: a connection opened before them is theirs as well."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
import windows
from framegen import event
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from qasync_loop import run, until

from inspector.mock.server import MockConfig
from inspector.profiles import LOCAL_MOCK, ProfileStore, local_mock_profile
from inspector.protocol.events import State
from inspector.qt import app as app_module
from inspector.qt.main_window import MainWindow


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
    app_module._finish_at_first_frame(w)
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
    app_module._finish_at_first_frame(w)
    qtbot.waitUntil(gc.isenabled, timeout=5000)
    assert w.log_panel.frame_count() == 0
    assert gc.get_freeze_count() > 0


def test_the_profiles_page_and_the_recording_ui_come_after_the_first_frame_and_know_the_connection(
        qtbot, qloop, tmp_path, paused_collector):
    QApplication.instance().setQuitOnLastWindowClosed(False)
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(store, settings, MockConfig(close_timeout=1.0), recordings_dir=tmp_path / "recordings", later=True)
    qtbot.addWidget(w)
    w.show()

    async def scenario():
        w.build_rest(side_later=True)
        assert [w.side_tabs.tabText(i) for i in range(w.side_tabs.count())] == ["Profiles", "Mock server"]
        assert w.recording is None and not hasattr(w, "manager")
        w.mock_panel.demo_check.setChecked(True)
        tab = w.open_connection(local_mock_profile())
        assert tab is not None
        app_module._finish_at_first_frame(w)
        await until(lambda: w.log_panel.frame_count() > 0, 10, "a frame")
        assert w.recording is None  # the first frames first
        assert w.about_action.icon().isNull()  # the Help menu's icons too: the style's Python class is costly
        await until(gc.isenabled, 5, "the rest of start-up")
        assert not w.about_action.icon().isNull() and not w.shortcuts_action.icon().isNull()
        assert w.side_tabs.widget(0) is w.manager and w.manager.current_name() == LOCAL_MOCK
        assert w.manager.editor.url_edit.text() == w.mock_panel.url  # the running mock's URL, greyed
        assert w.recording is not None and tab.conn_id in w.recording.conn_urls
        assert tab.client.state is State.OPEN
        await windows.close_window(w)
    run(qloop, scenario())


def test_plotting_is_imported_on_a_thread_of_its_own_once_start_up_is_done():
    """pyqtgraph is not imported before the first paint (the allow-list says so); once start-up is
    done it is imported off the GUI thread, so the first round trip's graph does not wait for it."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import sys, threading
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        import numpy
        from inspector.qt.latency.latency_plot import prefetch_plotting
        assert "pyqtgraph" not in sys.modules
        prefetch_plotting()
        [t] = [t for t in threading.enumerate() if t.name == "import pyqtgraph"]
        t.join(60)
        import pyqtgraph
        assert pyqtgraph.PlotWidget
        print("imported on", t.name)
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and "imported on import pyqtgraph" in r.stdout, r.stderr


@pytest.mark.parametrize("signal", ["opened", "open_failed"])
def test_a_file_opened_at_start_runs_the_collector_again_only_once_its_open_has_ended(
        qtbot, tmp_path, paused_collector, monkeypatch, signal):
    """The full collection that ends start-up holds the GUI thread for tens of ms: a file opened at
    start is shown (or has failed) first."""
    monkeypatch.setattr(app_module, "AFTER_FIRST_FRAME_MS", 1)
    w = windows.make_window(qtbot, tmp_path)
    assert w.recording is not None
    app_module._finish_after_open(w)
    for _ in range(3):
        QApplication.processEvents()
    assert not gc.isenabled()  # the open has not ended
    getattr(w.recording, signal).emit(None if signal == "opened" else "cannot open x: no such file")
    qtbot.waitUntil(gc.isenabled, timeout=5000)
    assert gc.get_freeze_count() > 0
