"""Table rows refreshed in place: an item's text set only when it changed, so a periodic
refresh neither flickers nor loses the selection."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def set_row(table: QTableWidget, row: int, texts: Iterable[str]) -> None:
    for col, text in enumerate(texts):
        item = table.item(row, col)
        if item is None:
            table.setItem(row, col, QTableWidgetItem(text))
        elif item.text() != text:
            item.setText(text)
