"""Kind colours and small icons shared by the log and the detail pane."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF

from inspector.logstore.query import KIND_SESSION
from inspector.protocol.kinds import Kind

KIND_COLOURS: dict[int, str] = {
    Kind.SUBSCRIBE: "#2563eb",
    Kind.UNSUBSCRIBE: "#7c3aed",
    Kind.EVENT: "#16a34a",
    Kind.PING: "#0891b2",
    Kind.PONG: "#0d9488",
    Kind.ERROR: "#dc2626",
    KIND_SESSION: "#64748b",  # connection events
}
OTHER_COLOUR = "#d97706"

# Translucent so the same tints read on light and dark palettes.
ERROR_BACKGROUND = QColor(220, 38, 38, 90)
UNDECODABLE_BACKGROUND = QColor(217, 119, 6, 80)
GAP_BACKGROUND = QColor(234, 179, 8, 90)


def kind_colour(kind: int) -> QColor:
    return QColor(KIND_COLOURS.get(kind, OTHER_COLOUR))


@cache
def kind_brush(kind: int) -> QBrush:
    return QBrush(kind_colour(kind))


@cache
def kind_icon(kind: int) -> QIcon:
    """A filled disc in the kind's colour (square for unknown kinds)."""
    pm = QPixmap(12, 12)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(kind_colour(kind))
    if kind in KIND_COLOURS:
        p.drawEllipse(1, 1, 10, 10)
    else:
        p.drawRect(1, 1, 10, 10)
    p.end()
    return QIcon(pm)


# Toolbar icons, drawn here in mid-tone colours that read on the light and the dark
# palette alike (a theme's or Qt's built-in icons are dark grey: invisible on dark).
TOOL_COLOURS = {  # each at least 3:1 against both palettes' window colour
    "connect": "#15913f", "reconnect": "#2f7cf6", "disconnect": "#e53e3e", "pause": "#c46a06",
    "clear": "#a855f7", "find": "#0b8fb0", "record": "#e53e3e",
}


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _draw(name: str, p: QPainter, colour: QColor) -> None:
    """One 24×24 glyph."""
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    if name == "connect":
        p.drawPolygon(QPolygonF([QPointF(6, 4), QPointF(20, 12), QPointF(6, 20)]))
    elif name == "disconnect":
        p.drawRoundedRect(QRectF(5, 5, 14, 14), 2, 2)
    elif name == "pause":
        p.drawRect(QRectF(6, 4, 4.5, 16))
        p.drawRect(QRectF(13.5, 4, 4.5, 16))
    elif name == "record":
        p.drawEllipse(QRectF(4, 4, 16, 16))
    elif name == "reconnect":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(_pen(colour, 2.6))
        p.drawArc(QRectF(4, 4, 16, 16), 60 * 16, 280 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(QPolygonF([QPointF(12, 1), QPointF(18, 5), QPointF(12, 9)]))
    elif name == "clear":
        p.setPen(_pen(colour, 3.0))
        p.drawLine(QPointF(6, 6), QPointF(18, 18))
        p.drawLine(QPointF(18, 6), QPointF(6, 18))
    elif name == "find":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(_pen(colour, 2.6))
        p.drawEllipse(QRectF(4, 4, 11, 11))
        p.setPen(_pen(colour, 3.4))
        p.drawLine(QPointF(14, 14), QPointF(20, 20))
    else:
        raise ValueError(f"no toolbar icon named {name!r}")


@cache
def tool_icon(name: str) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        _draw(name, p, QColor(TOOL_COLOURS[name]))
        p.end()
        icon.addPixmap(pm)
    return icon
