"""A pyqtgraph plot in the colours of the Qt palette (light or dark)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QPalette

if TYPE_CHECKING:
    import pyqtgraph as pg


def theme_plot(plot: pg.PlotWidget, legend: pg.LegendItem | None, pal: QPalette) -> QColor:
    """Background, axes and legend text of ``plot`` from ``pal``; the text colour, for the rest."""
    text = pal.color(QPalette.ColorRole.Text)
    plot.setBackground(pal.color(QPalette.ColorRole.Base))
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setTextPen(text)
        axis.setPen(pal.color(QPalette.ColorRole.Mid))
    if legend is not None:
        legend.setLabelTextColor(text)
    return text


def show_axis_values(plot: pg.PlotWidget, on: bool) -> None:
    """Tick values only on a graph with data: an empty one would label its axes 0.25, 0.5…"""
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        if axis.style.get("showValues") != on:  # setStyle re-lays the axis out: only on a change (redraws call this)
            axis.setStyle(showValues=on)
