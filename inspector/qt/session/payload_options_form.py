"""The profile form's part for payloads: the user's AsyncAPI contract and per-topic decoders."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QToolButton, QWidget

from inspector.profiles import Profile


class PayloadOptionsForm(QGroupBox):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Payloads", parent)
        self.dialog: QFileDialog | None = None
        self.asyncapi_edit = QLineEdit()
        self.asyncapi_edit.setPlaceholderText("AsyncAPI document: EVENT data checked against it (optional)")
        button = QToolButton()
        button.setText("…")
        button.setToolTip("Choose an AsyncAPI document")
        button.clicked.connect(self.pick_file)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.asyncapi_edit, 1)
        layout.addWidget(button)
        self.decoders_edit = QLineEdit()
        self.decoders_edit.setPlaceholderText("sensors.*=base64+msgpack; audit.*=base64+zlib")
        self.decoders_edit.setToolTip("GLOB=DECODER[+DECODER...] per topic, separated by ';' (first match wins)")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Contract", row)
        form.addRow("Decoders", self.decoders_edit)
        self.asyncapi_edit.textChanged.connect(self.changed)
        self.decoders_edit.textEdited.connect(self.changed)

    def pick_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "AsyncAPI document", self.asyncapi_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["AsyncAPI (*.yaml *.yml *.json)", "All files (*)"])
        dialog.fileSelected.connect(self.asyncapi_edit.setText)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def load(self, p: Profile) -> None:
        self.asyncapi_edit.setText(p.asyncapi)
        self.decoders_edit.setText("; ".join(f"{glob}={spec}" for glob, spec in p.decoders.items()))

    def apply_to(self, p: Profile) -> None:
        p.asyncapi = self.asyncapi_edit.text().strip()
        decoders = {}
        for part in self.decoders_edit.text().split(";"):
            glob, sep, spec = part.strip().partition("=")
            if sep and glob.strip() and spec.strip():
                decoders[glob.strip()] = spec.strip()
        p.decoders = decoders
