"""The proxy tab with real widgets: the real mock as upstream, a real websockets client as the
proxied client, real sockets on 127.0.0.1, the proxy on its own thread."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from inspector.profiles import Profile, ProfileStore
from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.protocol.frames import encode_body
from inspector.protocol.kinds import Kind
from inspector.qt.log.model import COL_CONN, COL_DIR
from inspector.qt.log.panel import LogPanel
from inspector.qt.proxy.proxy_tab import ProxyTab, open_proxy_tab, stop_proxy_tabs
from inspector.qt.session.profiles_panel import ProfileEditor
from inspector.recording import open_recording

TOKEN = "test-token-7f3a"
MESSAGES = "type == 'message'"  # EVENTs that are messages, not the subscription's presence sync


def client(listen: str):
    return connect(f"ws://{listen}/api/v2/realtime", additional_headers={"Authorization": f"Bearer {TOKEN}"},
                   compression=None, open_timeout=5, close_timeout=2, max_size=None)


def recv_event(ws) -> dict:
    data = ws.recv(timeout=3)
    assert isinstance(data, bytes) and data[:1] == b"\x10", data
    return json.loads(data[1:])


def subscribe(ws, topic: str = "orders.eu") -> None:
    ws.send(b"\x01" + json.dumps({"topic": topic}).encode())
    assert recv_event(ws)["type"] == "presence"


@pytest.fixture
def proxied(qtbot, mock_server) -> Iterator[SimpleNamespace]:
    mock = mock_server()
    profile = Profile(name="Staging via proxy", url=mock.url, kind="proxy", listen="127.0.0.1:0")
    tab = ProxyTab(profile, mock.url)
    qtbot.addWidget(tab)
    frames: list[FrameSeen] = []
    messages: list[str] = []
    tab.frames.connect(frames.extend)
    tab.message.connect(messages.append)
    assert tab.start() is not None, messages

    def publish(total: int) -> None:
        mock.call(mock.server.publish, "orders.eu", {"total": total})

    def s2c_seen(count: int) -> None:
        qtbot.waitUntil(lambda: tab.pairs[1]["s2c"] >= count)

    try:
        with client(tab.listen) as ws:
            qtbot.waitUntil(lambda: tab.pairs.get(1, {}).get("state") == "open" and tab.composer.pair.findData(1) >= 0)
            yield SimpleNamespace(tab=tab, ws=ws, mock=mock, frames=frames, messages=messages, publish=publish,
                                  s2c_seen=s2c_seen)
    finally:
        tab.stop()


def _close_client_side(qtbot, tab: ProxyTab, code: int) -> None:
    tab.faults.close_target.setCurrentIndex(tab.faults.close_target.findData("client"))
    tab.faults.close_code.setValue(code)
    qtbot.mouseClick(tab.faults.close_button, Qt.MouseButton.LeftButton)


def _first_thing_is_close(ws, code: int) -> None:
    """The client's next receive is the close with ``code``: nothing came through before it."""
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=3)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


def test_a_proxy_profile_made_in_the_editor_is_saved_and_started(qtbot, mock_server, tmp_path) -> None:
    mock = mock_server()
    editor = ProfileEditor()
    qtbot.addWidget(editor)
    editor.load(Profile(name="new"))
    editor.name_edit.setText("Through the proxy")
    editor.profile_kind.setCurrentIndex(editor.profile_kind.findData("proxy"))
    editor.listen_edit.setText("127.0.0.1:0")
    qtbot.keyClicks(editor.url_edit, mock.url)
    profile = editor.profile()
    assert (profile.kind, profile.listen, profile.url) == ("proxy", "127.0.0.1:0", mock.url)
    profile.rules = ["dir=s2c kind=PONG -> drop"]
    store = ProfileStore(tmp_path)
    store.add(profile)
    store.save()
    again = ProfileStore(tmp_path)
    again.load()
    loaded = again.get("Through the proxy")
    assert loaded is not None and loaded.kind == "proxy" and loaded.rules == profile.rules

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    logged: list[FrameSeen] = []
    tab = open_proxy_tab(loaded, loaded.url, tabs, logged.extend, lambda _text: None, lambda *_: None)
    assert tab is not None and tabs.count() == 1 and tab.running
    assert tab.rules_list.lines() == ["dir=s2c kind=PONG -> drop"]
    try:
        with client(tab.listen) as ws:
            subscribe(ws)
        qtbot.waitUntil(lambda: any(f.direction == IN for f in logged))
        qtbot.waitUntil(lambda: tab.pair_table.rowCount() == 1 and tab.pair_table.item(0, 3).text() == "closed")
        assert tab.pair_table.item(0, 0).text() == "p1"
    finally:
        stop_proxy_tabs(tabs)
    assert not tab.running


