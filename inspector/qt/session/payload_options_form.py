"""The profile form's part for payloads: the user's AsyncAPI contract and per-topic decoders.

Both are checked in the form (an unknown decoder, a contract that does not load): the error
shows under its field and the profile is not saved with it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from inspector.payloads.contract import Contract, ContractError
from inspector.payloads.decoders import DecoderError, Registry, parse_rules
from inspector.profiles import Profile

ERROR_STYLE = "color: #d33;"


def parse_decoder_text(text: str) -> tuple[dict[str, str], str | None]:
    """``"a.*=base64; b.*=hex"`` → the settings, and the first part that is not GLOB=DECODER."""
    decoders: dict[str, str] = {}
    problem = None
    for part in text.split(";"):
        glob, sep, spec = part.strip().partition("=")
        if sep and glob.strip() and spec.strip():
            decoders[glob.strip()] = spec.strip()
        elif part.strip() and problem is None:
            problem = f"{part.strip()!r}: expected GLOB=DECODER[+DECODER...]"
    return decoders, problem


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    return label


class PayloadOptionsForm(QGroupBox):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Payloads", parent)
        self.dialog: QFileDialog | None = None
        self._registry: Registry | None = None
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
        self.asyncapi_error = _error_label()
        self.asyncapi_error.setObjectName("asyncapiError")
        self.decoders_error = _error_label()
        self.decoders_error.setObjectName("decodersError")
        self._form = form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Contract", row)
        form.addRow("", self.asyncapi_error)
        form.addRow("Decoders", self.decoders_edit)
        form.addRow("", self.decoders_error)
        self._show_errors()
        self.asyncapi_edit.textChanged.connect(self.changed)
        self.decoders_edit.textEdited.connect(self.changed)
        # the decoders are checked as they are typed (cheap); the contract once its path is complete
        self.decoders_edit.textChanged.connect(lambda _text: self.check_decoders())
        self.asyncapi_edit.editingFinished.connect(self.check_contract)

    @property
    def registry(self) -> Registry:
        """The decoders a connection will have: the built-ins and the installed plugins."""
        if self._registry is None:
            self._registry = Registry()
        return self._registry

    def pick_file(self) -> QFileDialog:
        dialog = QFileDialog(self, "AsyncAPI document", self.asyncapi_edit.text())
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["AsyncAPI (*.yaml *.yml *.json)", "All files (*)"])
        dialog.fileSelected.connect(self._picked)
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _picked(self, path: str) -> None:
        self.asyncapi_edit.setText(path)
        self.check_contract()

    # ------------------------------------------------------------ checks
    def check_decoders(self) -> str | None:
        """The decoder settings' problem (shown under the field), or None."""
        decoders, problem = parse_decoder_text(self.decoders_edit.text())
        if problem is None:
            try:
                parse_rules(decoders, self.registry)
            except DecoderError as exc:
                problem = str(exc)
        self.decoders_error.setText(problem or "")
        self._show_errors()
        return problem

    def check_contract(self) -> str | None:
        """The contract's problem (it does not load), or None."""
        path = self.asyncapi_edit.text().strip()
        problem = None
        if path:
            try:
                Contract.load(path)
            except ContractError as exc:
                problem = str(exc)
        self.asyncapi_error.setText(problem or "")
        self._show_errors()
        return problem

    def problem(self) -> str | None:
        """Why these settings cannot be saved (each field's error shown), or None."""
        contract, decoders = self.check_contract(), self.check_decoders()
        if contract:
            return f"contract: {contract}"
        return f"decoders: {decoders}" if decoders else None

    def _show_errors(self) -> None:
        for label in (self.asyncapi_error, self.decoders_error):
            self._form.setRowVisible(label, bool(label.text()))

    # ------------------------------------------------------------ profile
    def load(self, p: Profile) -> None:
        self.asyncapi_edit.setText(p.asyncapi)
        self.decoders_edit.setText("; ".join(f"{glob}={spec}" for glob, spec in p.decoders.items()))
        self.check_contract()  # a profile saved before the checks shows its problems at once

    def apply_to(self, p: Profile) -> None:
        p.asyncapi = self.asyncapi_edit.text().strip()
        p.decoders = parse_decoder_text(self.decoders_edit.text())[0]
