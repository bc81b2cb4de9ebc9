"""One-click faults: drop the next N EVENTs, delay, stop forwarding PONGs, close a side with a
code, blackhole. Each but close adds a rule (listed with the others, removable there)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSpinBox, QWidget

from inspector.proxy.pair_names import pair_conn
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.proxy.proxy_ops import blackhole_rule, delay_rule, drop_events_rule, no_pongs_rule

SIDES = (("server → client", "s2c"), ("client → server", "c2s"))


def _spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


def _sides() -> QComboBox:
    combo = QComboBox()
    for label, key in SIDES:
        combo.addItem(label, key)
    return combo


class FaultsBar(QWidget):
    """One click each; *Close* sends a close frame with the code to one side of the chosen pair
    (or of every open pair), then ends both of its connections."""

    rule = Signal(str)  # a rule line to add
    close_side = Signal(str, int, object)  # "client" or "server", the close code, the pair (None: every one)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = 1  # the number of the proxy whose pairs Close picks from (names them)
        self.drop_count = _spin(1, 10_000, 3)
        self.drop_button = QPushButton("Drop next N EVENTs")
        self.delay_ms = _spin(1, 600_000, 500, " ms")
        self.delay_side = _sides()
        self.delay_button = QPushButton("Delay")
        self.pongs_button = QPushButton("Stop PONGs")
        self.pongs_button.setToolTip("Stop forwarding the server's PONGs (protocol and WebSocket)")
        self.close_target = QComboBox()
        self.close_target.addItem("client", "client")
        self.close_target.addItem("server", "server")
        self.close_code = _spin(1000, 4999, 1011)
        self.close_pair = QComboBox()
        self.close_pair.setToolTip("The pair to close, or every open pair")
        self.set_pairs([])
        self.close_button = QPushButton("Close")
        self.blackhole_side = _sides()
        self.blackhole_button = QPushButton("Blackhole")
        title = QLabel("<b>Faults</b>")
        flow = FlowLayout(self)
        for w in (title, self.drop_count, self.drop_button, self.delay_ms, self.delay_side, self.delay_button,
                  self.pongs_button, self.close_target, self.close_pair, self.close_code, self.close_button,
                  self.blackhole_side,
                  self.blackhole_button):
            flow.addWidget(w)
        self.drop_button.clicked.connect(lambda: self.rule.emit(drop_events_rule(self.drop_count.value())))
        self.delay_button.clicked.connect(
            lambda: self.rule.emit(delay_rule(self.delay_side.currentData(), self.delay_ms.value())))
        self.pongs_button.clicked.connect(lambda: self.rule.emit(no_pongs_rule()))
        self.close_button.clicked.connect(
            lambda: self.close_side.emit(self.close_target.currentData(), self.close_code.value(),
                                         self.close_pair.currentData()))
        self.blackhole_button.clicked.connect(lambda: self.rule.emit(blackhole_rule(self.blackhole_side.currentData())))

    def set_pairs(self, indexes: list[int]) -> None:
        """The open pairs *Close* can pick from (the choice kept while its pair is open)."""
        current = self.close_pair.currentData()
        self.close_pair.clear()
        self.close_pair.addItem("every pair", None)
        for i in indexes:
            self.close_pair.addItem(pair_conn(i, self.proxy), i)
        self.close_pair.setCurrentIndex(max(0, self.close_pair.findData(current)))
