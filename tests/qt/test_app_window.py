import asyncio
import sys

from PySide6.QtWidgets import QApplication
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.profiles import LOCAL_MOCK, ProfileStore, local_mock_profile
from inspector.protocol.events import State
from inspector.qt import app as app_module
from inspector.qt.main_window import TITLE


def test_local_mock_profile_shows_traffic_latency_and_presence(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    w.mock_panel.demo_check.setChecked(True)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        assert tab is not None and w.mock_panel.running
        await until(lambda: w.log_panel.frame_count() >= 50, 10, "frames in the log")
        await until(lambda: w.latency_plot.stats(tab.conn_id)["count"] >= 1, 10, "an RTT")
        rows = tab.editor.rows
        await until(lambda: all(rows.get(t) and rows[t].state.value == "active"
                                for t in ("ticker", "orders.eu", "orders.us", "chat.lobby")), 10, "active")
        await until(lambda: (rows["chat.lobby"].members or 0) >= 1, 10, "presence members")
        assert w.conn_tabs.tabText(0).startswith("●")
        # the status bar rests on the latest state, not on "connecting with profile …"
        w.show_state()
        assert w.status_label.text() == f"{tab.conn_id} · Local mock: open"
        assert w.settings.value("lastProfile") == LOCAL_MOCK
        await close_window(w)
        assert tab.client.state is State.STOPPED
        assert not w.mock_panel.running
        assert len(w.tasks) == 0
    run(qloop, scenario())
    assert w.windowTitle() == TITLE


def test_several_connections_each_with_own_state(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)

    async def scenario():
        a = w.open_connection(local_mock_profile())
        b = w.open_connection(w.store.get(LOCAL_MOCK))
        assert w.conn_tabs.count() == 2 and a.conn_id != b.conn_id
        await until(lambda: a.client.state is State.OPEN and b.client.state is State.OPEN, 10, "both open")
        w.conn_tabs.setCurrentWidget(b)
        w.disconnect_action.trigger()
        await until(lambda: b.client.state is State.STOPPED, 5, "b stopped")
        assert a.client.state is State.OPEN
        assert a.state_view.text() == "open" and b.state_view.text().startswith("stopped")
        b.editor.topic_edit.setText("orders.eu")
        b.editor.filter_edit.setText("data.total > `100`")
        b.editor.submit.click()
        b.save_button.click()
        saved = ProfileStore(w.store.directory)
        saved.load()
        subs = {s.topic: s.filter for s in saved.get(LOCAL_MOCK).subscriptions}
        assert subs["orders.eu"] == "data.total > `100`" and "chat.lobby" in subs
        w.conn_tabs.tabCloseRequested.emit(w.conn_tabs.indexOf(a))
        await until(lambda: a.client.state is State.STOPPED, 5, "a stopped")
        assert w.conn_tabs.count() == 1
        await close_window(w)
    run(qloop, scenario())


def test_shortcuts_pause_clear_find_record(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    qtbot.waitExposed(w)
    shortcuts = {a.text(): a.shortcut().toString() for a in (w.connect_action, w.pause_action, w.clear_action,
                                                             w.record_action)}
    assert shortcuts == {"Connect": "Ctrl+Return", "Pause": "Ctrl+P", "Clear": "Ctrl+L", "Record": "Ctrl+Shift+R"}
    assert w.find_action.shortcut().toString() == "Ctrl+F"

    async def scenario():
        w.connect_action.trigger()  # connects the selected profile: Local mock
        await until(lambda: w.log_panel.frame_count() > 5, 10, "frames")
        w.pause_action.trigger()
        assert w.log_panel.paused and w.pause_action.text() == "Resume"
        w.pause_action.trigger()
        assert not w.log_panel.paused
        w.clear_action.trigger()
        assert w.log_panel.frame_count() < 5
        w.activateWindow()
        w.find_action.trigger()
        await until(lambda: w.log_panel.text_edit.hasFocus(), 2, "find box focused")
        await close_window(w)
    run(qloop, scenario())


def test_status_bar_follows_the_connection_state(qtbot, qloop, tmp_path, monkeypatch):
    from inspector.qt import main_window
    monkeypatch.setattr(main_window, "MESSAGE_MS", 100)
    monkeypatch.setattr(main_window, "ERROR_MS", 300)
    w = make_window(qtbot, tmp_path)
    assert w.status_label.text().startswith("Not connected")

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        await until(lambda: w.status_label.text() == f"{tab.conn_id} · Local mock: open", 2, "open state shown")
        w.show_message("hello")
        assert w.status_label.text() == "hello"
        await until(lambda: w.status_label.text().endswith(": open"), 2, "message gave way to the state")
        loop = asyncio.get_running_loop()
        reported = loop.time()
        w.report_error("it broke")
        w.show_message("less important")
        assert w.status_label.text() == "Error: it broke"  # errors are not pushed away by messages
        await until(lambda: w.status_label.text().endswith(": open"), 2, "the error gave way after its time")
        # not when the message's time was up, but the error's (a coarse Qt timer may fire 5 % early)
        assert loop.time() - reported >= 0.9 * main_window.ERROR_MS / 1000
        w.disconnect_action.trigger()
        await until(lambda: w.status_label.text().startswith(f"{tab.conn_id} · Local mock: stopped"), 5,
                    "stopped state shown at once")
        await close_window(w)
    run(qloop, scenario())


def test_default_layout_gives_the_log_most_of_the_room(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    side, rest = w.main.sizes()
    assert 0 < side <= 320 and rest >= 0.6 * (side + rest)  # most of it, on a small screen too
    log, lower = w.center.sizes()
    assert log > lower > 0
    table, detail = w.log_panel.splitter.sizes()
    assert table > detail >= 8 * w.fontMetrics().height()  # the detail pane shows a frame, not a sliver
    screen = w.screen().availableGeometry()
    assert w.width() <= screen.width() and w.height() <= screen.height()


def test_help_menu_about_and_shortcuts_do_not_block(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    texts = [a.text() for a in w.help_menu.actions() if a.text()]
    assert texts == ["Keyboard shortcuts", "About Realtime Inspector"]
    w.about_action.trigger()  # returns at once: open(), not exec()
    assert w._about.isVisible() and f"Version {__import__('inspector').__version__}" in w._about.version_label.text()
    w.shortcuts_action.trigger()
    rows = dict(w._shortcuts.rows())
    assert rows["Connect"] == "Ctrl+Return" and rows["Find"] == "Ctrl+F" and rows["Keyboard shortcuts"] == "F1"
    assert rows["Record"] == "Ctrl+Shift+R" and rows["Quit"] == "Ctrl+Q"
    assert "token" not in w.windowTitle().lower() and w.windowTitle() == TITLE


def test_layout_and_last_profile_restored(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    w.resize(760, 540)  # within the offscreen screen, so restoreGeometry keeps it
    w.manager.duplicate_current()
    w.main.setSizes([200, 900])
    w.center.setSizes([400, 100])
    w.side_tabs.setCurrentIndex(1)
    w.side_action.trigger()  # hide the side panel
    w.lower_action.trigger()  # and the connection panel
    assert w.side_tabs.isHidden() and w.lower_splitter.isHidden()

    async def scenario():
        await close_window(w)
    run(qloop, scenario())
    sizes = w.main.sizes()
    center = w.center.sizes()
    geometry = w.geometry()

    w2 = make_window(qtbot, tmp_path)
    w2.show()
    assert w2.geometry().size() == geometry.size()
    assert w2.center.sizes() == center
    assert w2.side_tabs.isHidden() and not w2.side_action.isChecked()
    assert w2.lower_splitter.isHidden() and not w2.lower_action.isChecked()
    w2.side_action.trigger()
    w2.lower_action.trigger()
    assert w2.side_tabs.isVisible() and w2.lower_splitter.isVisible()
    assert w2.main.sizes()[0] == sizes[0]
    assert w2.side_tabs.currentIndex() == 1
    assert w2.manager.current_name() == f"{LOCAL_MOCK} copy"
    assert w2.last_profile().name == f"{LOCAL_MOCK} copy"


def test_errors_in_tasks_and_handlers_reach_the_status_bar(qtbot, qloop, tmp_path, monkeypatch):
    w = make_window(qtbot, tmp_path)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test

    async def boom():
        raise RuntimeError("slot went wrong")

    async def scenario():
        loop = asyncio.get_running_loop()
        app_module._install_error_handlers(loop, w)
        w.tasks.spawn(boom(), name="boom")
        await until(lambda: "slot went wrong" in w.status_label.text(), 2, "task error shown")
        loop.call_exception_handler({"message": "callback failed", "exception": ValueError("bad value")})
        assert "bad value" in w.status_label.text()
        try:
            raise KeyError("from a slot")
        except KeyError:
            sys.excepthook(*sys.exc_info())
        assert "from a slot" in w.status_label.text()
        loop.set_exception_handler(None)
        await close_window(w)
    run(qloop, scenario())
    assert len(w.errors) == 3


def test_broken_profile_file_is_kept_aside(tmp_path):
    store = ProfileStore(tmp_path)
    (tmp_path / "profiles.json").write_text("{broken")
    warning = app_module.load_profiles(store)
    assert "could not be loaded" in warning
    assert store.names() == [LOCAL_MOCK]
    assert any(p.name.startswith("profiles.json.broken-") for p in tmp_path.iterdir())


def test_first_profile_connects_only_embedded(qtbot, tmp_path):
    from inspector.profiles import Profile
    w = make_window(qtbot, tmp_path)
    assert w.last_profile() is None
    assert app_module._first_profile(w, False).name == LOCAL_MOCK
    w.store.add(Profile(name="Prod", url="wss://example.test/api/v2/realtime", token_kind="env", token_env="X"))
    w.settings.setValue("lastProfile", "Prod")
    assert app_module._first_profile(w, False) is None
    assert app_module._first_profile(w, True).embedded_mock


def test_dark_palette_is_dark(qapp):
    p = app_module.dark_palette()
    from PySide6.QtGui import QPalette
    assert p.color(QPalette.ColorRole.Window).lightness() < 80
    assert p.color(QPalette.ColorRole.Text).lightness() > 180
    assert isinstance(QApplication.instance(), QApplication)


def test_light_palette_is_fusions_own_in_every_role(qapp):
    """The app makes Fusion's light palette itself (not from the style, before the first paint): it
    must be the style's, colour for colour, in every group."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QStyleFactory
    fusion = QStyleFactory.create(app_module.STYLE)
    assert fusion is not None
    want, got = fusion.standardPalette(), app_module.light_palette()
    groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
    roles = [r for r in QPalette.ColorRole if r is not QPalette.ColorRole.NColorRoles]
    differ = [(g.name, r.name, got.color(g, r).name(), want.color(g, r).name()) for g in groups for r in roles
              if got.color(g, r) != want.color(g, r)]
    assert not differ
    assert got == want


def test_embedded_connection_comes_back_after_mock_restart(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        await w.mock_panel.stop_async()
        await until(lambda: tab.client.state in (State.WAITING, State.CONNECTING), 5, "noticed the restart")
        w.mock_panel.start_button.click()
        await until(lambda: tab.client.state is State.OPEN and tab.client.stats.connects == 2, 10, "back")
        await until(lambda: all(s.state.value == "active" for s in tab.client.subscriptions.values()), 5,
                    "subscriptions restored")
        await close_window(w)
    run(qloop, scenario())


def test_record_action_is_taken_over_by_the_recording_ui(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)
    assert w.recording is not None and w.record_action.isEnabled()

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        w.record_action.trigger()
        w.recording.save_dialog.accept()  # where to save: the prefilled folder and name
        await until(lambda: w.recording.recorder.active, 2, "recording")
        recorded_from = w.log_panel.frame_count()
        await until(lambda: w.log_panel.frame_count() >= recorded_from + 3, 5, "frames to record")
        saved: list[str] = []
        w.recording.recorder.stopped.connect(saved.append)  # the file is finished in the background
        w.record_action.trigger()
        await until(lambda: not w.recording.recorder.active, 2, "stopped recording")
        await until(lambda: saved, 10, "the recording file complete")
        files = list((tmp_path / "recordings").iterdir())
        assert len(files) == 1 and files[0].stat().st_size > 0
        await close_window(w)
    run(qloop, scenario())


def test_hand_edited_settings_are_skipped(qtbot, tmp_path):
    (tmp_path / "ui.ini").write_text("[General]\ngeometry=not bytes\nwindowState=3\nsideTab=x\n"
                                     "splitters\\mainSplitter=@ByteArray(garbage)\nlastProfile=nobody\n")
    w = make_window(qtbot, tmp_path)
    assert w.side_tabs.currentIndex() == 0 and w.manager.current_name() == LOCAL_MOCK
