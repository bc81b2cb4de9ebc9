"""The connection view over real TLS on 127.0.0.1: the certificate chain, --insecure marked, failures in one line;
and the profile form's TLS part, its file pickers non-blocking."""

from __future__ import annotations

import json
import re

from PySide6.QtWidgets import QFileDialog
from qasync_loop import run, until

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import Profile, ProfileStore
from inspector.qt.aio import Tasks
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.qt.session.profiles_panel import ConnectionManager

TOKEN = "qt-tls-token-61d0"


def _tab(qtbot, url: str, **fields) -> ConnectionTab:
    tab = ConnectionTab(Profile(name="tls", url=url, token=TOKEN, ping_interval=0.0, **fields), url, "c1", Tasks())
    qtbot.addWidget(tab)
    return tab


def _served(certs, pair=None) -> MockServerThread:
    thread = MockServerThread(MockConfig(ssl_context=certs.context(pair), close_timeout=1.0))
    thread.start()
    return thread


def _tls_text_once_open(qloop, tab: ConnectionTab) -> str:
    """Connect, read the TLS view once the connection is open, disconnect."""
    async def scenario():
        tab.start()
        await until(lambda: tab.state_view.text() == "open", what="open")
        shown = tab.tls_view.text()
        await tab.shutdown()
        return shown
    return run(qloop, scenario())


def test_the_connection_view_shows_the_tls_session_and_certificate_chain(qtbot, qloop, certs):
    mock = _served(certs)
    try:
        tab = _tab(qtbot, mock.url, cacert=certs.ca)
        shown = _tls_text_once_open(qloop, tab)
    finally:
        mock.stop()
    assert re.search(r"^TLSv1\.[23] · \S+ \(\d+ bits\) · ALPN — · certificate verified · no subprotocol$",
                     shown.splitlines()[0]), shown
    assert "1. server CN=127.0.0.1,O=Realtime Inspector" in shown
    assert "2. root CA CN=Test Private CA,O=Realtime Inspector" in shown
    assert "  Issuer: CN=Test Private CA,O=Realtime Inspector" in shown
    assert "  Names (SAN): DNS:localhost, IP:127.0.0.1, IP:::1" in shown
    assert re.search(r"  SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}", shown)
    assert re.search(r"  Valid until: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", shown)
    assert tab.tls_view.chain.isVisibleTo(tab) and not tab.tls_view.banner.isVisibleTo(tab)


def test_insecure_is_marked_before_and_after_connecting(qtbot, qloop, certs):
    mock = _served(certs, certs.stranger)
    try:
        tab = _tab(qtbot, mock.url, insecure=True)
        assert tab.tls_view.banner.isVisibleTo(tab) and "INSECURE" in tab.tls_view.text()
        shown = _tls_text_once_open(qloop, tab)
    finally:
        mock.stop()
    assert shown.startswith("⚠ INSECURE") and "certificate NOT verified" in shown
    assert "issuer" not in shown.splitlines()[0] and "Someone Else's CA" in shown


def test_a_certificate_failure_is_one_line_in_the_state_view_and_stops(qtbot, qloop, certs):
    mock = _served(certs, certs.stranger)
    try:
        tab = _tab(qtbot, mock.url, cacert=certs.ca)

        async def scenario():
            tab.start()
            await until(lambda: tab.client.state.value == "stopped", what="stopped")
            await tab.shutdown()
        run(qloop, scenario())
    finally:
        mock.stop()
    text = tab.state_view.text()
    assert "TLS certificate verify failed: unknown CA" in text and "subject CN=127.0.0.1" in text
    assert "\n" not in text and TOKEN not in text and tab.client.stats.attempts == 1


def test_the_profile_form_edits_the_connection_options_with_a_non_blocking_file_picker(qtbot, tmp_path, certs):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    m = ConnectionManager(store)
    qtbot.addWidget(m)
    m.new_profile()
    form = m.editor.options_form
    form.cert_edit.setText(certs.client[0])
    dialog = form.pick_file(form.cacert_edit, "CA")
    assert isinstance(dialog, QFileDialog) and dialog.isVisible() and form.dialog is dialog  # open(), not exec()
    dialog.fileSelected.emit(certs.ca)  # what choosing a file does
    dialog.reject()
    assert form.cacert_edit.text() == certs.ca and form.dialog is None
    form.key_edit.setText(certs.client[1])
    form.headers_edit.setPlainText("X-Tenant: acme\n\nX-Trace: 1")
    form.origin_edit.setText("https://console.test")
    form.subprotocols_edit.setText("rt.v2, rt.v1")
    assert not form.insecure_warning.isVisibleTo(form)
    form.insecure_check.setChecked(True)
    assert form.insecure_warning.isVisibleTo(form) and "NOT verified" in form.insecure_warning.text()
    m.editor.url_edit.setText("wss://staging.test/api/v2/realtime")
    m.save_current()
    saved = json.loads((tmp_path / "cfg" / "profiles.json").read_text())["profiles"][-1]
    assert saved["cacert"] == certs.ca and saved["client_key"] == certs.client[1]
    assert saved["headers"] == ["X-Tenant: acme", "X-Trace: 1"] and saved["subprotocols"] == ["rt.v2", "rt.v1"]
    assert saved["insecure"] is True and saved["origin"] == "https://console.test"
    m.refresh("New profile")
    assert m.editor.options_form.headers_edit.toPlainText() == "X-Tenant: acme\nX-Trace: 1"


def test_a_bad_header_in_the_form_is_a_one_line_error(qtbot, tmp_path):
    store = ProfileStore(tmp_path / "cfg")
    store.load()
    m = ConnectionManager(store)
    qtbot.addWidget(m)
    m.new_profile()
    m.editor.options_form.headers_edit.setPlainText("Host: elsewhere")
    m.save_current()
    assert "header 'Host' is set by the WebSocket handshake" in m.error_label.text()
