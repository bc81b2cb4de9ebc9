"""Kind colours and small icons shared by the log and the detail pane."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from inspector.logstore.frame_store import KIND_SESSION
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


@lru_cache(maxsize=None)
def kind_brush(kind: int) -> QBrush:
    return QBrush(kind_colour(kind))


@lru_cache(maxsize=None)
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
