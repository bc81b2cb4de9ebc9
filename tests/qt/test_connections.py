import json
import os
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from inspector.profiles import LOCAL_MOCK, Profile, ProfileStore
from inspector.protocol.events import State, StateChanged
from inspector.qt.connections import ConnectionManager
from inspector.qt.state_view import StateView, describe_state

SECRET = "tok-very-secret-123"


def _manager(qtbot, tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    m = ConnectionManager(store)
    qtbot.addWidget(m)
    return m, store


def test_token_field_masked_and_saved_0600(qtbot, tmp_path):
    m, store = _manager(qtbot, tmp_path)
    assert m.current_name() == LOCAL_MOCK
    m.new_profile()
    e = m.editor
    assert e.token_edit.echoMode() == QLineEdit.EchoMode.Password
    e.kind_combo.setCurrentIndex(e.kind_combo.findData("literal"))
    assert e.token_stack.currentWidget() is e.token_edit
    e.url_edit.setText("wss://example.test/api/v2/realtime")
    e.token_edit.setText(SECRET)
    e.ping_spin.setValue(2.0)
    m.save_current()
    path = tmp_path / "cfg" / "profiles.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    saved = json.loads(path.read_text())["profiles"][1]
    assert saved["token"] == SECRET and saved["ping_interval"] == 2.0
    assert SECRET not in m.window().windowTitle()


def test_invalid_profile_shows_error_and_is_not_saved(qtbot, tmp_path):
    m, store = _manager(qtbot, tmp_path)
    m.new_profile()
    m.editor.url_edit.setText("http://nope")
    with qtbot.waitSignal(m.message) as blocker:
        m.save_current()
    assert "ws://" in blocker.args[0] and "ws://" in m.error_label.text()
    assert store.get("New profile").url.startswith("ws://127.0.0.1")


def test_duplicate_rename_delete(qtbot, tmp_path):
    m, store = _manager(qtbot, tmp_path)
    m.duplicate_current()
    assert m.current_name() == f"{LOCAL_MOCK} copy"
    item = m.list.currentItem()
    item.setText("Mine")  # what finishing an in-place edit does
    assert m.current_name() == "Mine" and "Mine" in store.names()
    m.list.currentItem().setText(LOCAL_MOCK)  # duplicate name: refused and reverted
    assert m.list.currentItem().text() == "Mine"
    assert "already exists" in m.error_label.text()
    m.delete_current()
    box = m._confirm
    assert isinstance(box, QMessageBox) and box.isVisible()  # opened, not exec()'d
    assert "Mine" in store.names()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "Mine" not in store.names(), timeout=2000)
    again = ProfileStore(tmp_path / "cfg")
    again.load()
    assert again.names() == [LOCAL_MOCK]


def test_connect_emits_profile(qtbot, tmp_path):
    m, _ = _manager(qtbot, tmp_path)
    with qtbot.waitSignal(m.connect_requested) as blocker:
        qtbot.mouseClick(m.connect_button, Qt.MouseButton.LeftButton)
    p = blocker.args[0]
    assert isinstance(p, Profile) and p.embedded_mock and len(p.subscriptions) == 4


def test_describe_each_state():
    t = 1000.0
    assert describe_state(StateChanged("c", t, State.OPEN)) == "open"
    assert "connecting" in describe_state(StateChanged("c", t, State.CONNECTING))
    closed = describe_state(StateChanged("c", t, State.CLOSED, code=1001, reason="server restart",
                                         meaning="Going away (server restart)"))
    assert "1001" in closed and "Going away" in closed and "server restart" in closed
    waiting = StateChanged("c", t, State.WAITING, attempt=2, delay=4.0)
    assert describe_state(waiting, t + 1.5) == "waiting — attempt 3 in 2.5 s"
    stopped = describe_state(StateChanged("c", t, State.STOPPED, http_status=401, http_code="invalid_token",
                                          message="server refused the token"))
    assert "HTTP 401 invalid_token" in stopped


def test_state_view_countdown_moves(qtbot):
    v = StateView()
    qtbot.addWidget(v)
    import time
    v.ingest(StateChanged("c", time.time(), State.WAITING, attempt=0, delay=2.0))
    first = v.text()
    assert first.startswith("waiting — attempt 1 in")
    qtbot.waitUntil(lambda: v.text() != first, timeout=2000)
    with qtbot.waitSignal(v.reconnect_requested):
        qtbot.mouseClick(v.reconnect_button, Qt.MouseButton.LeftButton)
