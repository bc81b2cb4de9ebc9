"""LatencyPlot: rings, stats, markers, server pings, lazy redraw."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.protocol.events import PongMissed, RttMeasured, ServerPingAnswered, State, StateChanged
from inspector.qt.latency.latency_plot import LatencyPlot, Ring

T0 = 1_764_300_000.0


@pytest.fixture
def plot(qtbot):
    p = LatencyPlot(ring=8, redraw_ms=5)
    qtbot.addWidget(p)
    p.resize(600, 400)
    p.show()
    return p


def test_stats_in_milliseconds(plot):
    assert plot.stats("c1")["count"] == 0 and plot.stats("c1")["last"] is None
    for i, rtt in enumerate([0.010, 0.020, 0.030, 0.040, 0.005]):
        plot.add_rtt("c1", T0 + i, rtt)
    s = plot.stats("c1")
    assert s["count"] == 5 and s["last"] == pytest.approx(5.0)
    assert s["p50"] == pytest.approx(20.0)
    assert s["p95"] == pytest.approx(np.percentile([10, 20, 30, 40, 5], 95))
    assert s["p99"] == pytest.approx(np.percentile([10, 20, 30, 40, 5], 99))
    assert s["p50"] <= s["p95"] <= s["p99"] <= 40.0


def test_ring_wraps_around_keeping_the_newest(plot):
    for i in range(13):
        plot.add_rtt("c1", T0 + i, i / 1000)
    t, v = plot.series("c1")
    assert t.tolist() == [T0 + i for i in range(5, 13)]
    assert v.tolist() == pytest.approx([float(i) for i in range(5, 13)])
    assert plot.stats("c1")["count"] == 8 and plot.stats("c1")["last"] == pytest.approx(12.0)
    assert plot.stats("c1")["p50"] == pytest.approx(8.5)


def test_ring_alone():
    r = Ring(3)
    assert r.last() is None and r.arrays()[0].size == 0
    for i in range(7):
        r.add(i, i * 10)
    assert r.arrays()[1].tolist() == [40, 50, 60] and r.total == 7 and r.last() == 60


def test_connections_are_separate(plot):
    plot.add_rtt("a", T0, 0.001)
    plot.add_rtt("b", T0, 0.002)
    plot.add_rtt("b", T0 + 1, 0.004)
    assert plot.connections == ["a", "b"]
    assert plot.stats("a")["count"] == 1 and plot.stats("b")["count"] == 2


def test_redraw_only_when_dirty(plot, qtbot):
    assert not plot._redraw_timer.isActive()
    plot.add_rtt("c1", T0, 0.012)
    plot.add_rtt("c1", T0 + 1, 0.014)
    assert plot._redraw_timer.isActive()
    qtbot.waitUntil(lambda: not plot._redraw_timer.isActive(), timeout=2000)
    x, y = plot._curves["c1"].getData()
    assert x.tolist() == [T0, T0 + 1] and y.tolist() == pytest.approx([12.0, 14.0])
    assert plot._labels["c1"].text().replace("\u00a0", " ").startswith("c1: last 14.0 ms · p50 13.0")
    assert "2 round trips" in plot._labels["c1"].toolTip()
    assert plot.no_data_label.isHidden()
    (left, right), _ = plot.plot.getViewBox().viewRange()
    assert left < T0 and right >= T0 + 1 and right - left >= plot.window_seconds


def test_ingest_marks_missed_closed_and_reconnect(plot):
    for ev in [
        StateChanged("c1", T0, State.CONNECTING),
        StateChanged("c1", T0 + 1, State.OPEN),      # first open: not a reconnect
        RttMeasured("c1", T0 + 2, 0.003),
        PongMissed("c1", T0 + 3, 1),
        StateChanged("c1", T0 + 4, State.CLOSED, code=1001, reason="server restart"),
        StateChanged("c1", T0 + 5, State.WAITING, attempt=1, delay=0.5),
        StateChanged("c1", T0 + 6, State.OPEN),
    ]:
        plot.ingest(ev)
    assert [(m[1], m[2]) for m in plot.marks] == [(T0 + 3, "missed"), (T0 + 4, "closed"), (T0 + 6, "reconnect")]
    assert plot.marks[1][3] == "closed 1001" and plot.marks[0][3] == "missed pong ×1"
    plot.redraw()
    assert sum(c.count for c in plot.clusters) == 3 and len(plot.marker_item.points()) == len(plot.clusters)
    assert plot.stats("c1")["count"] == 1


def test_server_pings_listed(plot):
    plot.ingest(ServerPingAnswered("c1", T0, b"\x01\x02", 0.0004))
    plot.add_server_ping("c2", T0 + 30, 0.0012)
    assert plot.server_table.rowCount() == 2
    assert plot.server_table.item(0, 1).text() == "c2" and plot.server_table.item(0, 3).text() == "1.20 ms"
    assert plot.server_table.item(1, 2).text() == "0102"
    assert plot.server_label.text() == "Server PINGs: 2, last answered in 1.20 ms"


def test_axis_is_in_plain_milliseconds(plot, qtbot):
    plot.add_rtt("c1", T0, 0.0007)  # 0.7 ms: pyqtgraph's SI prefix would make it "700 (mms)"
    plot.redraw()
    axis = plot.plot.getAxis("left")
    assert "mms" not in axis.labelString() and "round trip (ms)" in axis.labelString()
    assert axis.autoSIPrefixScale == 1.0
    _, (bottom, top) = plot.plot.getViewBox().viewRange()
    assert bottom == pytest.approx(0.0) and 0.7 < top < 1.0  # from zero to just above the sample


def test_rolling_window_defaults_to_a_minute_and_can_be_changed(plot):
    assert plot.window_seconds == 60.0 and plot.window_combo.currentData() == 60.0
    plot.add_rtt("c1", T0, 0.001)
    plot.add_rtt("c1", T0 + 600, 0.001)
    plot.redraw()
    (left, right), _ = plot.plot.getViewBox().viewRange()
    assert right >= T0 + 600 and 60 <= right - left < 70
    plot.window_combo.setCurrentIndex(plot.window_combo.findText("15 min"))
    assert plot.window_seconds == 900.0
    plot.redraw()
    (left, right), _ = plot.plot.getViewBox().viewRange()
    assert 900 <= right - left < 1000 and left < T0


def test_colours_follow_the_palette(plot):
    from PySide6.QtGui import QColor, QPalette
    pal = plot.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor(30, 30, 32))
    pal.setColor(QPalette.ColorRole.Text, QColor(225, 225, 225))
    plot.setPalette(pal)
    assert plot.plot.backgroundBrush().color() == QColor(30, 30, 32)
    assert plot.plot.getAxis("left").textPen().color() == QColor(225, 225, 225)


def test_server_ping_table_is_folded_away_until_asked_for(plot):
    assert plot.server_table.isHidden()
    plot.add_server_ping("c1", T0, 0.0004)
    assert plot.server_table.isHidden() and plot.server_label.text().startswith("Server PINGs: 1")
    plot.server_toggle.click()
    assert plot.server_table.isVisible() and plot.server_table.rowCount() == 1


def test_clear_forgets_series_marks_and_server_pings(plot, qtbot):
    plot.ingest(RttMeasured("c1", T0, 0.003))
    plot.ingest(StateChanged("c1", T0 + 1, State.CLOSED, code=1001))
    plot.ingest(ServerPingAnswered("c1", T0 + 2, b"\x01", 0.0004))
    plot.redraw()
    curve = plot._curves["c1"]
    assert len(plot.marker_item.points()) == 1
    plot.clear()
    items = plot.plot.getPlotItem().items
    assert plot.connections == [] and plot.marks == [] and plot.server_table.rowCount() == 0
    assert curve not in items and len(plot.marker_item.points()) == 0
    assert [i for i in plot.plot.getPlotItem().listDataItems() if i is not plot.marker_item] == []
    assert plot.no_data_label.isVisibleTo(plot) and plot.server_label.text() == "Server PINGs: none"
    plot.ingest(RttMeasured("c1", T0 + 3, 0.005))  # and starts again cleanly
    assert plot.stats("c1")["count"] == 1 and plot.stats("c1")["last"] == 5.0
    plot.redraw()
    assert len([i for i in plot.plot.getPlotItem().listDataItems() if i.name() == "c1"]) == 1


def test_connection_keys_take_the_new_palette(plot):
    """The connections' figures are their legend; the text around the colour key follows the palette."""
    from PySide6.QtGui import QColor, QPalette
    plot.add_rtt("c1", T0, 0.001)
    plot.redraw()
    pal = plot.palette()
    pal.setColor(QPalette.ColorRole.Text, QColor(225, 225, 225))
    plot.setPalette(pal)
    label = plot._labels["c1"]
    assert label.palette().color(QPalette.ColorRole.WindowText) == pal.color(QPalette.ColorRole.WindowText)
    assert plot.plot.getAxis("left").textPen().color() == QColor(225, 225, 225)
