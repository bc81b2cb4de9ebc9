"""The profile form's part for real servers: TLS files, --insecure, headers, Origin, subprotocols, proxy.

File pickers are non-blocking (``QFileDialog.open()`` answering through a signal), so
the event loop (and every open connection) keeps running while one is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
    QWidget,
)

from inspector.profiles import Profile

INSECURE_WARNING = ("⚠ The server's certificate is NOT verified: anyone on the way can pose as the server "
                    "and read the token.")


class ConnectionOptionsForm(QGroupBox):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("TLS, headers and proxy", parent)
        self.dialog: QFileDialog | None = None  # the file picker being shown
        self.cacert_edit, cacert_row = self._file_row("CA certificates (PEM), added to the system's trust")
        self.cert_edit, cert_row = self._file_row("client certificate (PEM), for mutual TLS")
        self.key_edit, key_row = self._file_row("the client certificate's key (PEM); a passphrase is asked for")
        self.insecure_check = QCheckBox("Insecure: skip certificate checks")
        self.insecure_check.setObjectName("insecureCheck")
        self.insecure_warning = QLabel(INSECURE_WARNING)
        self.insecure_warning.setObjectName("insecureWarning")
        self.insecure_warning.setWordWrap(True)
        self.insecure_warning.setStyleSheet("color: #d33; font-weight: bold")
        self.insecure_warning.setVisible(False)
        self.headers_edit = QPlainTextEdit()
        self.headers_edit.setPlaceholderText("X-Tenant: acme   (one 'Name: value' per line; never the token)")
        self.headers_edit.setFixedHeight(4 * self.fontMetrics().height())
        self.origin_edit = QLineEdit()
        self.origin_edit.setPlaceholderText("https://console.example (optional)")
        self.subprotocols_edit = QLineEdit()
        self.subprotocols_edit.setPlaceholderText("comma-separated, most wanted first (optional)")
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText("http://host:3128 — empty: HTTPS_PROXY / NO_PROXY")
        self.no_proxy_check = QCheckBox("Never use a proxy")

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("CA file", cacert_row)
        form.addRow("Client cert", cert_row)
        form.addRow("Client key", key_row)
        form.addRow(self.insecure_check)  # full width: the form fits a narrow side column
        form.addRow(self.insecure_warning)
        form.addRow("Headers", self.headers_edit)
        form.addRow("Origin", self.origin_edit)
        form.addRow("Protocols", self.subprotocols_edit)
        form.addRow("Proxy", self.proxy_edit)
        form.addRow(self.no_proxy_check)

        self.insecure_check.toggled.connect(self.insecure_warning.setVisible)
        self.no_proxy_check.toggled.connect(lambda on: self.proxy_edit.setEnabled(not on))
        for sig in (self.cacert_edit.textChanged, self.cert_edit.textChanged, self.key_edit.textChanged,
                    self.insecure_check.toggled, self.headers_edit.textChanged, self.origin_edit.textEdited,
                    self.subprotocols_edit.textEdited, self.proxy_edit.textEdited, self.no_proxy_check.toggled):
            sig.connect(self.changed)

    def _file_row(self, tip: str) -> tuple[QLineEdit, QWidget]:
        edit = QLineEdit()
        edit.setToolTip(tip)
        button = QToolButton()
        button.setText("…")
        button.setToolTip("Choose a file")
        button.clicked.connect(lambda: self.pick_file(edit, tip))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(button)
        return edit, row

    def pick_file(self, edit: QLineEdit, title: str) -> QFileDialog:
        dialog = QFileDialog(self, title, edit.text())
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["PEM files (*.pem *.crt *.cer *.key)", "All files (*)"])
        dialog.fileSelected.connect(edit.setText)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def load(self, p: Profile) -> None:
        self.cacert_edit.setText(p.cacert)
        self.cert_edit.setText(p.client_cert)
        self.key_edit.setText(p.client_key)
        self.insecure_check.setChecked(p.insecure)
        self.insecure_warning.setVisible(p.insecure)
        self.headers_edit.setPlainText("\n".join(p.headers))
        self.origin_edit.setText(p.origin)
        self.subprotocols_edit.setText(", ".join(p.subprotocols))
        self.proxy_edit.setText(p.proxy)
        self.no_proxy_check.setChecked(p.no_proxy)
        self.proxy_edit.setEnabled(not p.no_proxy)

    def apply_to(self, p: Profile) -> None:
        p.cacert = self.cacert_edit.text().strip()
        p.client_cert = self.cert_edit.text().strip()
        p.client_key = self.key_edit.text().strip()
        p.insecure = self.insecure_check.isChecked()
        p.headers = [line.strip() for line in self.headers_edit.toPlainText().splitlines() if line.strip()]
        p.origin = self.origin_edit.text().strip()
        p.subprotocols = [s.strip() for s in self.subprotocols_edit.text().split(",") if s.strip()]
        p.proxy = self.proxy_edit.text().strip()
        p.no_proxy = self.no_proxy_check.isChecked()

