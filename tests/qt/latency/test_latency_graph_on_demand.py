"""The latency graph is built by its first round trip: the window paints without pyqtgraph."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette

from inspector.qt.latency.latency_plot import LatencyPlot

T0 = 1_764_300_000.0


def test_no_graph_until_the_first_round_trip_then_one_in_the_palette(qtbot):
    plot = LatencyPlot(redraw_ms=5)
    qtbot.addWidget(plot)
    with qtbot.waitExposed(plot):
        plot.show()
    plot.clear()  # no graph yet: nothing to clear, and clearing builds none
    assert plot.findChildren(pg.PlotWidget) == []
    pal = QPalette(plot.palette())
    pal.setColor(QPalette.ColorRole.Base, QColor(30, 30, 32))
    plot.setPalette(pal)  # a palette change before the graph exists is applied when it is built

    plot.add_rtt("c1", T0, 0.004)
    graphs = plot.findChildren(pg.PlotWidget)
    assert graphs == [plot.plot]
    qtbot.waitUntil(lambda: plot.plot.isVisible())
    assert plot.plot.backgroundBrush().color() == QColor(30, 30, 32)
    qtbot.waitUntil(lambda: plot._curves["c1"].getData()[1] is not None)
    assert plot._curves["c1"].getData()[1].tolist() == [4.0]
