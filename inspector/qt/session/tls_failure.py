"""A certificate the client refused, and what to do about it in the app: buttons, not flags.

"Trust this certificate…" reads what the server presents, shows the chain and SHA-256
fingerprint, and on confirmation saves the certificate (0600, in the data folder) as the
profile's CA file; "Choose CA file…" picks one; "Connect insecurely once" retries this
connection without verification, leaving the profile as it was. Dialogs open with
``open()``: a nested event loop inside qasync would re-enter the asyncio loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import ssl
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from inspector.client.failures import CERT_FAILED, CLI_TRUST_HINT, classify
from inspector.client.model import ConnectOptions
from inspector.client.tls import TlsSetupError, client_context, describe_cert, presented_chain, probe_context
from inspector.private_files import make_private_dir, open_private
from inspector.protocol.events import State, StateChanged
from inspector.qt.aio import Tasks
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.session.tls_view import cert_item

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

TRUSTED_FOLDER = "trusted-certificates"


def gui_text(message: str) -> str:
    """The failure line without the command line's advice (the app shows buttons instead)."""
    return message.replace(CLI_TRUST_HINT, "")


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).digest().hex(":").upper()


def save_trusted(der: bytes, folder: Path, profile: str) -> Path:
    """The certificate as PEM in ``folder`` (0700), readable by its owner only; its path."""
    make_private_dir(folder)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile)[:40] or "profile"
    path = folder / f"{safe}-{hashlib.sha256(der).hexdigest()[:16]}.pem"
    with open_private(path, "w", encoding="ascii") as fh:
        fh.write(ssl.DER_cert_to_PEM_cert(der))
    return path


