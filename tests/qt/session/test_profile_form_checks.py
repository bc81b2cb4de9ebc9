"""The profile form refuses settings that cannot work and leaves fields alone under the wheel."""

import json

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from inspector.profiles import Profile, ProfileStore
from inspector.qt.session.profiles_panel import SEE_FIELD, ConnectionManager

CONTRACT = {"asyncapi": "3.0.0", "info": {"title": "chat", "version": "1"},
            "channels": {"chat": {"address": "chat.lobby", "messages": {"m": {"payload": {"type": "string"}}}}}}


def _manager(qtbot, tmp_path, **fields) -> ConnectionManager:
    store = ProfileStore(tmp_path / "cfg")
    store.add(Profile(name="Chat", url="ws://127.0.0.1:1/api/v2/realtime", token="t", **fields))
    store.save()
    manager = ConnectionManager(store)
    qtbot.addWidget(manager)
    manager.show()
    return manager


def _saved(tmp_path) -> dict:
    return json.loads((tmp_path / "cfg" / "profiles.json").read_text())["profiles"][0]


def test_an_unknown_decoder_is_shown_inline_and_not_saved(qtbot, tmp_path):
    manager = _manager(qtbot, tmp_path, decoders={"chat.*": "base64"})
    form = manager.editor.payload_form
    messages: list[str] = []
    manager.message.connect(messages.append)
    assert not form.decoders_error.isVisible()
    form.decoders_edit.selectAll()
    qtbot.keyClicks(form.decoders_edit, "chat.*=nosuch")
    assert form.decoders_error.isVisible()
    assert "unknown decoder 'nosuch'" in form.decoders_error.text()
    manager.save_button.click()
    assert _saved(tmp_path)["decoders"] == {"chat.*": "base64"}  # the file keeps the working setting
    assert manager.error_label.text() == SEE_FIELD  # the field's own error is not said twice in the form
    assert messages and "unknown decoder 'nosuch'" in messages[-1]  # the status bar says it in full
    connects: list[Profile] = []
    manager.connect_requested.connect(connects.append)
    manager.connect_button.click()
    assert connects == []
    form.decoders_edit.selectAll()
    qtbot.keyClicks(form.decoders_edit, "chat.*=base64+msgpack")
    assert not form.decoders_error.isVisible()
    manager.save_button.click()
    assert _saved(tmp_path)["decoders"] == {"chat.*": "base64+msgpack"}


def test_a_part_without_a_decoder_is_an_error_not_dropped(qtbot, tmp_path):
    manager = _manager(qtbot, tmp_path)
    form = manager.editor.payload_form
    qtbot.keyClicks(form.decoders_edit, "chat.*=base64; chat.lobby")
    assert "'chat.lobby': expected GLOB=DECODER" in form.decoders_error.text()
    manager.save_button.click()
    assert _saved(tmp_path)["decoders"] == {}


def test_a_contract_that_does_not_load_is_refused(qtbot, tmp_path):
    manager = _manager(qtbot, tmp_path)
    form = manager.editor.payload_form
    bad = tmp_path / "chat.yaml"
    bad.write_text("asyncapi: 1.0\n")
    form.asyncapi_edit.setText(str(bad))
    form.asyncapi_edit.editingFinished.emit()
    assert form.asyncapi_error.isVisible() and "not an AsyncAPI 2.x or 3.x" in form.asyncapi_error.text()
    manager.save_button.click()
    assert _saved(tmp_path)["asyncapi"] == ""
    good = tmp_path / "chat.json"
    good.write_text(json.dumps(CONTRACT))
    form.asyncapi_edit.setText(str(good))
    form.asyncapi_edit.editingFinished.emit()
    assert not form.asyncapi_error.isVisible()
    manager.save_button.click()
    assert _saved(tmp_path)["asyncapi"] == str(good)


def test_a_saved_profile_with_a_missing_contract_shows_it_when_selected(qtbot, tmp_path):
    manager = _manager(qtbot, tmp_path, asyncapi=str(tmp_path / "gone.yaml"))
    form = manager.editor.payload_form
    assert form.asyncapi_error.isVisible() and "cannot read gone.yaml" in form.asyncapi_error.text()


def _wheel(widget, steps: int = -1) -> bool:
    """One notch of the wheel over ``widget``'s middle; whether the widget took it (an event left
    unaccepted goes on to the scroll area around the form)."""
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_scrolls_the_form_and_changes_only_a_focused_field(qtbot, tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.add(Profile(name="P", url="ws://127.0.0.1:1/", token="t", ping_interval=5.0))
    manager = ConnectionManager(store)
    area = QScrollArea()
    area.setWidget(manager)
    area.setWidgetResizable(True)
    qtbot.addWidget(area)
    area.resize(420, 300)  # the form is much taller: it scrolls
    area.show()
    qtbot.waitExposed(area)
    editor = manager.editor
    area.ensureWidgetVisible(editor.ping_spin)
    for field in (editor.ping_spin, editor.auth_combo):
        assert not _wheel(field)  # passed on: the form scrolls
        assert not field.hasFocus()
    assert editor.ping_spin.value() == 5.0
    assert editor.auth_combo.currentData() == "header"
    area.activateWindow()
    editor.ping_spin.setFocus()
    qtbot.waitUntil(editor.ping_spin.hasFocus)
    assert _wheel(editor.ping_spin, steps=1)
    assert editor.ping_spin.value() == 6.0
    editor.auth_combo.setFocus()
    qtbot.waitUntil(editor.auth_combo.hasFocus)
    assert _wheel(editor.auth_combo)
    assert editor.auth_combo.currentData() == "query"


def test_the_listener_rows_show_only_for_a_proxy_profile(qtbot, tmp_path):
    editor = _manager(qtbot, tmp_path).editor
    listener = (editor.listen_edit, editor.listen_self_signed, editor.listen_cert_edit, editor.listen_key_edit)
    assert not any(w.isVisible() for w in listener)  # a Client profile: nothing it cannot use
    editor.profile_kind.setCurrentIndex(editor.profile_kind.findData("proxy"))
    assert all(w.isVisible() for w in listener)
    editor.profile_kind.setCurrentIndex(editor.profile_kind.findData("client"))
    assert not any(w.isVisible() for w in listener)
