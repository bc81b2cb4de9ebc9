import json
import os
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from inspector.profiles import LOCAL_MOCK, Profile, ProfileStore
from inspector.protocol.events import State, StateChanged
from inspector.qt.session.profiles_panel import ConnectionManager
from inspector.qt.session.state_view import StateView

SECRET = "tok-very-secret-123"


def _manager(qtbot, tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    m = ConnectionManager(store)
    qtbot.addWidget(m)
    return m, store


def test_token_field_masked_and_saved_0600(qtbot, tmp_path):
    m, _store = _manager(qtbot, tmp_path)
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


def test_state_view_countdown_moves(qtbot):
    v = StateView()
    qtbot.addWidget(v)
    import time
    v.ingest(StateChanged("c", time.time(), State.WAITING, attempt=1, delay=2.0))
    first = v.text()
    assert first.startswith("waiting — reconnect attempt 1 in")
    qtbot.waitUntil(lambda: v.text() != first, timeout=2000)
    with qtbot.waitSignal(v.reconnect_requested):
        qtbot.mouseClick(v.reconnect_button, Qt.MouseButton.LeftButton)


# ---------------------------------------------------------------- state display against the real mock

import asyncio  # noqa: E402

import pytest  # noqa: E402
from qasync_loop import run, until  # noqa: E402

from inspector.mock.server import MockConfig  # noqa: E402
from inspector.mock.thread import MockServerThread  # noqa: E402
from inspector.qt.aio import Tasks  # noqa: E402
from inspector.qt.session.connection_tab import ConnectionTab  # noqa: E402

GOOD = "good-token-1"
FRESH = "good-token-2"


@pytest.fixture
def mock():
    thread = MockServerThread(MockConfig(tokens=frozenset({GOOD, FRESH}), close_timeout=1.0))
    thread.start()
    yield thread
    thread.stop()


def _tab(qtbot, url, overrides=None, **profile_fields) -> ConnectionTab:
    fields = {"name": "t", "url": url, "token": GOOD, "ping_interval": 0.0}
    fields.update(profile_fields)
    # a reconnect's wait is shown, not sat out: a twentieth of a second, not the protocol's half second
    config = {"backoff_initial": 0.05, **(overrides or {})}
    tab = ConnectionTab(Profile(**fields), url, "c1", Tasks(), **config)
    qtbot.addWidget(tab)
    texts: list[str] = []
    tab.state_changed.connect(lambda _ev: texts.append(tab.state_view.text()))
    tab.texts = texts
    return tab


async def _open(tab) -> None:
    tab.start()
    await until(lambda: tab.state_view.text() == "open", what="open")


async def _close_all(mock, code, reason):
    await asyncio.get_running_loop().run_in_executor(None, mock.call, mock.server.close_all, code, reason)


def _seen(tab, *parts) -> bool:
    return any(all(p in t for p in parts) for t in tab.texts)


@pytest.mark.parametrize("code, reason, meaning", [
    (1001, "server restart", "Going away"),
    (1011, "internal error", "Internal server error"),
])
def test_retryable_close_shows_code_countdown_then_reopens(qtbot, qloop, mock, code, reason, meaning):
    tab = _tab(qtbot, mock.url)

    async def scenario():
        await _open(tab)
        await _close_all(mock, code, reason)
        await until(lambda: _seen(tab, f"closed {code}", meaning, f"reason: {reason}"), what="closed text")
        await until(lambda: _seen(tab, "waiting — reconnect attempt 1 in"), what="countdown")
        await until(lambda: tab.texts[-1] == "open", what="reopened")
        await tab.shutdown()
    run(qloop, scenario())
    assert tab.client.stats.connects == 2


def test_reconnect_now_skips_the_wait(qtbot, qloop, mock):
    # a long wait that only "Reconnect now" can cut short
    tab = _tab(qtbot, mock.url, overrides={"backoff_initial": 20.0})

    async def scenario():
        await _open(tab)
        await _close_all(mock, 1001, "server restart")
        await until(lambda: tab.client.state.value == "waiting", what="waiting")
        tab.state_view.reconnect_button.click()
        # well inside the 20 s wait, with room for a loaded machine
        await until(lambda: tab.texts[-1] == "open", timeout=10.0, what="reopened at once")
        await tab.shutdown()
    run(qloop, scenario())


def test_disconnect_button_stops(qtbot, qloop, mock):
    tab = _tab(qtbot, mock.url)

    async def scenario():
        await _open(tab)
        tab.state_view.disconnect_button.click()
        await until(lambda: tab.texts[-1].startswith("stopped"), what="stopped")
        assert not tab.state_view.disconnect_button.isEnabled()
    run(qloop, scenario())


@pytest.mark.parametrize("code, reason, expect", [
    (1000, "bye", ("stopped", "normally (1000)")),
    (1008, "pong timeout", ("stopped", "1008", "pong timeout")),
    (1008, "idle without subscription", ("stopped", "1008", "idle without subscription")),
])
def test_stopping_close_codes(qtbot, qloop, mock, code, reason, expect):
    tab = _tab(qtbot, mock.url)

    async def scenario():
        await _open(tab)
        await _close_all(mock, code, reason)
        await until(lambda: tab.texts[-1].startswith("stopped"), what="stopped")
        # the session itself has ended: nothing is left that could reconnect
        await asyncio.wait_for(tab.client.wait_closed(), 5)
    run(qloop, scenario())
    assert not tab.client.running
    assert _seen(tab, f"closed {code}")
    assert all(p in tab.texts[-1] for p in expect), tab.texts[-1]
    assert tab.texts[-1].count(str(code)) == 1 and tab.texts[-1].count(reason) == 1, tab.texts[-1]  # said once
    if code == 1008:
        assert _seen(tab, "closed 1008", "Policy violation")  # the close's own line gives the meaning
    assert tab.client.stats.connects == 1


def test_4401_with_literal_token_stops_and_asks(qtbot, qloop, mock):
    tab = _tab(qtbot, mock.url)

    async def scenario():
        await _open(tab)
        await asyncio.get_running_loop().run_in_executor(None, mock.call, mock.server.expire_tokens)
        await until(lambda: tab.texts[-1].startswith("stopped"), what="stopped")
    run(qloop, scenario())
    assert _seen(tab, "closed 4401", "Auth expired")
    assert "token expired" in tab.texts[-1] and "4401" in tab.texts[-1]
    assert tab.texts[-1].count("fresh token") == 1, tab.texts[-1]  # the advice once, not also the meaning's
    assert GOOD not in " ".join(tab.texts)


def test_4401_with_env_token_refreshes_and_reopens(qtbot, qloop, mock, monkeypatch):
    monkeypatch.setenv("RT_QT_TEST_TOKEN", GOOD)
    tab = _tab(qtbot, mock.url, token="", token_kind="env", token_env="RT_QT_TEST_TOKEN")

    async def scenario():
        await _open(tab)
        monkeypatch.setenv("RT_QT_TEST_TOKEN", FRESH)
        await asyncio.get_running_loop().run_in_executor(None, mock.call, mock.server.expire_tokens)
        await until(lambda: _seen(tab, "closed 4401"), what="4401")
        await until(lambda: tab.texts[-1] == "open", what="reopened with the fresh token")
        await tab.shutdown()
    run(qloop, scenario())
    assert tab.client.stats.connects == 2


@pytest.mark.parametrize("token, expect", [
    ("wrong-token", "HTTP 401 invalid_token"),
])
def test_http_401_shows_json_code(qtbot, qloop, mock, token, expect):
    tab = _tab(qtbot, mock.url, token=token)

    async def scenario():
        tab.start()
        await until(lambda: tab.texts and tab.texts[-1].startswith("stopped"), what="stopped")
    run(qloop, scenario())
    assert expect in tab.texts[-1]
    assert token not in " ".join(tab.texts)


def test_missing_token_stops_with_reason(qtbot, qloop, mock, monkeypatch):
    monkeypatch.delenv("RT_QT_UNSET_TOKEN", raising=False)
    tab = _tab(qtbot, mock.url, token="", token_kind="env", token_env="RT_QT_UNSET_TOKEN")

    async def scenario():
        tab.start()
        await until(lambda: tab.texts and tab.texts[-1].startswith("stopped"), what="stopped")
    run(qloop, scenario())
    assert "RT_QT_UNSET_TOKEN is not set" in tab.texts[-1]


def test_subscriptions_follow_the_real_server(qtbot, qloop, mock):
    tab = _tab(qtbot, mock.url)
    ed = tab.editor

    async def scenario():
        await _open(tab)
        ed.topic_edit.setText("orders.eu")
        ed.filter_edit.setText("data.total > `100`")
        ed.submit.click()
        await until(lambda: ed.rows.get("orders.eu") and ed.rows["orders.eu"].state.value == "active",
                    what="active")
        await until(lambda: ed.rows["orders.eu"].members == 1, what="members from presence")
        tab.client.send_raw(b'\x01{"id": 99, "topic": "x"}')  # raw, not through the editor
        ed.topic_edit.setText("ok.topic")
        ed.filter_edit.setText("")
        ed.submit.click()
        await until(lambda: "ok.topic" in ed.rows and ed.rows["ok.topic"].state.value == "active", what="2nd")
        ed.table.selectRow(0)
        ed.unsubscribe_button.click()
        await until(lambda: "orders.eu" not in ed.rows, what="removed")
        await tab.shutdown()
    run(qloop, scenario())
    assert list(ed.rows) == ["ok.topic"]


def test_server_refusal_shows_failed_with_error_code(qtbot, qloop):
    thread = MockServerThread(MockConfig(max_subscriptions=2, close_timeout=1.0))
    url = thread.start()
    try:
        tab = _tab(qtbot, url, token="any")
        ed = tab.editor

        async def scenario():
            await _open(tab)
            for topic in ("a", "b", "c"):
                ed.topic_edit.setText(topic)
                ed.submit.click()
            await until(lambda: "c" in ed.rows and ed.rows["c"].state.value == "failed", what="refused")
            await until(lambda: ed.rows["a"].state.value == "active" and ed.rows["b"].state.value == "active",
                        what="first two active")
            await tab.shutdown()
        run(qloop, scenario())
        row = next(i for i in range(ed.table.rowCount()) if ed.table.item(i, 0).text() == "c")
        assert ed.table.item(row, 2).text() == "failed"
        assert ed.table.item(row, 4).text().startswith("subscription_limit: ")
    finally:
        thread.stop()


def test_batch_sinks_get_the_frames_in_lists_and_the_other_events_one_by_one(qtbot, qloop, mock):
    """add_batch_sinks: what the log takes; the same frames as a per-frame sink, in the same order."""
    from inspector.protocol.events import FrameSeen, SubscriptionChanged
    tab = _tab(qtbot, mock.url)
    batches: list[list] = []
    one_by_one: list = []
    others: list = []
    tab.add_batch_sinks(lambda frames: batches.append(list(frames)), others.append)
    tab.add_sinks(one_by_one.append, lambda ev: None)

    async def scenario():
        await _open(tab)
        tab.subscribe("orders.eu", "")
        await until(lambda: tab.editor.rows.get("orders.eu") and tab.editor.rows["orders.eu"].members == 1,
                    what="members from presence")
        await tab.shutdown()
    run(qloop, scenario())
    frames = [f for batch in batches for f in batch]
    assert frames == one_by_one and all(isinstance(f, FrameSeen) for f in frames)
    # the sync: read by its head or decoded, as the client reads presence
    assert any(f.direction == "in" and getattr(f.head or f.frame, "type", None) == "presence" for f in frames)
    assert any(isinstance(ev, SubscriptionChanged) for ev in others)
    assert not any(isinstance(ev, FrameSeen) for ev in others)
