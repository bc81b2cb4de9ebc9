"""Send a frame of any kind into a live pair, to either side: a protocol kind with a JSON
body, or raw hex (with its WebSocket opcode)."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QSpinBox, QWidget

from inspector.protocol.frames import encode_body
from inspector.protocol.kinds import Kind
from inspector.qt.flow_layout import FlowLayout

RAW = "raw hex"


def composed(kind: str, text: str) -> bytes:
    """The payload: the kind byte and the JSON body as the codec writes it, or the hex as given.
    ValueError when it is neither (or JSON the codec does not write, such as NaN)."""
    if kind == RAW:
        return bytes.fromhex(text)
    return encode_body(Kind[kind], json.loads(text) if text.strip() else {})


class InjectComposer(QWidget):
    inject = Signal(int, bool, int, bytes)  # pair, to the server, opcode, payload
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pair = QComboBox()
        self.pair.setPlaceholderText("pair")
        self.side = QComboBox()
        self.side.addItem("to server (as the client)", True)
        self.side.addItem("to client (as the server)", False)
        self.kind = QComboBox()
        for k in Kind:
            self.kind.addItem(k.name, k.name)
        self.kind.addItem(RAW, RAW)
        self.opcode = QSpinBox()
        self.opcode.setRange(0, 15)
        self.opcode.setValue(2)
        self.opcode.setPrefix("opcode ")
        self.body = QLineEdit()
        self.body.setPlaceholderText('body JSON: {"topic": "ticker"}, or hex for raw')
        self.send_button = QPushButton("Inject")
        flow = FlowLayout(self)
        for w in (self.pair, self.side, self.kind, self.opcode):
            flow.addWidget(w)
        flow.add_filling(self.body)
        flow.addWidget(self.send_button)
        self.send_button.clicked.connect(self._send)

    def set_pairs(self, indexes: list[int]) -> None:
        current = self.pair.currentData()
        self.pair.clear()
        for i in indexes:
            self.pair.addItem(f"p{i}", i)
        at = self.pair.findData(current)
        self.pair.setCurrentIndex(at if at >= 0 else self.pair.count() - 1)

    def _send(self) -> None:
        if self.pair.currentData() is None:
            self.problem.emit("no open pair to inject into")
            return
        kind = self.kind.currentData()
        try:
            payload = composed(kind, self.body.text())
        except ValueError as exc:
            self.problem.emit(f"cannot inject: {exc}")
            return
        opcode = self.opcode.value() if kind == RAW else 2
        self.inject.emit(int(self.pair.currentData()), bool(self.side.currentData()), opcode, payload)
