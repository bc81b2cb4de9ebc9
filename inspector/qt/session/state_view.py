"""The live state of one connection: a line of text, a live countdown while
waiting, and the "Reconnect now" / "Disconnect" buttons."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from inspector.protocol.closecodes import NORMAL
from inspector.protocol.describe import describe_state
from inspector.protocol.events import State, StateChanged

_COLOURS = {
    State.IDLE: "#888", State.CONNECTING: "#c80", State.OPEN: "#2a2",
    State.CLOSED: "#c60", State.WAITING: "#c80", State.STOPPED: "#d33",
}


class StateView(QWidget):
    reconnect_requested = Signal()
    disconnect_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.last: StateChanged | None = None
        self.label = QLabel("not connected")
        self.label.setWordWrap(True)
        self.reconnect_button = QPushButton("Reconnect now")
        self.disconnect_button = QPushButton("Disconnect")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.disconnect_button)
        self.reconnect_button.clicked.connect(self.reconnect_requested)
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        self._countdown = QTimer(self)
        self._countdown.setInterval(100)
        self._countdown.timeout.connect(self._render)

    def ingest(self, ev) -> None:
        if type(ev) is not StateChanged:
            return
        self.last = ev
        if ev.state is State.WAITING:
            self._countdown.start()
        else:
            self._countdown.stop()
        self._render()

    def text(self) -> str:
        return self.label.text()

    def _render(self) -> None:
        ev = self.last
        if ev is None:
            return
        self.label.setText(describe_state(ev, now=time.time()))
        self.label.setStyleSheet(f"color: {_COLOURS.get(ev.state, '#888')}; font-weight: bold;")
        self.disconnect_button.setEnabled(ev.state not in (State.STOPPED, State.IDLE)
                                          and not (ev.state is State.CLOSED and ev.code == NORMAL))