def test_an_old_profile_without_a_kind_is_a_client_profile() -> None:
    old = Profile.from_json({"name": "old", "url": "wss://example.test/rt"})
    assert old.kind == "client" and old.rules == []


def test_frames_both_ways_are_shown_with_arrows(qtbot, proxied) -> None:
    log = LogPanel()
    qtbot.addWidget(log)
    log.ingest_frames(list(proxied.frames))
    proxied.tab.frames.connect(log.ingest_frames)
    subscribe(proxied.ws)
    qtbot.waitUntil(lambda: {f.direction for f in proxied.frames} == {IN, OUT})
    qtbot.waitUntil(lambda: log.frame_count() >= 2)
    model = log.model
    rows = {(model.index(r, COL_CONN).data(), model.index(r, COL_DIR).data(),
             model.index(r, COL_DIR).data(Qt.ItemDataRole.ToolTipRole)) for r in range(model.rowCount())}
    assert ("p1", "client → server", "client → server") in rows
    assert ("p1", "server → client", "server → client") in rows
    shown = log.view.horizontalHeader().sectionSize(COL_DIR)
    assert shown >= log.view.fontMetrics().horizontalAdvance("server → client")  # not cut short
    with client(proxied.tab.listen) as second:  # pair p2
        subscribe(second)
    qtbot.waitUntil(lambda: log.conn_combo.findData("p2") > 0)
    pair_filter = log.conn_combo
    at = pair_filter.findData("p1")
    assert at > 0 and pair_filter.itemText(at) == "pair p1"
    pair_filter.setCurrentIndex(at)
    assert {model.index(r, COL_CONN).data() for r in range(model.rowCount())} == {"p1"}
    pair = proxied.tab.pairs[1]
    assert pair["c2s"] >= 1 and pair["s2c"] >= 1


def _hold_events(qtbot, tab: ProxyTab) -> None:
    form = tab.breakpoints
    form.direction.setCurrentIndex(form.direction.findData("s2c"))
    form.kinds.setText("EVENT")
    form.filter.setText(MESSAGES)
    qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
    assert tab.rules_list.lines() == [f"dir=s2c kind=EVENT filter=\"{MESSAGES}\" -> hold"]


def _held(qtbot, proxied, *totals: int) -> tuple[ProxyTab, object]:
    """A breakpoint on message EVENTs, and these totals published and held."""
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    _hold_events(qtbot, tab)
    for total in totals:
        proxied.publish(total)
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == len(totals))
    return tab, ws


def test_a_breakpoint_holds_an_event_and_its_edit_is_forwarded(qtbot, proxied) -> None:
    tab, ws = _held(qtbot, proxied, 5)
    assert tab.held.table.item(0, 2).text() == "server → client" and tab.held.table.item(0, 5).text() == "held"
    qtbot.mouseClick(tab.held.edit_button, Qt.MouseButton.LeftButton)
    body = json.loads(tab.held.editor.toPlainText())
    assert body["data"] == {"total": 5}
    body["data"]["total"] = 99
    tab.held.editor.setPlainText(json.dumps(body))
    qtbot.mouseClick(tab.held.send_edited_button, Qt.MouseButton.LeftButton)
    got = recv_event(ws)
    assert got["data"] == {"total": 99} and got["topic"] == "orders.eu"
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == 0)


