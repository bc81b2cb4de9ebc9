"""LatencyPlot liveness marks: compact symbols that cluster, a line broken where the
connection was not open, nothing for a connection that never opened."""

from __future__ import annotations

import math

import pyqtgraph as pg
import pytest

from inspector.protocol.events import PongMissed, RttMeasured, State, StateChanged
from inspector.qt.latency.latency_plot import LatencyPlot

T0 = 1_764_300_000.0


@pytest.fixture
def plot(qtbot):
    p = LatencyPlot(ring=256, redraw_ms=5)
    qtbot.addWidget(p)
    p.resize(600, 400)
    p.show()
    return p


def _open_with_rtt(plot: LatencyPlot, conn: str = "c1") -> None:
    plot.ingest(StateChanged(conn, T0, State.CONNECTING))
    plot.ingest(StateChanged(conn, T0 + 0.1, State.OPEN))
    plot.ingest(RttMeasured(conn, T0 + 0.5, 0.002))


def test_fifty_closes_in_two_seconds_make_a_few_counted_symbols(plot):
    _open_with_rtt(plot)
    for i in range(50):
        t = T0 + 10 + i * 0.04
        plot.ingest(StateChanged("c1", t, State.CLOSED, code=1011, reason="internal error"))
        plot.ingest(StateChanged("c1", t + 0.01, State.WAITING, attempt=i + 1, delay=0.01))
        plot.ingest(StateChanged("c1", t + 0.02, State.OPEN))
    plot.redraw()
    assert len(plot.marks) == 100  # every close and reconnect is kept
    assert 1 <= len(plot.marker_item.points()) <= 3
    assert sum(c.count for c in plot.clusters) == 100
    assert max(int(n) for n in plot.count_labels()) >= 50
    # no full-height lines or vertical labels any more
    assert not [i for i in plot.plot.getPlotItem().items if isinstance(i, pg.InfiniteLine)]
    # a close outranks a reconnect in the symbol; the details are in the hover text
    biggest = max(plot.clusters, key=lambda c: c.count)
    assert biggest.what == "closed"
    assert "c1: closed 1011" in biggest.describe() and "more" in biggest.describe()


def test_marks_apart_keep_their_own_symbols(plot):
    _open_with_rtt(plot)
    plot.ingest(PongMissed("c1", T0 + 5, 1))
    plot.ingest(StateChanged("c1", T0 + 30, State.CLOSED, code=1001))
    plot.redraw()
    assert len(plot.marker_item.points()) == 2 and plot.count_labels() == []
    # the symbols sit along the bottom of the graph, not over the legend at the top
    _, (bottom, top) = plot.plot.getViewBox().viewRange()
    assert all(p.pos().y() < bottom + (top - bottom) * 0.1 for p in plot.marker_item.points())


def test_line_breaks_where_the_connection_was_not_open(plot):
    _open_with_rtt(plot)
    plot.ingest(RttMeasured("c1", T0 + 1.5, 0.003))
    plot.ingest(StateChanged("c1", T0 + 2, State.CLOSED, code=1006))
    plot.ingest(StateChanged("c1", T0 + 2.1, State.WAITING, attempt=1, delay=1.0))
    plot.ingest(StateChanged("c1", T0 + 3.5, State.OPEN))
    plot.ingest(RttMeasured("c1", T0 + 4, 0.004))
    plot.redraw()
    t, v = plot.series("c1")
    assert [x for x in v.tolist() if not math.isnan(x)] == pytest.approx([2.0, 3.0, 4.0])
    gap = [i for i, x in enumerate(v.tolist()) if math.isnan(x)]
    assert len(gap) == 1 and t[gap[0]] == T0 + 2  # between the last sample before and the first after
    assert plot._curves["c1"].opts["connect"] == "finite"
    s = plot.stats("c1")
    assert s["count"] == 3 and s["last"] == pytest.approx(4.0)


def test_a_connection_that_never_opened_is_not_plotted(plot):
    _open_with_rtt(plot, "c1")
    for i in range(5):  # refused again and again
        plot.ingest(StateChanged("c2", T0 + i, State.CONNECTING))
        plot.ingest(StateChanged("c2", T0 + i + 0.1, State.CLOSED, message="connection refused"))
        plot.ingest(StateChanged("c2", T0 + i + 0.2, State.WAITING, attempt=i + 1, delay=0.5))
    plot.redraw()
    assert plot.connections == ["c1"]
    assert not [m for m in plot.marks if m[0] == "c2"]
    assert len(plot.marker_item.points()) == 0