async def read_presented_chain(url: str, within: float = 10.0) -> list[bytes]:
    """What the server at ``url`` presents (DER, its own certificate first), unverified."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(within):
        transport, _ = await loop.create_connection(asyncio.Protocol, host, parts.port or 443,
                                                    ssl=probe_context(), server_hostname=host)
    try:
        ssl_object = transport.get_extra_info("ssl_object")
        return presented_chain(ssl_object) if ssl_object is not None else []
    finally:
        transport.abort()


class TrustDialog(QDialog):
    """The presented chain and the fingerprint of the certificate to be trusted; Trust or Cancel."""

    def __init__(self, chain: list[bytes], host: str, saved_in: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Trust the certificate of {host}?")
        self.chain = chain
        self.anchor = chain[-1]  # the root when the server sends it, else its own certificate (a pin)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Certificate", ""])
        infos = [describe_cert(der) for der in chain]
        items = [cert_item(i, info) for i, info in enumerate(infos) if info is not None]
        self.tree.addTopLevelItems(items)
        for item in items:
            item.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        self.fingerprint = QLabel("SHA-256 fingerprint of the certificate to trust:"
                                  f"<br><b>{fingerprint(self.anchor)}</b>")
        self.fingerprint.setObjectName("trustFingerprint")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        what = "its root CA" if len(chain) > 1 else "this certificate"
        note = QLabel(f"Compare the fingerprint with one you got from the server's owner by another way. "
                      f"Trusting saves {what} under {saved_in} and makes it the profile's CA file.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.trust_button = self.buttons.addButton("Trust and reconnect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.fingerprint)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(760, 460)


class TlsFailurePanel(QWidget):
    """Shown under the state while the connection is stopped by a certificate it refused."""

    retry = Signal(object)  # the ConnectOptions to connect with now
    ca_file_chosen = Signal(str)  # a CA file to keep in the profile
    message = Signal(str)

    def __init__(self, url: str, profile: str, options: ConnectOptions, data_dir: Path, tasks: Tasks,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url, self.profile, self.options, self.tasks = url, profile, options, tasks
        self.folder = data_dir / TRUSTED_FOLDER
        self.dialog: QDialog | None = None
        self.heading = QLabel()
        self.heading.setObjectName("tlsFailure")
        self.heading.setWordWrap(True)
        self.trust_button = self._button("Trust this certificate…", "See the server's certificate and its "
                                         "fingerprint; trust it for this profile")
        self.choose_button = self._button("Choose CA file…", "Trust the CA certificates in a PEM file "
                                          "for this profile")
        self.insecure_button = self._button("Connect insecurely once", "Connect this time without checking "
                                            "the certificate (anyone on the way can pose as the server); "
                                            "the profile is not changed")
        buttons = FlowLayout()
        for b in (self.trust_button, self.choose_button, self.insecure_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(buttons)
        self.trust_button.clicked.connect(self.offer_trust)
        self.choose_button.clicked.connect(self.choose_ca_file)
        self.insecure_button.clicked.connect(self.connect_insecurely)
        self.hide()

    @staticmethod
    def _button(text: str, tip: str) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        return b

    def ingest(self, ev: StateChanged) -> StateChanged:
        """Show or hide for this state; the event with the app's wording of its message."""
        if ev.state is State.STOPPED and CERT_FAILED in ev.message:
            trust = CLI_TRUST_HINT in ev.message
            ev = dataclasses.replace(ev, message=gui_text(ev.message))
            # the state line above says why: this one only leads to the buttons
            self.heading.setText("This profile does not trust the server's certificate. You can:" if trust
                                 else "The server's certificate was refused. You can:")
            self.trust_button.setVisible(trust)
            self.choose_button.setVisible(trust)
            self.show()
        elif ev.state is not State.STOPPED:
            self.hide()
        return ev

    # ------------------------------------------------------------ the three answers

    def offer_trust(self) -> None:
        self.trust_button.setEnabled(False)
        self.tasks.spawn(self._offer_trust(), name=f"read the certificate of {urlsplit(self.url).hostname}")

    async def _offer_trust(self) -> None:
        parts = urlsplit(self.url)
        try:
            chain = await read_presented_chain(self.url)
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            line = classify(exc, parts.hostname or "", parts.port or 443).message
            self.message.emit(f"cannot read the server's certificate: {line}")
            chain = []
        finally:
            self.trust_button.setEnabled(True)
        if chain:
            self.show_trust_dialog(chain)

    def show_trust_dialog(self, chain: list[bytes]) -> TrustDialog:
        dlg = TrustDialog(chain, urlsplit(self.url).hostname or "?", self.folder, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.accepted.connect(lambda: self.trust(dlg.anchor))
        dlg.finished.connect(self._dialog_closed)
        self.dialog = dlg
        dlg.open()
        return dlg

    def trust(self, der: bytes) -> None:
        try:
            path = save_trusted(der, self.folder, self.profile)
        except OSError as exc:
            self.message.emit(f"cannot save the certificate: {exc.strerror or exc}")
            return
        self.use_ca_file(str(path))

    def choose_ca_file(self) -> QFileDialog:
        from PySide6.QtWidgets import QFileDialog  # its class when first asked for: not on the way to a first frame

        dlg = QFileDialog(self, "CA file to trust", "", "PEM certificates (*.pem *.crt *.cer);;All files (*)")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.use_ca_file)
        dlg.finished.connect(self._dialog_closed)
        self.dialog = dlg
        dlg.open()
        return dlg

    def use_ca_file(self, path: str) -> None:
        """Trust ``path`` from now on: kept in the profile, and this connection retried with it."""
        options = dataclasses.replace(self.options, cacert=path, insecure=False)
        try:
            client_context(options)
        except TlsSetupError as exc:
            self.message.emit(str(exc))
            return
        self.options = options
        self.ca_file_chosen.emit(path)
        self.hide()
        self.retry.emit(options)

    def connect_insecurely(self) -> None:
        self.hide()
        self.retry.emit(dataclasses.replace(self.options, insecure=True))

    def _dialog_closed(self, _result: int = 0) -> None:
        self.dialog = None