def test_drop_and_forward_all(qtbot, proxied) -> None:
    tab, ws = _held(qtbot, proxied, 1, 2, 3)
    tab.held.table.selectRow(0)
    qtbot.mouseClick(tab.held.drop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == 2)
    qtbot.mouseClick(tab.held.forward_all_button, Qt.MouseButton.LeftButton)
    assert [recv_event(ws)["data"]["total"] for _ in range(2)] == [2, 3]


def test_a_held_frame_whose_connection_closes_is_shown_as_discarded(qtbot, proxied) -> None:
    tab, ws = _held(qtbot, proxied, 1)
    ws.close()
    qtbot.waitUntil(lambda: tab.held.state_of(1) == "discarded")
    assert tab.held.table.item(0, 5).text() == "discarded"
    assert tab.pairs[1]["state"] != "held"
    qtbot.waitUntil(lambda: tab.pairs[1]["state"] == "closed")


def test_inject_to_the_client(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    tab.pages.setCurrentIndex(1)
    composer = tab.composer
    assert composer.pair.currentData() == 1
    composer.side.setCurrentIndex(composer.side.findData(False))
    composer.kind.setCurrentIndex(composer.kind.findData("EVENT"))
    composer.body.setText('{"type": "message", "topic": "x", "data": {"injected": true}}')
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert recv_event(ws)["data"] == {"injected": True}
    assert any(f.direction == IN and f.data.startswith(b"\x10") for f in proxied.frames)


def test_inject_raw_hex_to_the_server(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    composer = tab.composer
    composer.side.setCurrentIndex(composer.side.findData(True))
    composer.kind.setCurrentIndex(composer.kind.findData("raw hex"))
    composer.body.setText("20 68 69")  # a PING "hi": the server's PONG shows it got there
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert ws.recv(timeout=3) == b"\x21hi"


def test_faults_drop_the_next_n_events(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    tab.faults.drop_count.setValue(2)
    qtbot.mouseClick(tab.faults.drop_button, Qt.MouseButton.LeftButton)
    for total in (1, 2, 3):
        proxied.publish(total)
    assert recv_event(ws)["data"]["total"] == 3


def test_faults_delay(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    tab.faults.delay_ms.setValue(300)
    qtbot.mouseClick(tab.faults.delay_button, Qt.MouseButton.LeftButton)
    start = time.monotonic()
    proxied.publish(1)
    assert recv_event(ws)["data"]["total"] == 1
    assert time.monotonic() - start >= 0.3


def test_faults_stop_forwarding_pongs(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    qtbot.mouseClick(tab.faults.pongs_button, Qt.MouseButton.LeftButton)
    seen = tab.pairs[1]["s2c"]
    ws.send(b"\x20ping")
    proxied.publish(7)  # the server answers in order: its PONG would come before this EVENT
    proxied.s2c_seen(seen + 2)
    assert recv_event(ws)["data"]["total"] == 7


@pytest.mark.parametrize("code", [4001, 1011])
def test_faults_close_the_client_side_with_a_code(qtbot, proxied, code) -> None:
    _close_client_side(qtbot, proxied.tab, code)
    _first_thing_is_close(proxied.ws, code)
    qtbot.waitUntil(lambda: proxied.tab.pairs[1]["state"] == "closed")


def test_faults_close_the_server_side(qtbot, proxied) -> None:
    tab = proxied.tab
    mock = proxied.mock
    assert mock.call(mock.server.stats)["connections"] == 1
    tab.faults.close_target.setCurrentIndex(tab.faults.close_target.findData("server"))
    qtbot.mouseClick(tab.faults.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: mock.call(mock.server.stats)["connections"] == 0)
    with pytest.raises(ConnectionClosed):
        proxied.ws.recv(timeout=3)


def test_faults_blackhole(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    tab.faults.blackhole_side.setCurrentIndex(tab.faults.blackhole_side.findData("s2c"))
    qtbot.mouseClick(tab.faults.blackhole_button, Qt.MouseButton.LeftButton)
    seen = tab.pairs[1]["s2c"]
    for total in (1, 2):
        proxied.publish(total)
    proxied.s2c_seen(seen + 2)  # the proxy read both
    _close_client_side(qtbot, tab, 4002)
    _first_thing_is_close(ws, 4002)  # and the client got neither


def test_rules_are_listed_edited_and_saved_with_the_profile(qtbot, proxied) -> None:
    tab = proxied.tab
    saved: list[tuple[str, list[str]]] = []
    tab.save_rules.connect(lambda name, lines: saved.append((name, lines)))
    tab.rules_list.edit.setText("dir=s2c kind=PONG -> drop")
    qtbot.mouseClick(tab.rules_list.add_button, Qt.MouseButton.LeftButton)
    assert [r.text for r in tab.proxy_thread.server.book.rules] == ["dir=s2c kind=PONG -> drop"]
    tab.rules_list.list.setCurrentRow(0)
    tab.rules_list.edit.setText("dir=s2c kind=PONG times=1 -> drop")
    qtbot.mouseClick(tab.rules_list.replace_button, Qt.MouseButton.LeftButton)
    assert tab.rules_list.lines() == ["dir=s2c kind=PONG times=1 -> drop"]
    assert [r.text for r in tab.proxy_thread.server.book.rules] == ["dir=s2c kind=PONG times=1 -> drop"]
    tab.rules_list.edit.setText("dir=sideways -> drop")
    qtbot.mouseClick(tab.rules_list.add_button, Qt.MouseButton.LeftButton)
    assert "dir" in proxied.messages[-1] and len(tab.rules_list.lines()) == 1
    qtbot.mouseClick(tab.rules_list.save_button, Qt.MouseButton.LeftButton)
    assert saved == [("Staging via proxy", ["dir=s2c kind=PONG times=1 -> drop"])]


def test_the_window_opens_a_proxy_profile_in_its_own_tab_and_logs_its_pairs(qtbot, tmp_path) -> None:
    from windows import make_window

    w = make_window(qtbot, tmp_path)
    profile = Profile(name="Mock via proxy", embedded_mock=True, kind="proxy", listen="127.0.0.1:0")
    assert w.open_connection(profile) is None  # not a client connection
    tab = w.conn_tabs.currentWidget()
    assert isinstance(tab, ProxyTab) and tab.running
    with client(tab.listen) as ws:
        subscribe(ws)
    qtbot.waitUntil(lambda: "p1" in w.log_panel.store.conns and w.log_panel.frame_count() >= 2)
    w.conn_tabs.tabCloseRequested.emit(w.conn_tabs.indexOf(tab))
    assert not tab.running and w.conn_tabs.indexOf(tab) == -1
    w.close()


def test_ping_and_pong_are_held_only_when_asked(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    form = tab.breakpoints
    form.direction.setCurrentIndex(form.direction.findData("s2c"))
    form.kinds.setText("")  # any kind
    qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
    ws.send(b"\x20one")
    assert ws.recv(timeout=3) == b"\x21one"  # a hold of any kind passes the PONG
    form.liveness.setChecked(True)
    qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
    assert tab.rules_list.lines()[-1] == "dir=s2c kind=PING,PONG,WS_PING,WS_PONG -> hold"
    tab.remove_rule(tab.rules[0][0])
    ws.send(b"\x20two")
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == 1)
    assert tab.held.table.item(0, 3).text() == "PONG"
    qtbot.mouseClick(tab.held.forward_button, Qt.MouseButton.LeftButton)
    assert ws.recv(timeout=3) == b"\x21two"


def test_a_proxy_profile_needs_a_listen_address() -> None:
    from inspector.profiles import ProfileError

    with pytest.raises(ProfileError, match="HOST:PORT"):
        Profile(name="p", url="ws://127.0.0.1:1/rt", kind="proxy", listen="9000").validate()


# ---------------------------------------------------------------- the pairs table, the held queue

def test_the_pairs_table_follows_a_timer_not_each_batch(qtbot, proxied) -> None:
    tab = proxied.tab
    qtbot.waitUntil(lambda: tab.pair_table.rowCount() == 1)
    before = tab.pair_refreshes
    c2s = tab.pairs[1]["c2s"]
    for n in range(300):  # as the proxy's thread hands batches over, faster than any timer
        tab.bridge.frames.emit([FrameSeen("p1", time.time(), OUT, b"\x20%d" % n)])
    assert tab.pair_refreshes == before  # none drawn yet: 300 batches did not redraw the table
    qtbot.waitUntil(lambda: tab.pair_table.item(0, 4).text() == str(c2s + 300))
    assert tab.pair_refreshes == before + 1


def test_a_long_held_queue_is_kept_row_by_row(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    subscribe(ws)
    qtbot.mouseClick(tab.breakpoints.add_button, Qt.MouseButton.LeftButton)  # s2c EVENT
    count = 200
    for total in range(count):
        proxied.publish(total)
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == count, timeout=10000)
    table = tab.held.table
    for n in range(1, 4):  # forward the first held frame, three times
        table.selectRow(0)
        qtbot.mouseClick(tab.held.forward_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda n=n: table.rowCount() == count - n)
    assert [recv_event(ws)["data"]["total"] for _ in range(3)] == [0, 1, 2]
    assert tab.held.redraws == 0  # each park and forward touched its own row only
    assert [int(table.item(r, 0).text()) for r in range(3)] == [4, 5, 6]
    qtbot.mouseClick(tab.held.forward_all_button, Qt.MouseButton.LeftButton)
    assert [recv_event(ws)["data"]["total"] for _ in range(count - 3)] == list(range(3, count))
    qtbot.waitUntil(lambda: table.rowCount() == 0)


# ---------------------------------------------------------------- recording, TLS, closing one pair

def test_the_tab_records_both_sides_of_every_pair(qtbot, proxied, tmp_path) -> None:
    tab, ws = proxied.tab, proxied.ws
    path = tmp_path / "both.rirec"
    assert tab.start_recording(str(path)), proxied.messages
    assert tab.record_button.text() == "Stop recording"
    subscribe(ws)
    ws.send(b"\x20rec")
    assert ws.recv(timeout=3) == b"\x21rec"
    qtbot.waitUntil(lambda: tab.pairs[1]["s2c"] >= 2)
    tab.stop_recording()
    frames = [ev for ev in open_recording(path) if isinstance(ev, FrameSeen)]
    assert [(f.conn, f.direction, bytes(f.data)[:1]) for f in frames] == [
        ("1", OUT, b"\x01"), ("1", IN, b"\x10"), ("1", OUT, b"\x20"), ("1", IN, b"\x21")]
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_proxy_profile_listens_with_a_self_signed_certificate(qtbot, mock_server) -> None:
    mock = mock_server()
    profile = Profile(name="tls", url=mock.url, kind="proxy", listen="127.0.0.1:0", listen_self_signed=True)
    tab = ProxyTab(profile, mock.url)
    qtbot.addWidget(tab)
    messages: list[str] = []
    tab.message.connect(messages.append)
    assert tab.start() is not None, messages
    try:
        ca_file = re.search(r"with the CA file (\S+)", messages[-1])
        assert ca_file is not None and messages[-1].startswith("proxy listening on wss://"), messages
        assert Path(ca_file.group(1)).is_file()
        trust = ssl.create_default_context(cafile=ca_file.group(1))
        with connect(f"wss://{tab.listen}/api/v2/realtime", ssl=trust, open_timeout=5,
                     additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            ws.send(b"\x20tls")
            assert ws.recv(timeout=3) == b"\x21tls"
        with pytest.raises(ssl.SSLError):  # not without trusting it
            connect(f"wss://{tab.listen}/api/v2/realtime", ssl=ssl.create_default_context(), open_timeout=5)
    finally:
        tab.stop()


def test_a_listener_key_without_its_certificate_is_refused() -> None:
    from inspector.profiles import ProfileError
    with pytest.raises(ProfileError, match="listener's key needs its certificate"):
        Profile(name="x", url="ws://h", kind="proxy", listen="127.0.0.1:1", listen_key="k.pem").validate()


def test_faults_close_one_pair_with_a_code(qtbot, proxied) -> None:
    tab, first = proxied.tab, proxied.ws
    with client(tab.listen) as second:
        qtbot.waitUntil(lambda: tab.faults.close_pair.findData(2) > 0)
        tab.faults.close_pair.setCurrentIndex(tab.faults.close_pair.findData(2))
        tab.faults.close_target.setCurrentIndex(tab.faults.close_target.findData("client"))
        tab.faults.close_code.setValue(4003)
        qtbot.mouseClick(tab.faults.close_button, Qt.MouseButton.LeftButton)
        with pytest.raises(ConnectionClosed) as closed:
            second.recv(timeout=3)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
    first.send(b"\x20still")  # the other pair goes on
    assert first.recv(timeout=3) == b"\x21still"
    assert tab.pairs[1]["state"] == "open"


# ---------------------------------------------------------------- bodies the codec writes

def test_the_composer_and_the_held_editor_write_bodies_as_the_codec_does(qtbot, proxied) -> None:
    tab, ws = proxied.tab, proxied.ws
    composer = tab.composer
    composer.side.setCurrentIndex(composer.side.findData(False))
    composer.kind.setCurrentIndex(composer.kind.findData("EVENT"))
    body = {"topic": "x", "type": "message", "ts": 1, "data": {"name": "café ✓"}}
    composer.body.setText('{ "topic" : "x", "type": "message", "ts": 1, "data": {"name": "caf\\u00e9 ✓"} }')
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert ws.recv(timeout=3) == encode_body(Kind.EVENT, body)  # compact, UTF-8 as is, keys in the given order
    composer.body.setText('{"topic": "x", "data": NaN}')
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert "cannot inject" in proxied.messages[-1]

    subscribe(ws)
    qtbot.mouseClick(tab.breakpoints.add_button, Qt.MouseButton.LeftButton)
    proxied.publish(1)
    qtbot.waitUntil(lambda: tab.held.table.rowCount() == 1)
    tab.held.select(int(tab.held.table.item(0, 0).text()))
    qtbot.mouseClick(tab.held.edit_button, Qt.MouseButton.LeftButton)
    edited = tab.held.editor.toPlainText().replace('"total": 1', '"total": "é"')
    tab.held.editor.setPlainText(edited)
    qtbot.mouseClick(tab.held.send_edited_button, Qt.MouseButton.LeftButton)
    got = ws.recv(timeout=3)
    assert '"total":"é"'.encode() in got and b"\\u00e9" not in got


def test_two_proxies_at_once_name_their_pairs_apart(qtbot, proxied, mock_server) -> None:
    mock = mock_server()
    second = ProxyTab(Profile(name="Second proxy", url=mock.url, kind="proxy", listen="127.0.0.1:0"), mock.url)
    qtbot.addWidget(second)
    log = LogPanel()
    qtbot.addWidget(log)
    proxied.tab.frames.connect(log.ingest_frames)
    second.frames.connect(log.ingest_frames)
    assert second.start() is not None
    try:
        subscribe(proxied.ws)
        with client(second.listen) as ws:
            subscribe(ws)
            qtbot.waitUntil(lambda: {"p1", "p2.1"} <= set(log.store.conns) and log.frame_count() >= 4)
            qtbot.waitUntil(lambda: second.pair_table.item(0, 0) is not None)
            assert second.pair_table.item(0, 0).text() == "p2.1"
            assert second.held.proxy == second.faults.proxy == 2
        at = log.conn_combo.findData("p2.1")
        assert at > 0 and log.conn_combo.itemText(at) == "pair p2.1"
        log.conn_combo.setCurrentIndex(at)
        model = log.model
        rows = {(model.index(r, COL_CONN).data(), model.index(r, COL_DIR).data()) for r in range(model.rowCount())}
        assert rows == {("p2.1", "client → server"), ("p2.1", "server → client")}
    finally:
        second.stop()
    proxied.tab.stop()
    again = ProxyTab(Profile(name="Third", url=mock.url, kind="proxy", listen="127.0.0.1:0"), mock.url)
    qtbot.addWidget(again)
    assert again.start() is not None
    try:
        assert again.number == 1  # the numbers of stopped proxies are free again
    finally:
        again.stop()
