"""Setting up a connection without traps: the token hint, the idle rule, a real mock."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from qasync_loop import run, until

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import Profile, ProfileStore
from inspector.protocol.events import State
from inspector.qt.aio import Tasks
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.qt.session.profiles_panel import ConnectionManager

TOKEN = "good-token-1"


def test_a_new_profile_says_where_its_token_comes_from(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("RT_TOKEN", raising=False)
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    m = ConnectionManager(store)
    qtbot.addWidget(m)
    m.new_profile()
    e = m.editor
    assert e.kind_combo.currentData() == "env" and e.env_edit.text() == "RT_TOKEN"
    note = e.token_note.text()
    assert "environment variable RT_TOKEN" in note and "RT_TOKEN is NOT set" in note
    monkeypatch.setenv("RT_TOKEN", "tok-xyz")
    e.env_edit.setText("")
    e.env_edit.setText("RT_TOKEN")  # the note follows the name typed
    assert "RT_TOKEN is set" in e.token_note.text() and "tok-xyz" not in e.token_note.text()
    e.env_edit.setText("MY_TOKEN")
    assert "MY_TOKEN is NOT set" in e.token_note.text()


@pytest.fixture
def mock():
    thread = MockServerThread(MockConfig(tokens=frozenset({TOKEN}), close_timeout=1.0))
    thread.start()
    yield thread
    thread.stop()


def test_a_connection_without_subscriptions_is_warned_of_the_idle_rule(qtbot, qloop, mock):
    QApplication.instance().setQuitOnLastWindowClosed(False)
    profile = Profile(name="t", url=mock.url, token=TOKEN, ping_interval=0.0)
    tab = ConnectionTab(profile, mock.url, "c1", Tasks())
    qtbot.addWidget(tab)
    tab.show()

    async def scenario():
        assert tab.idle_warning.isHidden()
        tab.start()
        await until(lambda: tab.client.state is State.OPEN, 10, "open")
        assert tab.idle_warning.isVisible()
        text = tab.idle_warning.text()
        assert "No subscriptions" in text and "after 60 s" in text and "left" in text
        tab.editor.topic_edit.setText("ticker")
        tab.editor.submit.click()  # subscribing ends the warning
        assert tab.idle_warning.isHidden()
        tab.unsubscribe("ticker")  # and dropping the last subscription brings it back
        assert tab.idle_warning.isVisible()
        await tab.shutdown()
        assert tab.idle_warning.isHidden()
    run(qloop, scenario())
