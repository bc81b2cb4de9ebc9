"""A refused certificate in the app, over real TLS on 127.0.0.1: buttons instead of command-line flags.
Trust shows the presented certificate and its SHA-256 fingerprint and keeps it (0600) as the profile's
CA file; Choose CA file… picks one without blocking the loop; Connect insecurely once leaves the profile."""

from __future__ import annotations

import hashlib
import socket
import ssl
import stat
from pathlib import Path

from PySide6.QtWidgets import QFileDialog
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.mock.certs import self_signed, server_context
from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import Profile
from inspector.protocol.events import State
from inspector.qt.aio import Tasks
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.qt.session.tls_failure import TrustDialog

TOKEN = "qt-tls-failure-token-3b7e"


def _served(ctx: ssl.SSLContext) -> MockServerThread:
    thread = MockServerThread(MockConfig(ssl_context=ctx, close_timeout=1.0, tokens=frozenset({TOKEN})))
    thread.start()
    return thread


def _tab(qtbot, url: str, data_dir, **fields) -> ConnectionTab:
    profile = Profile(name="staging", url=url, token=TOKEN, ping_interval=0.0, **fields)
    tab = ConnectionTab(profile, url, "c1", Tasks(), data_dir=data_dir)
    qtbot.addWidget(tab)
    return tab


def _leaf_der(pem_file) -> bytes:
    pem = Path(pem_file).read_text()
    return ssl.PEM_cert_to_DER_cert(pem[:pem.index("-----END CERTIFICATE-----") + 25])


async def _refused(tab: ConnectionTab) -> None:
    tab.start()
    await until(lambda: tab.client.state is State.STOPPED, timeout=10, what="the refused certificate")


def test_a_refused_self_signed_certificate_offers_buttons_and_trust_pins_it_in_the_profile(qtbot, qloop, tmp_path):
    made = self_signed(tmp_path / "mock-tls")  # what the mock panel's "TLS (self-signed)" serves
    mock = _served(server_context(made.cert_file, made.key_file))
    w = make_window(qtbot, tmp_path)
    profile = Profile(name="self-signed", url=mock.url, token=TOKEN, ping_interval=0.0)
    w.store.add(profile)
    w.store.save()
    saved = []
    try:
        async def scenario():
            tab = w.connect_profile(profile)
            tab.save_ca_file.connect(lambda name, path: saved.append((name, path)))
            await until(lambda: tab.client.state is State.STOPPED, timeout=10, what="the refused certificate")
            panel = tab.tls_failure
            assert panel.isVisibleTo(tab)
            assert all(b.isVisibleTo(tab) for b in (panel.trust_button, panel.choose_button, panel.insecure_button))
            shown = tab.state_view.text() + panel.heading.text()
            assert "unknown CA" in shown and "--cacert" not in shown and "--insecure" not in shown
            assert "unknown CA" not in panel.heading.text()  # said once, in the state line
            panel.trust_button.click()
            await until(lambda: isinstance(panel.dialog, TrustDialog), timeout=10, what="the trust dialog")
            dlg = panel.dialog
            assert dlg.isVisible()  # open(), not exec(): the loop kept running to get here
            leaf = _leaf_der(made.cert_file)
            fp = hashlib.sha256(leaf).digest().hex(":").upper()
            assert fp in dlg.fingerprint.text() and dlg.tree.topLevelItemCount() >= 1
            assert "CN=127.0.0.1" in dlg.tree.topLevelItem(0).text(1)
            dlg.trust_button.click()
            await until(lambda: tab.client.state is State.OPEN, timeout=10, what="open with the trusted certificate")
            assert not panel.isVisibleTo(tab) and "certificate verified" in tab.tls_view.text()
            await close_window(w)
        run(qloop, scenario(), timeout=60)
    finally:
        mock.stop()
    [(name, path)] = saved
    assert name == "self-signed" and path.startswith(str(tmp_path / "trusted-certificates"))
    assert stat.S_IMODE((tmp_path / "trusted-certificates" / path.rsplit("/", 1)[-1]).stat().st_mode) == 0o600
    assert w.store.get("self-signed").cacert == path  # kept in the profile for the next connect


