"""Tabs do not pile up, Connect shows the connection, and a restart brings the last session back
(the embedded mock's at once, remote servers offered in a bar) or says what to do."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QToolBar
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import LOCAL_MOCK, Profile, ProfileStore
from inspector.protocol.events import State
from inspector.qt.load.load_view import LoadRunView, open_load_run
from inspector.qt.main_window import NO_FRAMES_HINT, NOTHING_CONNECTED_HINT, MainWindow

TOKEN = "remote-token-1"
REPORT = ('{"format": "realtime-inspector-load", "version": 1, "url": "ws://x", "entries": '
          '[{"kind": "CONNECT", "name": "ws", "requests": 3, "p50": 14, "p90": 16, "p99": 16}]}')


@pytest.fixture
def remote():
    thread = MockServerThread(MockConfig(tokens=frozenset({TOKEN}), close_timeout=1.0))
    thread.start()
    yield thread
    thread.stop()


def test_connect_on_a_stopped_profile_reuses_its_tab(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()

    async def scenario():
        w.manager.select(LOCAL_MOCK)
        for _ in range(3):
            w.manager.connect_button.click()
            tab = w.current_tab()
            await until(lambda t=tab: t.client.state is State.OPEN, 10, "open")
            assert w.conn_tabs.count() == 1 and tab.conn_id == "c1"
            assert w.conn_tabs.tabText(0).endswith("c1 · Local mock")
            tab.disconnect_now()
            await until(lambda t=tab: t.client.state is State.STOPPED, 5, "stopped")
        await close_window(w)
    run(qloop, scenario())


def test_connect_while_a_document_is_in_front_switches_to_the_connection(qtbot, qloop, tmp_path):
    path = tmp_path / "run.json"
    path.write_text(REPORT)
    w = make_window(qtbot, tmp_path)
    w.show()

    async def scenario():
        assert open_load_run(w, str(path)) is not None
        assert isinstance(w.documents.currentWidget(), LoadRunView)
        w.manager.select(LOCAL_MOCK)
        w.manager.connect_button.click()
        assert w.documents.currentWidget() is w.center and w.current_tab() is not None
        await until(lambda: w.current_tab().client.state is State.OPEN, 10, "open")
        w.documents.setCurrentIndex(1)  # the report again, then Connect on the open profile
        w.manager.connect_button.click()
        assert w.documents.currentWidget() is w.center and w.conn_tabs.count() == 1
        await close_window(w)
    run(qloop, scenario())


def _reopen(qtbot, tmp_path) -> MainWindow:
    """The window as the next start of the app builds it, on the same profiles and settings."""
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    w = MainWindow(store, settings, MockConfig(close_timeout=1.0), recordings_dir=tmp_path / "recordings")
    qtbot.addWidget(w)
    return w


def test_a_restart_brings_the_last_session_back(qtbot, qloop, tmp_path, remote):
    QApplication.instance().setQuitOnLastWindowClosed(False)
    w = make_window(qtbot, tmp_path)
    w.store.add(Profile(name="staging", url=remote.url, token=TOKEN, ping_interval=0.0))
    w.store.save()
    w.manager.refresh("staging")
    w.show()

    async def first_run():
        assert not w.restore_session()  # nothing saved yet: a first start
        w.mock_panel.demo_check.setChecked(True)
        for name in (LOCAL_MOCK, "staging"):
            w.manager.select(name)
            w.manager.connect_button.click()
        await until(lambda: all(t.client.state is State.OPEN for t in w.tabs()), 10, "both open")
        await close_window(w)
    run(qloop, first_run())

    again = _reopen(qtbot, tmp_path)
    again.show()

    async def second_run():
        assert again.restore_session()
        # the embedded mock's connection at once, its demo on; the remote one only offered
        assert [t.profile.name for t in again.tabs()] == [LOCAL_MOCK]
        assert again.mock_panel.demo_check.isChecked()
        bar = again.restore_bar
        assert bar.isVisible() and "staging" in bar.label.text()
        await until(lambda: again.log_panel.frame_count() > 0, 10, "demo traffic in the log")
        assert not again.log_panel.empty_hint.isVisible()
        bar.reconnect_button.click()
        assert not bar.isVisible()
        await until(lambda: [t.profile.name for t in again.tabs()] == [LOCAL_MOCK, "staging"]
                    and all(t.client.state is State.OPEN for t in again.tabs()), 10, "both open again")
        await close_window(again)
    run(qloop, second_run())


def test_an_empty_window_says_what_to_do(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.settings.setValue("session/connections", "[]")  # closed last time with nothing connected
    w.show()
    qtbot.waitExposed(w)

    async def scenario():
        assert w.restore_session() and not w.tabs() and not w.restore_bar.isVisible()
        hint = w.log_panel.empty_hint
        assert hint.isVisible() and hint.text() == NOTHING_CONNECTED_HINT
        assert "Connect (Ctrl+Return)" in hint.text()
        assert w.log_panel.view.viewport().rect().contains(hint.geometry())
        w.manager.select(LOCAL_MOCK)
        w.manager.connect_button.click()
        assert hint.text() == NO_FRAMES_HINT
        await until(lambda: w.log_panel.frame_count() > 0, 10, "the first frames")  # connection rows
        await asyncio.sleep(0)
        assert not hint.isVisible()
        await close_window(w)
    run(qloop, scenario())


def test_the_toolbar_stays_put_when_pause_becomes_resume(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    qtbot.waitExposed(w)
    tb = w.findChild(QToolBar, "mainToolBar")
    buttons = [tb.widgetForAction(a) for a in (w.pause_action, w.clear_action, w.find_action, w.keep_slot_action)]
    before = [b.geometry() for b in buttons]
    w.pause_action.trigger()
    assert w.pause_action.text() == "Resume" and w.log_panel.paused
    qtbot.waitUntil(lambda: buttons[0].text() == "Resume", timeout=1000)
    QApplication.sendPostedEvents()  # the toolbar's layout pass
    assert [b.geometry() for b in buttons] == before


def test_a_window_built_in_two_steps_is_the_same_window_and_a_close_before_the_rest_waits_for_it(
        qtbot, qloop, tmp_path):
    """The app paints MainWindow(later=True) first; build_rest adds the side pages and the
    recording UI. A close asked for in between (no loop yet) is done once the rest is built."""
    QApplication.instance().setQuitOnLastWindowClosed(False)
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    settings.setValue("lastProfile", LOCAL_MOCK)
    settings.setValue("sideTab", 1)
    w = MainWindow(store, settings, MockConfig(close_timeout=1.0), recordings_dir=tmp_path / "recordings", later=True)
    qtbot.addWidget(w)
    w.show()
    assert [w.side_tabs.tabText(i) for i in range(w.side_tabs.count())] == ["Profiles"]
    assert w.recording is None and not w.record_action.isEnabled()
    w.close()  # before the loop runs: not closed yet
    assert w.isVisible()

    async def scenario():
        w.closed = asyncio.get_running_loop().create_future()
        w.build_rest()
        assert [w.side_tabs.tabText(i) for i in range(w.side_tabs.count())] == ["Profiles", "Mock server"]
        assert w.side_tabs.widget(0) is w.manager and w.manager.current_name() == LOCAL_MOCK
        assert w.side_tabs.currentIndex() == 1  # the page the user left in view
        assert w.recording is not None and w.record_action.isEnabled()
        file_menu = [a.text() for a in w.file_menu.actions() if a.text()]
        assert file_menu[-2:] == ["Open load run…", "Quit"]  # below the recording UI's entries
        await asyncio.wait_for(w.closed, 10)
        assert not w.isVisible()
    run(qloop, scenario())
