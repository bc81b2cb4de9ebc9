"""PING round-trip times per connection, with liveness markers.

Samples go into preallocated numpy rings (one per connection); the plot is
redrawn by a single-shot timer (≤ 30 Hz) only after something changed, so an
idle graph costs nothing. Plain pens of width 1, no OpenGL, no antialiasing.
The plot's colours follow the application palette (light or dark).

A connection's line breaks where it was not open or a PONG was missed (a NaN
sample, drawn with ``connect="finite"``), and wherever no round trip was measured
for much longer than usual. Missed PONGs, closes and reconnects are small symbols
along the bottom of the graph, details on hover; marks closer together than a
symbol's width share one symbol with their count beside it; a key under the graph
says so. The connections' colours are keyed in their figures under the graph, not
in a legend over the lines.

The graph itself (pyqtgraph) is built when first needed, by the first sample or mark or
a look at ``plot``: the window paints without loading it.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.lazy_module import lazy_module

if TYPE_CHECKING:
    import numpy as np
    import pyqtgraph as pg

    from inspector.protocol.events import SessionEvent
else:  # an empty graph needs no numpy: the window paints before it loads
    np = lazy_module("numpy")

from inspector.protocol.states import State
from inspector.qt.log.model import format_time
from inspector.qt.plot_theme import show_axis_values, theme_plot

REDRAW_MS = 34            # ≤ 30 Hz
RING = 4096               # samples kept per connection
WINDOW_S = 60.0           # rolling time window shown by default
WINDOWS = ((60.0, "1 min"), (300.0, "5 min"), (900.0, "15 min"))
MAX_MARKS = 2000          # liveness marks kept (oldest dropped)
MAX_SERVER_PINGS = 100
MARK_PIXELS = 14          # marks closer than this on screen share one symbol
MARK_HEIGHT = 0.05        # the symbols' row, as a fraction of the graph's height
GRAPH_MIN_HEIGHT = 100    # px: the graph (and its place before it is built)
# what each mark looks like; the most severe kind in a cluster (first here) gives its symbol
_MARK_STYLE = {
    "closed": ("x", "#dc2626"),
    "missed": ("t", "#d97706"),
    "reconnect": ("t1", "#16a34a"),
}
_OTHER_STYLE = ("d", "#6b7280")
_MARK_KEY = (("closed", "✕", "closed"), ("missed", "▼", "missed PONG"), ("reconnect", "▲", "reconnected"))
STATS_LINES = 4           # the connections' figures shown before they scroll
GAP_FACTOR = 3.0          # no round trip for this many usual intervals: the line breaks
MIN_GAP_S = 2.0


@dataclass
class MarkCluster:
    t: float            # where its symbol sits (the first mark's time)
    marks: list[tuple[str, float, str, str]]

    @property
    def count(self) -> int:
        return len(self.marks)

    @property
    def what(self) -> str:
        kinds = {m[2] for m in self.marks}
        return next((k for k in _MARK_STYLE if k in kinds), self.marks[0][2])

    def describe(self) -> str:
        lines = [f"×{self.count}: {self.count} marks too close together to draw apart"] if self.count > 1 else []
        lines += [f"{format_time(t)}  {conn}: {label or what}" for conn, t, what, label in self.marks[:12]]
        if self.count > 12:
            lines.append(f"… and {self.count - 12} more")
        return "\n".join(lines)


def break_at_gaps(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, v)`` with a NaN put in wherever the time between two samples is far above the
    usual one: an outage with no close seen (a stalled network) is not drawn as a line."""
    if t.size < 3:
        return t, v
    dt = np.diff(t)
    gap = max(MIN_GAP_S, GAP_FACTOR * float(np.median(dt)))
    at = np.flatnonzero(dt > gap) + 1
    if not at.size:
        return t, v
    return np.insert(t, at, t[at - 1]), np.insert(v, at, np.nan)


