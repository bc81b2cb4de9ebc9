"""The embedded mock's TLS switch: wss:// with a throwaway CA (as `mock --tls-self-signed`),
and an embedded-mock profile that trusts it by itself, over real TLS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest
from qasync_loop import run, until
from windows import make_window

from inspector.profiles import local_mock_profile


@pytest.fixture
def window(qtbot, tmp_path):
    return make_window(qtbot, tmp_path)


def test_the_tls_switch_serves_wss_and_an_embedded_mock_profile_trusts_its_ca(qtbot, qloop, window):
    w = window
    panel = w.mock_panel
    panel.tls_check.setChecked(True)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: tab.is_open, 10, "open over wss://")
        shown = tab.tls_view.text(), panel.tls_label.text(), panel.ca_file, tab.url, w.manager.editor.url_edit.text()
        assert not panel.tls_check.isEnabled()  # switched only while stopped
        w.closed = asyncio.get_running_loop().create_future()
        w.close()
        await asyncio.wait_for(w.closed, 10)
        return shown
    tls_text, label, ca, url, shown_url = run(qloop, scenario())
    assert url.startswith("wss://127.0.0.1:") and shown_url.startswith("wss://127.0.0.1:")
    assert "certificate verified" in tls_text and "Realtime Inspector mock CA" in tls_text
    assert ca and f"--cacert {ca}" in label
    assert stat.S_IMODE(os.stat(os.path.dirname(ca)).st_mode) == 0o700  # the key beside it is private


def test_the_tls_switch_says_why_it_is_greyed_out_while_the_server_runs(qtbot, qloop, window):
    panel = window.mock_panel
    assert panel.tls_check.isEnabled() and not panel.tls_label.isVisibleTo(panel)

    async def scenario():
        panel.start_server(demo=False)
        running = (panel.tls_check.isEnabled(), panel.tls_check.toolTip(), panel.tls_label.text(),
                   panel.tls_label.isVisibleTo(panel))
        await panel.stop_async()
        return running
    enabled, tip, label, shown = run(qloop, scenario())
    assert not enabled and shown
    assert "only while the server is stopped" in tip and "ws:// and wss://" in tip
    assert label == "TLS switches only while the server is stopped: its URL changes between ws:// and wss://."
    assert panel.tls_check.isEnabled() and not panel.tls_label.isVisibleTo(panel)
    assert "only while" not in panel.tls_check.toolTip()
