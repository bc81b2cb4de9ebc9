"""The live state of one connection: a line of text, live countdowns, and the
"Reconnect now" / "Disconnect" buttons.

The line is the one text of the connection's state: the window's status bar shows
``text()`` too (``text_changed``), so both read the same on every tick. While a
connection retries it keeps saying why the last attempt failed; while the server
leaves our PINGs unanswered it says for how long (``rtt_stale``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from inspector.protocol.closecodes import NORMAL
from inspector.protocol.describe import SEPARATOR, describe_state
from inspector.protocol.events import PongMissed, RttMeasured, State, StateChanged

_COLOURS = {
    State.IDLE: "#888", State.CONNECTING: "#c80", State.OPEN: "#2a2",
    State.CLOSED: "#c60", State.WAITING: "#c80", State.STOPPED: "#d33",
}
_OVERDUE_COLOUR = "#d33"
TICK_MS = 100


class StateView(QWidget):
    reconnect_requested = Signal()
    disconnect_requested = Signal()
    text_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.time):
        super().__init__(parent)
        self.last: StateChanged | None = None
        self.failure = ""  # why the last attempt ended, kept while retrying
        self.pong_overdue_since: float | None = None  # when the first unanswered PING fell due
        self._clock = clock
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
        self._countdown.setInterval(TICK_MS)
        self._countdown.timeout.connect(self._render)

    def ingest(self, ev: object) -> None:
        """A state change, a missed PONG or an RTT (anything else is ignored)."""
        if type(ev) is StateChanged:
            self._state(ev)
        else:
            self.ingest_ping(ev)

    def ingest_ping(self, ev: object) -> None:
        """A missed PONG starts the overdue count; an RTT (a PONG came) ends it."""
        if isinstance(ev, PongMissed):
            if self.pong_overdue_since is None and self.last is not None and self.last.state is State.OPEN:
                self.pong_overdue_since = ev.t
                self._render()
        elif isinstance(ev, RttMeasured) and self.pong_overdue_since is not None:
            self.pong_overdue_since = None  # answered again
            self._render()

    def _state(self, ev: StateChanged) -> None:
        self.last = ev
        if ev.state is State.OPEN:
            self.failure = ""
        elif ev.state is State.CLOSED and (ev.message or ev.code not in (None, NORMAL) or ev.http_status):
            self.failure = ev.message if ev.code is None and ev.message else describe_state(ev)
        if ev.state is not State.OPEN:
            self.pong_overdue_since = None
        self._render()

    @property
    def rtt_stale(self) -> bool:
        """The last RTT no longer says anything: a PONG is overdue."""
        return self.pong_overdue_since is not None

    def text(self) -> str:
        return self.label.text()

    def describe(self, now: float | None = None) -> str:
        """The line for the latest state at ``now``: countdowns counted, the last failure kept."""
        ev = self.last
        if ev is None:
            return "not connected"
        now = self._clock() if now is None else now
        text = describe_state(ev, now=now)
        if ev.state in (State.WAITING, State.CONNECTING) and self.failure:
            text += f" ({self.failure})"
        if self.pong_overdue_since is not None:
            text += f"{SEPARATOR}PONG overdue {max(0.0, now - self.pong_overdue_since):.1f} s"
        return text

    def _render(self) -> None:
        ev = self.last
        if ev is None:
            return
        ticking = ev.state is State.WAITING or self.pong_overdue_since is not None
        if ticking and not self._countdown.isActive():
            self._countdown.start()
        elif not ticking:
            self._countdown.stop()
        text = self.describe()
        colour = _OVERDUE_COLOUR if self.pong_overdue_since is not None else _COLOURS.get(ev.state, "#888")
        self.label.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.disconnect_button.setEnabled(ev.state not in (State.STOPPED, State.IDLE)
                                          and not (ev.state is State.CLOSED and ev.code == NORMAL))
        if text != self.label.text():
            self.label.setText(text)
            self.text_changed.emit(text)
