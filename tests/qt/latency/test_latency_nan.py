"""A connection whose visible samples are all gaps: the graph paints it without numpy's
All-NaN warnings (warnings fail the tests, also those raised while Qt paints)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from inspector.protocol.events import State, StateChanged
from inspector.qt.latency.latency_plot import LatencyPlot, drawable


@pytest.fixture
def plot(qtbot):
    p = LatencyPlot(redraw_ms=5)
    qtbot.addWidget(p)
    p.resize(800, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


def _paint(plot, qtbot) -> None:
    plot.redraw()
    qtbot.wait(1)  # the scene's paint and bounds run from the event loop
    plot.grab()


def test_a_connection_down_for_the_whole_window_paints_cleanly(plot, qtbot):
    now = time.time()
    plot.ingest(StateChanged("c1", now - 300, State.OPEN))
    for i in range(100):
        plot.add_rtt("c1", now - 300 + i, 0.001)
    plot.ingest(StateChanged("c1", now - 150, State.CLOSED, code=1006))  # down since, out of view
    plot.ingest(StateChanged("c2", now - 20, State.OPEN))
    for i in range(10):
        plot.add_rtt("c2", now - 20 + i, 0.002)
    _paint(plot, qtbot)
    plot.ingest(StateChanged("c1", now - 5, State.OPEN))  # back, no round trip yet; a mark in view
    plot.mark("c1", now - 4, "missed", "missed pong ×1")
    _paint(plot, qtbot)
    assert plot.stats("c1")["count"] == 100 and np.isnan(plot.series("c1")[1][-1])


def test_only_the_gaps_after_the_last_round_trip_are_left_out():
    t = np.arange(5.0)
    v = np.array([1.0, np.nan, 2.0, np.nan, np.nan])
    dt, dv = drawable(t, v)
    assert dt.tolist() == [0.0, 1.0, 2.0] and np.isnan(dv[1])  # the gap inside still breaks the line
    assert drawable(t[:2], np.array([np.nan, np.nan]))[0].size == 0
