"""The app's embedded mock, started from its panel, refuses pages from foreign origins too."""

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from inspector.qt.aio import Tasks
from inspector.qt.mock.mock_panel import MockPanel


def test_the_panels_mock_refuses_foreign_origins_and_takes_loopback_pages(qtbot):
    panel = MockPanel(Tasks())  # the app's default configuration
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.started) as blocker:
        panel.start_button.click()
    url = blocker.args[0] + "?token=panel-origin"
    control = url.replace("/api/v2/realtime", "/mock/control")
    try:
        for target in (url, control):
            with pytest.raises(InvalidStatus) as info:
                connect(target, origin="http://evil.test:8000", open_timeout=5).close()
            assert info.value.response.status_code == 403
            assert info.value.response.body == b'{"error":"forbidden","code":"origin_not_allowed","status":403}'
        with connect(url, origin="http://localhost:5173", open_timeout=5, compression=None) as ws:
            ws.send(b'\x01{"topic":"t"}')
            assert ws.recv(timeout=5)[:1] == b"\x10"  # the presence sync
    finally:
        panel.stop_server()