def test_connect_insecurely_once_leaves_the_profile_verifying(qtbot, qloop, tmp_path, certs):
    mock = _served(certs.context(certs.stranger))
    try:
        tab = _tab(qtbot, mock.url, tmp_path)

        async def scenario():
            await _refused(tab)
            assert not tab.tls_view.banner.isVisibleTo(tab)
            tab.tls_failure.insecure_button.click()
            await until(lambda: tab.client.state is State.OPEN, timeout=10, what="open, unverified")
            assert tab.tls_view.banner.isVisibleTo(tab) and "certificate NOT verified" in tab.tls_view.text()
            await tab.shutdown()
        run(qloop, scenario(), timeout=30)
    finally:
        mock.stop()
    assert tab.profile.insecure is False and tab.profile.cacert == ""
    assert not (tmp_path / "trusted-certificates").exists()


def test_choose_ca_file_is_non_blocking_and_connects_with_the_chosen_ca(qtbot, qloop, tmp_path, certs):
    mock = _served(certs.context(certs.stranger))
    chosen = []
    try:
        tab = _tab(qtbot, mock.url, tmp_path)
        tab.save_ca_file.connect(lambda name, path: chosen.append((name, path)))

        async def scenario():
            await _refused(tab)
            tab.tls_failure.choose_button.click()
            dialog = tab.tls_failure.dialog
            assert isinstance(dialog, QFileDialog) and dialog.isVisible()  # open(), the loop keeps running
            dialog.fileSelected.emit(str(tmp_path / "missing.pem"))
            assert tab.client.state is State.STOPPED and chosen == []  # a file that cannot be used: refused
            dialog.fileSelected.emit(certs.other_ca)  # what choosing a file does
            dialog.reject()
            await until(lambda: tab.client.state is State.OPEN, timeout=10, what="open with the chosen CA")
            assert "certificate verified" in tab.tls_view.text()
            await tab.shutdown()
        run(qloop, scenario(), timeout=30)
    finally:
        mock.stop()
    assert chosen == [("staging", certs.other_ca)]


def test_a_hostname_mismatch_offers_only_the_insecure_retry(qtbot, qloop, tmp_path, certs):
    mock = _served(certs.context(certs.wrong_host))
    try:
        tab = _tab(qtbot, mock.url, tmp_path, cacert=certs.ca)

        async def scenario():
            await _refused(tab)
            await tab.shutdown()
        run(qloop, scenario(), timeout=30)
    finally:
        mock.stop()
    panel = tab.tls_failure
    assert panel.isVisibleTo(tab) and "mismatch" in tab.state_view.text()
    assert panel.heading.text() == "The server's certificate was refused. You can:"
    assert panel.insecure_button.isVisibleTo(tab) and not panel.trust_button.isVisibleTo(tab)


def test_trust_says_in_one_plain_line_when_the_certificate_cannot_be_read(qtbot, qloop, tmp_path, certs):
    mock = _served(certs.context(certs.stranger))
    messages = []
    try:
        tab = _tab(qtbot, mock.url, tmp_path)
        tab.message.connect(messages.append)

        async def scenario():
            await _refused(tab)
        run(qloop, scenario(), timeout=30)
    finally:
        mock.stop()  # gone before Trust reads what it presents
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        tab.tls_failure.url = f"wss://127.0.0.1:{s.getsockname()[1]}/api/v2/realtime"

    async def trust():
        tab.tls_failure.trust_button.click()
        await until(lambda: messages, timeout=10, what="the failure line")
        await until(lambda: tab.tls_failure.trust_button.isEnabled(), what="Trust enabled again")
    run(qloop, trust(), timeout=30)
    assert messages == [f"cannot read the server's certificate: connection refused by "
                        f"{tab.tls_failure.url.split('/')[2]}"]
    assert tab.tls_failure.dialog is None
