"""The live state of one connection: a line of text, a live countdown while
waiting, and the "Reconnect now" / "Disconnect" buttons."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from inspector.protocol.closecodes import describe
from inspector.protocol.events import State, StateChanged

_COLOURS = {
    State.IDLE: "#888", State.CONNECTING: "#c80", State.OPEN: "#2a2",
    State.CLOSED: "#c60", State.WAITING: "#c80", State.STOPPED: "#d33",
}


def describe_state(ev: StateChanged, now: float | None = None) -> str:
    """One line for a StateChanged event; WAITING counts down to ``now``."""
    s = ev.state
    if s is State.IDLE:
        return "not connected"
    if s is State.CONNECTING:
        # ``attempt`` counts reconnects: 0 is the first connect, k the k-th retry.
        return f"connecting (reconnect attempt {ev.attempt})…" if ev.attempt else "connecting…"
    if s is State.OPEN:
        return "open"
    if s is State.CLOSED:
        parts = [f"closed {ev.code}" if ev.code is not None else "closed"]
        if ev.meaning:
            parts.append(ev.meaning)
        if ev.reason:
            parts.append(f"reason: {ev.reason}")
        if ev.http_status:
            parts.append(_http(ev))
        if ev.message and ev.message not in (ev.reason, ev.meaning):
            parts.append(ev.message)
        return " — ".join(parts)
    if s is State.WAITING:
        left = ev.delay or 0.0
        if now is not None:
            left = max(0.0, ev.t + (ev.delay or 0.0) - now)
        return f"waiting — reconnect attempt {ev.attempt} in {left:.1f} s"
    if s is State.STOPPED:
        msg = ev.message
        parts = [msg] if msg else []
        if ev.http_status and f"HTTP {ev.http_status}" not in msg:
            parts.append(_http(ev))
        if ev.code is not None:
            meaning = ev.meaning or describe(ev.code).meaning
            parts.append(f"close {ev.code}: {meaning}")
        if ev.reason and ev.reason not in msg:
            parts.append(f"reason: {ev.reason}")
        return "stopped" + (" — " + " — ".join(parts) if parts else "")
    return str(s.value)


def _http(ev: StateChanged) -> str:
    return f"HTTP {ev.http_status}" + (f" {ev.http_code}" if ev.http_code else "")


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
        self.label.setText(describe_state(ev, time.time()))
        self.label.setStyleSheet(f"color: {_COLOURS.get(ev.state, '#888')}; font-weight: bold;")
        self.disconnect_button.setEnabled(ev.state not in (State.STOPPED, State.IDLE)
                                          and not (ev.state is State.CLOSED and ev.code == 1000))
