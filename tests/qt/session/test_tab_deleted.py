"""A connection tab deleted without shutdown() (its owner went first) leaves no client
running and no listener on the deleted object; real client and mock on 127.0.0.1."""

from __future__ import annotations

import logging

from qasync_loop import run, until

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import Profile
from inspector.qt.aio import Tasks
from inspector.qt.session.connection_tab import ConnectionTab


def test_a_deleted_tab_stops_its_client_and_unhooks(qtbot, qloop, caplog):
    mock = MockServerThread(MockConfig(close_timeout=1.0))
    url = mock.start()
    caplog.set_level(logging.ERROR)
    tasks = Tasks()
    try:
        tab = ConnectionTab(Profile(name="gone", url=url, token="tab-deleted-token", ping_interval=0.0), url, "c1",
                            tasks)
        tab.client.subscribe("ticker")

        async def scenario():
            tab.start()
            await until(lambda: tab.is_open, 10, "open")
            client = tab.client
            gone: list[object] = []
            tab.destroyed.connect(lambda *_: gone.append(True))
            tab.deleteLater()
            await until(lambda: gone, 5, "the tab deleted")
            await until(lambda: not client.running, 5, "the client stopped")
            await tasks.cancel_all()  # (nothing left to cancel: the stop has finished)
            return client
        client = run(qloop, scenario())
    finally:
        mock.stop()
    assert client.state.value == "stopped"
    assert "already deleted" not in caplog.text and "listener" not in caplog.text, caplog.text
