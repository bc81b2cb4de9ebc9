"""The log's Time column as wall-clock time (the model's text) or as seconds since
the first frame in the log, chosen from the column header's menu.

A delegate, not a second model column: the text is made only for the cells painted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QStyledItemDelegate, QWidget

from inspector.qt.log.model import COL_TIME, LogModel

if TYPE_CHECKING:  # log_rows loads when a session store backs the log, not at start-up
    from PySide6.QtWidgets import QStyleOptionViewItem  # its class is made at the first cell painted

    from inspector.logstore.log_rows import Rows

WALL = "wall"
RELATIVE = "relative"
TIME_MODES = ((WALL, "Wall-clock time"), (RELATIVE, "Seconds since the first frame"))


class TimeDelegate(QStyledItemDelegate):
    def __init__(self, store: Rows, model: LogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.model = model
        self.mode = WALL
        self.origin: float | None = None  # the first frame's time; None after a clear

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        if self.mode == RELATIVE and index.column() == COL_TIME:  # the log's delegate for every column
            text = self.relative_text(index.row())
            if text is not None:
                option.text = text

    def relative_text(self, row: int) -> str | None:
        """Row ``row``'s time as seconds since the first frame (None: not readable yet)."""
        i = self.model.store_index(row)
        if i is None:
            return None
        if self.origin is None:
            first = self.store.index_of(self.store.first_number)
            if first is None:  # the oldest row is not readable yet (the store is writing it)
                return None
            self.origin = self.store.t(first)
        return relative_time(self.store.t(i) - self.origin)


def relative_time(seconds: float) -> str:
    return f"{seconds:,.3f} s"
