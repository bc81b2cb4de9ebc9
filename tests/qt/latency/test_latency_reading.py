"""The latency graph reads true: the line breaks across an outage, the marks' symbols and
numbers are explained under the graph, every connection is keyed without covering the
lines, and an empty graph has no made-up axis values."""

from __future__ import annotations

import math

import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QLabel

from inspector.protocol.events import PongMissed, RttMeasured, State, StateChanged
from inspector.qt.latency.latency_plot import LatencyPlot

T0 = 1_764_300_000.0


@pytest.fixture
def plot(qtbot):
    p = LatencyPlot(ring=512, redraw_ms=5, window=900.0)
    qtbot.addWidget(p)
    p.resize(700, 420)
    p.show()
    qtbot.waitExposed(p)
    return p


def _drawn(plot: LatencyPlot, conn: str) -> tuple[list[float], list[float]]:
    x, y = plot._curves[conn].getData()
    return list(x), list(y)


def _open(plot: LatencyPlot, conn: str, t: float) -> None:
    plot.ingest(StateChanged(conn, t, State.CONNECTING))
    plot.ingest(StateChanged(conn, t + 0.05, State.OPEN))


def test_the_line_breaks_across_an_outage_with_no_close_seen(plot, qtbot):
    _open(plot, "c1", T0)
    for i in range(10):
        plot.ingest(RttMeasured("c1", T0 + 1 + i, 0.002))
    for i in range(10):  # a minute later: nothing measured in between, the socket never closed
        plot.ingest(RttMeasured("c1", T0 + 70 + i, 0.003))
    with qtbot.waitSignal(plot._redraw_timer.timeout, timeout=1000):
        pass
    x, y = _drawn(plot, "c1")
    gap = [i for i, v in enumerate(y) if math.isnan(v)]
    assert len(gap) == 1 and x[gap[0] - 1] == T0 + 10 and x[gap[0] + 1] == T0 + 70
    assert plot.stats("c1")["count"] == 20  # the break is drawn, not counted


def test_a_missed_pong_breaks_the_line(plot):
    _open(plot, "c1", T0)
    plot.ingest(RttMeasured("c1", T0 + 1, 0.002))
    plot.ingest(PongMissed("c1", T0 + 6, 1))
    plot.ingest(RttMeasured("c1", T0 + 30, 0.002))
    plot.redraw()
    _, y = _drawn(plot, "c1")
    assert math.isnan(y[1]) and y[0] == y[2] == pytest.approx(2.0)


def test_the_marks_and_their_numbers_are_explained(plot, qtbot):
    _open(plot, "c1", T0)
    plot.ingest(RttMeasured("c1", T0 + 0.5, 0.002))
    assert not plot.marks_key.isVisible()
    for i in range(5):  # five closes and reconnects within a second: one symbol, "10" beside it
        plot.ingest(StateChanged("c1", T0 + 1 + i * 0.1, State.CLOSED, code=1006))
        plot.ingest(StateChanged("c1", T0 + 1.05 + i * 0.1, State.OPEN))
    plot.ingest(PongMissed("c1", T0 + 300, 1))
    plot.redraw()
    assert "10" in plot.count_labels()
    key = plot.marks_key
    assert key.isVisible() and key.geometry().top() >= plot.plot.geometry().bottom()  # under the graph
    text = key.text()
    assert "closed" in text and "missed PONG" in text and "reconnected" not in text  # the symbols shown
    assert "×N beside a mark: N marks" in key.toolTip()
    shown = [label.textItem.toPlainText() for label in plot._count_labels if label.isVisible()]
    assert shown == ["×10"]  # "this many", beside the symbol
    assert plot.clusters[0].describe().startswith("×10: 10 marks too close together")  # its hover tip


def test_every_connection_is_keyed_and_nothing_covers_the_lines(plot, qtbot):
    conns = [f"c{i}" for i in range(1, 7)]
    for n, conn in enumerate(conns):
        _open(plot, conn, T0)
        plot.ingest(RttMeasured(conn, T0 + 1, 0.001 * (n + 1)))
    plot.redraw()
    qtbot.waitUntil(lambda: all(label.isVisible() for label in plot._labels.values()), timeout=1000)
    assert not [i for i in plot.plot.scene().items() if isinstance(i, pg.LegendItem)]
    colours = {conn: plot._curves[conn].opts["pen"].color().name() for conn in conns}
    assert len(set(colours.values())) == len(conns)
    for conn in conns:
        label = plot._labels[conn]
        key = label.parentWidget().findChild(QLabel, "lineKey")
        assert label.text().startswith(f"{conn}: last")
        assert key.isVisible() and colours[conn] in key.styleSheet()
    # in the room a 1024×700 window gives it, the graph keeps its height and every
    # connection's key can be scrolled to
    plot.resize(360, 230)
    qtbot.waitUntil(lambda: plot.plot.height() >= 100, timeout=1000)
    assert plot.stats_area.geometry().top() >= plot.plot.geometry().bottom()
    for conn in conns:
        row = plot._labels[conn].parentWidget()
        plot.stats_area.ensureWidgetVisible(row, 0, 0)
        qtbot.waitUntil(lambda r=row: not r.visibleRegion().isEmpty(), timeout=1000)


def test_an_empty_graph_has_no_axis_values_until_data(plot):
    axes = [plot.plot.getAxis(name) for name in ("left", "bottom")]
    assert not any(a.style["showValues"] for a in axes)
    plot.add_rtt("c1", T0, 0.001)
    plot.redraw()
    assert all(a.style["showValues"] for a in axes)
    plot.clear()
    assert not any(a.style["showValues"] for a in axes)
