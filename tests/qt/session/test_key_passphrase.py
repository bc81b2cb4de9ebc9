"""An encrypted client key: the window asks for its passphrase without blocking the loop,
keeps it for the session only (not in the profile file, not in the log), then connects
with mutual TLS to a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtWidgets import QInputDialog
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.mock.server import MockConfig
from inspector.mock.thread import MockServerThread
from inspector.profiles import Profile
from inspector.qt.main_window import MainWindow

TOKEN = "passphrase-test-token"


@pytest.fixture
def window(qtbot, tmp_path):
    return make_window(qtbot, tmp_path)


@pytest.fixture
def mtls_server(certs):
    thread = MockServerThread(MockConfig(ssl_context=certs.context(client_ca=certs.ca), close_timeout=1.0))
    thread.start()
    yield thread
    thread.stop()


def answer(w: MainWindow, text: str) -> None:
    dialog = w.passphrases.dialog
    assert isinstance(dialog, QInputDialog) and dialog.isVisible()
    dialog.setTextValue(text)
    dialog.accept()


def test_an_encrypted_key_is_asked_for_then_the_connection_opens(qtbot, qloop, window, mtls_server, certs, caplog,
                                                                 tmp_path):
    w = window
    p = Profile(name="mtls", url=mtls_server.url, token=TOKEN, ping_interval=0.0, cacert=certs.ca,
                client_cert=certs.client[0], client_key=certs.client_encrypted_key)
    w.store.add(p)
    w.store.save()
    caplog.set_level(logging.DEBUG)

    async def scenario():
        assert w.open_connection(p) is None  # asked first: no tab that fails with "no passphrase"
        dialog = w.passphrases.dialog
        assert dialog is not None and w.tabs() == []
        await asyncio.sleep(0)  # the loop runs while the question is shown (open(), not exec())
        assert "client-enc.key" in dialog.labelText() and "never saved" in dialog.labelText()
        answer(w, "not-the-passphrase")
        await until(lambda: w.passphrases.dialog is not None, what="asked again")
        assert "does not open the key" in w.passphrases.dialog.labelText() and w.tabs() == []
        answer(w, certs.passphrase)
        await until(lambda: len(w.tabs()) == 1 and w.tabs()[0].is_open, 10, "open with mutual TLS")
        tab = w.tabs()[0]
        # a second connect of the same key asks no more
        assert w.passphrases.needed(p) is None
        await close_window(w)
        return tab
    run(qloop, scenario())
    saved = b"".join(f.read_bytes() for f in (tmp_path / "cfg").rglob("*") if f.is_file())
    assert certs.passphrase.encode() not in saved and b"not-the-passphrase" not in saved
    assert certs.passphrase not in caplog.text and certs.passphrase not in repr(w.passphrases)


def test_cancelling_the_question_opens_nothing(qtbot, qloop, window, certs):
    w = window
    p = Profile(name="mtls", url="wss://127.0.0.1:9/api/v2/realtime", token=TOKEN, cacert=certs.ca,
                client_cert=certs.client[0], client_key=certs.client_encrypted_key)

    async def scenario():
        w.open_connection(p)
        w.passphrases.dialog.reject()
        await asyncio.sleep(0)
        assert w.passphrases.dialog is None and w.tabs() == []
        await close_window(w)
    run(qloop, scenario())
