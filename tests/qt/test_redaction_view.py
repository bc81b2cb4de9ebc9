"""In the window, a short token that is part of the host, the profile name, the topic, the
filter and the payload leaves every one of them as it is: in the connection header, the
log view, and both export formats. Plain ws:// to another host is marked."""

from __future__ import annotations

import asyncio
import base64
import json

from PySide6.QtCore import Qt
from qasync_loop import run, until
from windows import make_window

from inspector.profiles import Profile, Subscription
from inspector.protocol.events import FrameSeen, State
from inspector.qt.aio import Tasks
from inspector.qt.log.model import COL_SUMMARY, COL_TOPIC
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.recording import open_recording

TOKEN = "local"
TOPIC = "local.devices"
FILTER = "data.site == 'local-1'"
NAME = "local mock"


def _cell(model, row: int, col: int) -> str:
    return model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)


def test_token_inside_data_is_shown_and_exported_exactly(qtbot, qloop, tmp_path):
    w = make_window(qtbot, tmp_path)

    async def scenario():
        mock_url = w.mock_panel.start_server(demo=False)
        url = mock_url.replace("127.0.0.1", "localhost") + "?local_site=1"
        profile = Profile(name=NAME, url=url, token=TOKEN, ping_interval=0.0,
                          subscriptions=[Subscription(TOPIC, FILTER)])
        tab = w.open_connection(profile)
        rows = tab.editor.rows
        await until(lambda: rows.get(TOPIC) and rows[TOPIC].state.value == "active", 10, "active")
        for site in ("local-1", "elsewhere", "local-1"):
            server_thread = w.mock_panel.server_thread
            server_thread.call(server_thread.server.publish, TOPIC, {"site": site, "note": TOKEN})
        await until(lambda: w.log_panel.frame_count() >= 4, 10, "frames")  # SUBSCRIBE, sync, 2 messages
        w.log_panel.flush()
        model = w.log_panel.model
        topics = [_cell(model, r, COL_TOPIC) for r in range(model.rowCount())]
        assert topics.count(TOPIC) >= 3
        summaries = " ".join(_cell(model, r, COL_SUMMARY) or "" for r in range(model.rowCount()))
        assert "local-1" in summaries and "***" not in summaries
        assert "localhost" in tab.title.text() and NAME in tab.title.text() and "***" not in tab.title.text()
        assert not tab.cleartext_warning.isVisible() and tab.cleartext_warning.text() == ""

        for name in ("all.rirec", "all.har"):
            with qtbot.waitSignal(w.recording.exported, timeout=10000):
                assert w.recording.export(tmp_path / name)
        frames = [e.frame for e in open_recording(tmp_path / "all.rirec").load() if type(e) is FrameSeen]
        assert sum(getattr(f, "topic", None) == TOPIC for f in frames) >= 3
        assert "***" not in (tmp_path / "all.rirec").read_text()
        har = json.loads((tmp_path / "all.har").read_text())
        urls = {e["request"]["url"] for e in har["log"]["entries"]}
        assert urls == {url}  # the connection's real URL; no token in it to remove
        sent = [base64.b64decode(m["data"]) if m["opcode"] == 2 else m["data"].encode()
                for e in har["log"]["entries"] for m in e["_webSocketMessages"]]
        assert sum(TOPIC.encode() in b and b'"note":"local"' in b for b in sent) == 2
        assert tab.client.state is State.OPEN
        w.closed = asyncio.get_running_loop().create_future()
        w.recording.shutdown()
        w.close()
        await asyncio.wait_for(w.closed, 10)
    run(qloop, scenario())


def test_plain_ws_to_another_host_is_marked_in_the_connection_view(qtbot):
    far = ConnectionTab(Profile(name="far", url="ws://192.0.2.1:9/api/v2/realtime", token="abc"),
                        "ws://192.0.2.1:9/api/v2/realtime", "c1", Tasks())
    qtbot.addWidget(far)
    far.show()
    assert far.cleartext_warning.isVisible()
    assert "unencrypted" in far.cleartext_warning.text() and "192.0.2.1" in far.cleartext_warning.text()
    for url in ("ws://127.0.0.1:9/api/v2/realtime", "ws://[::1]:9/x", "wss://192.0.2.1:9/api/v2/realtime"):
        near = ConnectionTab(Profile(name="near", url=url, token="abc"), url, "c2", Tasks())
        qtbot.addWidget(near)
        near.show()
        assert not near.cleartext_warning.isVisible(), url