def cluster_marks(marks: list[tuple[str, float, str, str]], width: float) -> list[MarkCluster]:
    """Group time-ordered ``marks``: each cluster spans less than ``width`` seconds."""
    clusters: list[MarkCluster] = []
    for m in marks:
        if clusters and m[1] - clusters[-1].t < width:
            clusters[-1].marks.append(m)
        else:
            clusters.append(MarkCluster(m[1], [m]))
    return clusters


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
        """The newest value (NaN when the connection is not open since then)."""
        return None if self.n == 0 else float(self.v[(self.head - 1) % self.cap])

    def finite(self) -> np.ndarray:
        """The values that are round trips (not the gaps' NaNs)."""
        _, v = self.arrays()
        finite: np.ndarray = v[np.isfinite(v)]
        return finite


def drawable(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The samples to hand the curve: without the gaps (NaN) after its last round trip. They
    draw nothing, and a view holding only them would make pyqtgraph take the bounds of an
    all-NaN slice; with them gone, the newest sample handed over is always a number."""
    finite = np.flatnonzero(np.isfinite(v))
    end = int(finite[-1]) + 1 if finite.size else 0
    return t[:end], v[:end]


def prefetch_plotting() -> None:
    """Import pyqtgraph on a thread of its own, once start-up is done: the first round trip then
    builds the graph without first holding the window still for the import (a quarter to half a
    second, the worst stall of a flood's first seconds otherwise). Call after numpy is loaded."""
    if "pyqtgraph" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("pyqtgraph",), name="import pyqtgraph",
                         daemon=True).start()


class LatencyPlot(QWidget):
    def __init__(self, parent: QWidget | None = None, ring: int = RING, window: float = WINDOW_S,
                 redraw_ms: int = REDRAW_MS):
        super().__init__(parent)
        self._ring_size = ring
        self.window_seconds = window
        self._rings: dict[str, Ring] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._labels: dict[str, QLabel] = {}
        self._last_state: dict[str, State] = {}
        self._seen_closed: set[str] = set()
        self._opened: set[str] = set()  # connections that were open at least once
        self._latest_t = 0.0
        self.marks: list[tuple[str, float, str, str]] = []  # (conn, t, what, label), newest last
        self.clusters: list[MarkCluster] = []  # as drawn by the last redraw
        self._count_labels: list[pg.TextItem] = []

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(redraw_ms)
        self._redraw_timer.timeout.connect(self.redraw)

        self._graph: tuple[pg.PlotWidget, pg.ScatterPlotItem] | None = None
        self._graph_slot = QWidget()  # holds the place (and the height) of the graph until it is built
        self._graph_slot.setMinimumHeight(GRAPH_MIN_HEIGHT)

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

        self.marks_key = QLabel()
        self.marks_key.setObjectName("marksKey")
        self.marks_key.setWordWrap(True)
        self.marks_key.hide()
        # every connection's figures, in a list that scrolls past a few lines: the graph
        # keeps its height however many connections there are
        stats = QWidget()
        self.stats_box = QVBoxLayout(stats)
        self.stats_box.setContentsMargins(0, 0, 0, 0)
        self.stats_box.setSpacing(0)
        self.no_data_label = QLabel("No round trips measured yet")
        self.stats_box.addWidget(self.no_data_label)
        self.stats_box.addStretch(1)
        self.stats_area = QScrollArea()
        self.stats_area.setWidget(stats)
        self.stats_area.setWidgetResizable(True)
        self.stats_area.setFrameShape(QFrame.Shape.NoFrame)
        self.stats_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_stats_area()
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 4, 0)
        head.addWidget(self.stats_area, 1)
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

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._graph_slot, 1)
        layout.addWidget(self.marks_key)
        layout.addLayout(head)
        layout.addLayout(server_row)
        layout.addWidget(self.server_table)

    def _build_graph(self) -> tuple[pg.PlotWidget, pg.ScatterPlotItem]:
        import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it

        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.setLabel("left", "round trip", units="ms")
        # values are already ms: without this pyqtgraph rescales 0.7 ms to "700 (mms)"
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.showGrid(x=True, y=True, alpha=0.2)
        # the axes follow the data (rolling window, 0 to the highest visible RTT)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.setMinimumHeight(GRAPH_MIN_HEIGHT)
        plot.getPlotItem().setContentsMargins(0, 4, 12, 0)  # room for the last time label
        show_axis_values(plot, False)
        marker_item = pg.ScatterPlotItem(size=9, pxMode=True, hoverable=True, tip=lambda x, y, data: data)
        marker_item.setZValue(10)
        plot.addItem(marker_item)
        return plot, marker_item

    def _built(self) -> tuple[pg.PlotWidget, pg.ScatterPlotItem]:
        if self._graph is None:
            self._graph = self._build_graph()
            self._layout.replaceWidget(self._graph_slot, self._graph[0])
            self._graph_slot.deleteLater()
            self._graph[0].show()  # placed now, not at the next layout pass: it is drawn on at once
            self._layout.invalidate()
            self._layout.activate()
            self._apply_palette()
        return self._graph

    @property
    def plot(self) -> pg.PlotWidget:
        return self._built()[0]

    @property
    def marker_item(self) -> pg.ScatterPlotItem:
        return self._built()[1]

    def set_window(self, seconds: float) -> None:
        self.window_seconds = float(seconds)
        i = self.window_combo.findData(self.window_seconds)
        if i >= 0 and i != self.window_combo.currentIndex():
            self.window_combo.setCurrentIndex(i)
        self._dirty()

    def _show_server_table(self, on: bool) -> None:
        self.server_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.server_table.setVisible(on)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._graph is not None:
            self._apply_palette()

    def _apply_palette(self) -> None:
        text = theme_plot(self.plot, None, self.palette())
        self.plot.setLabel("left", "round trip", units="ms", color=text.name())
        if self.marks:
            self._dirty()  # the marks' counts, in the new colour

    # ------------------------------------------------------------ input

    def ingest(self, ev: SessionEvent) -> None:
        # the codec's module loads after the first paint (start-up time)
        from inspector.protocol.events import PongMissed, RttMeasured, ServerPingAnswered, StateChanged

        if isinstance(ev, RttMeasured):
            self.add_rtt(ev.conn, ev.t, ev.rtt)
        elif isinstance(ev, PongMissed):
            self._break_line(ev.conn, ev.t)  # no round trip until a PONG comes again
            self.mark(ev.conn, ev.t, "missed", f"missed pong ×{ev.consecutive}")
        elif isinstance(ev, ServerPingAnswered):
            self.add_server_ping(ev.conn, ev.t, ev.response_time, ev.payload)
        elif isinstance(ev, StateChanged):
            if ev.state == State.OPEN:
                self._opened.add(ev.conn)
                if ev.conn in self._seen_closed:
                    self.mark(ev.conn, ev.t, "reconnect", "reconnect")
            elif ev.conn in self._opened:
                self._break_line(ev.conn, ev.t)
                if ev.state == State.CLOSED:
                    self._seen_closed.add(ev.conn)
                    self.mark(ev.conn, ev.t, "closed", f"closed {ev.code}" if ev.code is not None else "closed")
            self._last_state[ev.conn] = ev.state

    def _break_line(self, conn: str, t: float) -> None:
        """The connection is no longer open: its line stops here and starts again at the next sample."""
        ring = self._rings.get(conn)
        if ring is not None and ring.n and not np.isnan(ring.v[(ring.head - 1) % ring.cap]):
            ring.add(t, np.nan)
            self._dirty()

    def add_rtt(self, conn: str, t: float, rtt: float) -> None:
        ring = self._rings.get(conn)
        if ring is None:
            ring = self._rings[conn] = Ring(self._ring_size)
            self._add_series(conn)
        ring.add(t, rtt * 1000.0)
        self._opened.add(conn)  # a round trip means it was open, whatever we heard of its state
        self._latest_t = max(self._latest_t, t)
        self._dirty()

    def mark(self, conn: str, t: float, what: str, label: str = "") -> None:
        """A liveness mark; drawn (clustered) by the next redraw. Marks of a connection that
        never opened are left out: it has no line for them to explain."""
        if conn not in self._opened:
            return
        self.marks.append((conn, t, what, label))
        if len(self.marks) > MAX_MARKS:
            del self.marks[:len(self.marks) - MAX_MARKS]
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
        if self._graph is not None:
            for curve in self._curves.values():
                self.plot.removeItem(curve)
        for label in self._labels.values():
            row = label.parentWidget()  # the key and the figures
            if row is not None:
                self.stats_box.removeWidget(row)
                row.deleteLater()
        for store in (self._rings, self._curves, self._labels, self._last_state):
            store.clear()
        self.marks.clear()
        if self._graph is not None:
            self._draw_marks([], 0.0)
        self._seen_closed.clear()
        self._opened.clear()
        self._latest_t = 0.0
        self.server_table.setRowCount(0)
        self._server_count = 0
        self.server_label.setText("Server PINGs: none")
        self.no_data_label.show()
        self.marks_key.hide()
        self._fit_stats_area()
        if self._graph is not None:
            show_axis_values(self.plot, False)

    # ------------------------------------------------------------ output

    def series(self, conn: str) -> tuple[np.ndarray, np.ndarray]:
        """(times, rtt in ms), oldest first."""
        ring = self._rings.get(conn)
        if ring is None:
            return np.empty(0), np.empty(0)
        return ring.arrays()

    def stats(self, conn: str) -> dict[str, Any]:
        ring = self._rings.get(conn)
        v = ring.finite() if ring is not None else np.empty(0)
        if not v.size:
            return {"last": None, "p50": None, "p95": None, "p99": None, "count": 0}
        p50, p95, p99 = np.percentile(v, (50, 95, 99))
        return {"last": float(v[-1]), "p50": float(p50), "p95": float(p95), "p99": float(p99), "count": int(v.size)}

    @property
    def connections(self) -> list[str]:
        return list(self._rings)

    def _add_series(self, conn: str) -> None:
        import pyqtgraph as pg
        colour = pg.intColor(len(self._curves), hues=8)
        curve = self.plot.plot([], [], name=conn, pen=pg.mkPen(colour, width=1), connect="finite",
                               symbol="o", symbolSize=4, symbolPen=None, symbolBrush=colour)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        self._curves[conn] = curve
        label = QLabel()
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        self._labels[conn] = label
        self.no_data_label.hide()
        self.stats_box.insertWidget(self.stats_box.count() - 1, self._keyed(label, colour.name()))
        self._fit_stats_area()

    def _fit_stats_area(self) -> None:
        """A line per connection, as many as leave the graph its minimum height (up to
        STATS_LINES); the rest scroll."""
        line = self.fontMetrics().lineSpacing()
        key = self.marks_key.sizeHint().height() if self.marks_key.isVisibleTo(self) else 0
        spare = self.height() - GRAPH_MIN_HEIGHT - key - 2 * line  # the server line, spacing
        lines = min(STATS_LINES, max(1, len(self._labels)), max(1, spare // line))
        if self.stats_area.height() != lines * line + 4:
            self.stats_area.setFixedHeight(lines * line + 4)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_stats_area()

    def _keyed(self, label: QLabel, colour: str) -> QWidget:
        """``label`` after a short stroke of its line's colour: the legend, off the graph."""
        key = QLabel("━━")
        key.setObjectName("lineKey")
        key.setStyleSheet(f"color: {colour}; font-weight: bold")
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(key, 0, Qt.AlignmentFlag.AlignTop)
        box.addWidget(label, 1)
        return row

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
        show_axis_values(self.plot, True)
        for conn, ring in self._rings.items():
            t, v = ring.arrays()
            self._curves[conn].setData(*break_at_gaps(*drawable(t, v)))
            self._labels[conn].setText(self.stats_text(conn))
            self._labels[conn].setToolTip(f"{conn}: percentiles of the last {ring.n:,} round trips "
                                          f"({ring.total:,} measured)")
            shown = v[(t >= left) & np.isfinite(v)]
            if shown.size:
                top = max(top, float(shown.max()))
        self.plot.setXRange(left, right, padding=0.02)
        # from zero, so a jump from 0.6 to 0.7 ms does not look like a spike
        top = top * 1.15 if top > 0 else 1.0
        self.plot.setYRange(0.0, top, padding=0)
        pixels = max(1.0, self.plot.getViewBox().width())
        width = self.window_seconds * 1.04 * MARK_PIXELS / pixels
        self._draw_marks(cluster_marks([m for m in self.marks if m[1] >= left], width), top * MARK_HEIGHT)

    def _draw_marks(self, clusters: list[MarkCluster], y: float) -> None:
        """One symbol per cluster, its count beside it when it holds several marks."""
        import pyqtgraph as pg
        self.clusters = clusters
        spots = []
        for c in clusters:
            symbol, colour = _MARK_STYLE.get(c.what, _OTHER_STYLE)
            spots.append({"pos": (c.t, y), "symbol": symbol, "brush": pg.mkBrush(colour),
                          "pen": pg.mkPen(colour, width=1), "data": c.describe()})
        self.marker_item.setData(spots)
        self._show_marks_key(clusters)
        counted = [c for c in clusters if c.count > 1]
        while len(self._count_labels) < len(counted):
            label = pg.TextItem(anchor=(0, 1))
            self.plot.addItem(label)
            self._count_labels.append(label)
        text = self.palette().color(QPalette.ColorRole.Text)
        for label, c in zip(self._count_labels, counted, strict=False):
            label.setText(f"×{c.count}", color=text)  # reads as "this many", beside its symbol
            label.setPos(c.t, y)
            label.show()
        for label in self._count_labels[len(counted):]:
            label.hide()

    def _show_marks_key(self, clusters: list[MarkCluster]) -> None:
        """What the symbols (and the numbers beside them) along the bottom mean."""
        if not clusters:
            if self.marks_key.isVisibleTo(self):
                self.marks_key.hide()
                self._fit_stats_area()
            return
        kinds = {c.what for c in clusters}
        parts = [f'<span style="color:{_MARK_STYLE[what][1]}">{symbol}</span> {text}'
                 for what, symbol, text in _MARK_KEY if what in kinds]
        self.marks_key.setText(" · ".join(parts))
        many = any(c.count > 1 for c in clusters)
        self.marks_key.setToolTip(("×N beside a mark: N marks too close together to draw apart. " if many else "")
                                  + "Hover a mark on the graph for its times and connections.")
        if not self.marks_key.isVisibleTo(self):
            self.marks_key.show()
            self._fit_stats_area()

    def count_labels(self) -> list[str]:
        """The counts shown beside clustered marks."""
        return [label.textItem.toPlainText().lstrip("×") for label in self._count_labels if label.isVisible()]

    def stats_text(self, conn: str) -> str:
        s = self.stats(conn)
        if not s["count"]:
            return f"{conn}: no samples"
        # no-break spaces inside each figure: a narrow plot wraps between figures, never in one
        figures = (f"last {s['last']:.1f} ms", f"p50 {s['p50']:.1f}", f"p95 {s['p95']:.1f}", f"p99 {s['p99']:.1f} ms")
        return f"{conn}: " + " · ".join(f.replace(" ", "\u00a0") for f in figures)
