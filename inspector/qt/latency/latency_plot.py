"""PING round-trip times per connection, with liveness markers.

Samples go into preallocated numpy rings (one per connection); the plot is
redrawn by a single-shot timer (≤ 30 Hz) only after something changed, so an
idle graph costs nothing. Plain pens of width 1, no OpenGL, no antialiasing.
The plot's colours follow the application palette (light or dark).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.events import PongMissed, RttMeasured, ServerPingAnswered, State, StateChanged
from inspector.qt.log.model import format_time

REDRAW_MS = 34            # ≤ 30 Hz
RING = 4096               # samples kept per connection
WINDOW_S = 60.0           # rolling time window shown by default
WINDOWS = ((60.0, "1 min"), (300.0, "5 min"), (900.0, "15 min"))
MAX_MARKERS = 200
MAX_SERVER_PINGS = 100
_MARK_PENS = {
    "missed": ("#d97706", Qt.PenStyle.DashLine),
    "reconnect": ("#16a34a", Qt.PenStyle.SolidLine),
    "closed": ("#dc2626", Qt.PenStyle.SolidLine),
}


class Ring:
    """Fixed-size (t, value) ring; ``arrays()`` returns them oldest first."""

    def __init__(self, cap: int = RING):
        self.t = np.zeros(cap)
        self.v = np.zeros(cap)
        self.cap = cap
        self.n = 0       # samples held
        self.head = 0    # next write position
        self.total = 0   # samples ever added

    def add(self, t: float, v: float) -> None:
        self.t[self.head] = t
        self.v[self.head] = v
        self.head = (self.head + 1) % self.cap
        self.n = min(self.n + 1, self.cap)
        self.total += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.n < self.cap:
            return self.t[:self.n], self.v[:self.n]
        h = self.head
        return np.concatenate((self.t[h:], self.t[:h])), np.concatenate((self.v[h:], self.v[:h]))

    def last(self) -> float | None:
        return None if self.n == 0 else float(self.v[(self.head - 1) % self.cap])


class LatencyPlot(QWidget):
    def __init__(self, parent=None, ring: int = RING, window: float = WINDOW_S, redraw_ms: int = REDRAW_MS):
        super().__init__(parent)
        self._ring_size = ring
        self.window_seconds = window
        self._rings: dict[str, Ring] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._labels: dict[str, QLabel] = {}
        self._markers: list[pg.InfiniteLine] = []
        self._last_state: dict[str, State] = {}
        self._seen_closed: set[str] = set()
        self._latest_t = 0.0
        self.marks: list[tuple[str, float, str, str]] = []  # (conn, t, what, label), newest last

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(redraw_ms)
        self._redraw_timer.timeout.connect(self.redraw)

        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setLabel("left", "round trip", units="ms")
        # values are already ms: without this pyqtgraph rescales 0.7 ms to "700 (mms)"
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(5, 5))
        # the axes follow the data (rolling window, 0 to the highest visible RTT)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumHeight(100)
        self.plot.getPlotItem().setContentsMargins(0, 4, 12, 0)  # room for the last time label

        self.window_combo = QComboBox()
        self.window_combo.setToolTip("Time shown on the graph")
        for seconds, text in WINDOWS:
            self.window_combo.addItem(text, seconds)
        i = self.window_combo.findData(float(window))
        if i < 0:
            self.window_combo.addItem(f"{window:g} s", float(window))
            i = self.window_combo.count() - 1
        self.window_combo.setCurrentIndex(i)
        self.window_combo.currentIndexChanged.connect(lambda _i: self.set_window(self.window_combo.currentData()))

        self.stats_box = QVBoxLayout()
        self.stats_box.setSpacing(0)
        self.no_data_label = QLabel("No round trips measured yet")
        self.stats_box.addWidget(self.no_data_label)
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 4, 0)
        head.addLayout(self.stats_box, 1)
        head.addWidget(self.window_combo, 0, Qt.AlignmentFlag.AlignTop)

        # Server PINGs are rare (the server pings idle clients): one line, the table on demand.
        self.server_label = QLabel("Server PINGs: none")
        self.server_toggle = QToolButton()
        self.server_toggle.setCheckable(True)
        self.server_toggle.setAutoRaise(True)
        self.server_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.server_toggle.setToolTip("Show the server PINGs and how fast we answered them")
        self.server_toggle.toggled.connect(self._show_server_table)
        self.server_table = QTableWidget(0, 4)
        self.server_table.setHorizontalHeaderLabels(["Time", "Connection", "Payload", "Our PONG after"])
        self.server_table.verticalHeader().hide()
        self.server_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        hh = self.server_table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.server_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.server_table.setMaximumHeight(110)
        self.server_table.hide()
        self._server_count = 0
        server_row = QHBoxLayout()
        server_row.setContentsMargins(0, 0, 4, 0)
        server_row.setSpacing(2)
        server_row.addWidget(self.server_toggle)
        server_row.addWidget(self.server_label, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addLayout(head)
        layout.addLayout(server_row)
        layout.addWidget(self.server_table)
        self._apply_palette()

    def set_window(self, seconds: float) -> None:
        self.window_seconds = float(seconds)
        i = self.window_combo.findData(self.window_seconds)
        if i >= 0 and i != self.window_combo.currentIndex():
            self.window_combo.setCurrentIndex(i)
        self._dirty()

    def _show_server_table(self, on: bool) -> None:
        self.server_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.server_table.setVisible(on)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTextPen(text)
            axis.setPen(pal.color(QPalette.ColorRole.Mid))
        self.plot.setLabel("left", "round trip", units="ms", color=text.name())
        self.legend.setLabelTextColor(text)

    # ------------------------------------------------------------ input

    def ingest(self, ev) -> None:
        if isinstance(ev, RttMeasured):
            self.add_rtt(ev.conn, ev.t, ev.rtt)
        elif isinstance(ev, PongMissed):
            self.mark(ev.conn, ev.t, "missed", f"missed pong ×{ev.consecutive}")
        elif isinstance(ev, ServerPingAnswered):
            self.add_server_ping(ev.conn, ev.t, ev.response_time, ev.payload)
        elif isinstance(ev, StateChanged):
            if ev.state == State.CLOSED:
                self._seen_closed.add(ev.conn)
                self.mark(ev.conn, ev.t, "closed", f"closed {ev.code}" if ev.code is not None else "closed")
            elif ev.state == State.OPEN and ev.conn in self._seen_closed:
                self.mark(ev.conn, ev.t, "reconnect", "reconnect")
            self._last_state[ev.conn] = ev.state

    def add_rtt(self, conn: str, t: float, rtt: float) -> None:
        ring = self._rings.get(conn)
        if ring is None:
            ring = self._rings[conn] = Ring(self._ring_size)
            self._add_series(conn)
        ring.add(t, rtt * 1000.0)
        self._latest_t = max(self._latest_t, t)
        self._dirty()

    def mark(self, conn: str, t: float, what: str, label: str = "") -> None:
        self.marks.append((conn, t, what, label))
        colour, style = _MARK_PENS.get(what, ("#6b7280", Qt.PenStyle.DotLine))
        text = f"{conn}: {label or what}"
        line = pg.InfiniteLine(pos=t, angle=90, movable=False, pen=pg.mkPen(colour, width=1, style=style),
                               label=label or what, labelOpts={"position": 0.9, "color": colour, "rotateAxis": (1, 0)})
        line.setToolTip(text)
        self.plot.addItem(line)
        self._markers.append(line)
        if len(self._markers) > MAX_MARKERS:
            self.plot.removeItem(self._markers.pop(0))
            del self.marks[0]
        self._latest_t = max(self._latest_t, t)
        self._dirty()

    def add_server_ping(self, conn: str, t: float, response_time: float, payload: bytes = b"") -> None:
        self._server_count += 1
        table = self.server_table
        table.insertRow(0)
        cells = (format_time(t), conn, payload.hex() or "(empty)", f"{response_time * 1000:.2f} ms")
        for col, text in enumerate(cells):
            table.setItem(0, col, QTableWidgetItem(text))
        if table.rowCount() > MAX_SERVER_PINGS:
            table.removeRow(table.rowCount() - 1)
        self.server_label.setText(
            f"Server PINGs: {self._server_count}, last answered in {response_time * 1000:.2f} ms")

    def clear(self) -> None:
        """Forget every series, mark and server PING (a recording seeks back, or another opens)."""
        for curve in self._curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        for label in self._labels.values():
            self.stats_box.removeWidget(label)
            label.deleteLater()
        for line in self._markers:
            self.plot.removeItem(line)
        for store in (self._rings, self._curves, self._labels, self._last_state):
            store.clear()
        self._markers.clear()
        self.marks.clear()
        self._seen_closed.clear()
        self._latest_t = 0.0
        self.server_table.setRowCount(0)
        self._server_count = 0
        self.server_label.setText("Server PINGs: none")
        self.no_data_label.show()

    # ------------------------------------------------------------ output

    def series(self, conn: str) -> tuple[np.ndarray, np.ndarray]:
        """(times, rtt in ms), oldest first."""
        ring = self._rings.get(conn)
        if ring is None:
            return np.empty(0), np.empty(0)
        return ring.arrays()

    def stats(self, conn: str) -> dict:
        ring = self._rings.get(conn)
        if ring is None or ring.n == 0:
            return {"last": None, "p50": None, "p95": None, "p99": None, "count": 0}
        _, v = ring.arrays()
        p50, p95, p99 = np.percentile(v, (50, 95, 99))
        return {"last": ring.last(), "p50": float(p50), "p95": float(p95), "p99": float(p99), "count": int(ring.n)}

    @property
    def connections(self) -> list[str]:
        return list(self._rings)

    def _add_series(self, conn: str) -> None:
        colour = pg.intColor(len(self._curves), hues=8)
        curve = self.plot.plot([], [], name=conn, pen=pg.mkPen(colour, width=1),
                               symbol="o", symbolSize=4, symbolPen=None, symbolBrush=colour)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        self._curves[conn] = curve
        label = QLabel()
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        self._labels[conn] = label
        self.no_data_label.hide()
        self.stats_box.addWidget(label)

    def _dirty(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        self._redraw_timer.stop()
        if not self._latest_t:
            return
        now = time.time()
        right = max(self._latest_t, now) if self._latest_t > now - self.window_seconds else self._latest_t
        left = right - self.window_seconds
        top = 0.0
        for conn, ring in self._rings.items():
            t, v = ring.arrays()
            self._curves[conn].setData(t, v)
            self._labels[conn].setText(self.stats_text(conn))
            self._labels[conn].setToolTip(f"{conn}: percentiles of the last {ring.n:,} round trips "
                                          f"({ring.total:,} measured)")
            shown = v[t >= left]
            if shown.size:
                top = max(top, float(shown.max()))
        self.plot.setXRange(left, right, padding=0.02)
        # from zero, so a jump from 0.6 to 0.7 ms does not look like a spike
        self.plot.setYRange(0.0, top * 1.15 if top > 0 else 1.0, padding=0)

    def stats_text(self, conn: str) -> str:
        s = self.stats(conn)
        if not s["count"]:
            return f"{conn}: no samples"
        return (f"{conn}: last {s['last']:.1f} ms · p50 {s['p50']:.1f} · p95 {s['p95']:.1f} · "
                f"p99 {s['p99']:.1f} ms")
