"""Breakpoints and the held frames they park: a form that makes a hold rule, and the queue of
held frames with Forward, Edit (the body as JSON, or the payload as hex), Drop and Forward all.
A held frame whose pair ends stays listed, greyed, as discarded."""

from __future__ import annotations

import base64
import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.protocol.frames import encode_body
from inspector.proxy.pair_names import pair_conn
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.proxy.proxy_ops import breakpoint_rule

HELD_COLUMNS = ("#", "Pair", "Direction", "Kind", "Size", "State", "Payload")
DIRECTIONS = (("both directions", ""), ("client → server", "c2s"), ("server → client", "s2c"))
EDIT_MODES = (("JSON body", "json"), ("Hex payload", "hex"))


def arrow(direction: str) -> str:
    return "client → server" if direction == "c2s" else "server → client"


def preview(payload: bytes) -> str:
    body = payload[1:]
    try:
        return body.decode("utf-8")[:200]
    except UnicodeDecodeError:
        return payload[:64].hex(" ")


def edited_payload(original: bytes, mode: str, text: str) -> bytes:
    """The payload an edit makes: the kind byte kept and the JSON body replaced, or the hex whole.
    ValueError when the text is not JSON (or hex)."""
    if mode == "hex":
        return bytes.fromhex(text)
    body = json.loads(text)
    return encode_body(original[0], body) if original else encode_body(0, body)[1:]


class BreakpointForm(QWidget):
    """Direction, kinds, topic and filter; ``add`` gives the hold rule's line."""

    add = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.direction = QComboBox()
        for label, key in DIRECTIONS:
            self.direction.addItem(label, key)
        self.direction.setCurrentIndex(2)
        self.kinds = QLineEdit("EVENT")
        self.kinds.setPlaceholderText("kinds: EVENT,ERROR (empty: any)")
        self.topic = QLineEdit()
        self.topic.setPlaceholderText("topic glob")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter: data.total > `100`")
        self.liveness = QCheckBox("hold PING/PONG too")
        self.liveness.setToolTip("Off: PING and PONG are never held, because holding them skews latency")
        self.add_button = QPushButton("Add breakpoint")
        self.add_button.clicked.connect(lambda: self.add.emit(self.rule_text()))
        flow = FlowLayout(self)
        for w in (self.direction, self.kinds, self.topic):
            flow.addWidget(w)
        flow.add_filling(self.filter)
        flow.addWidget(self.liveness)
        flow.addWidget(self.add_button)

    def rule_text(self) -> str:
        return breakpoint_rule(self.direction.currentData(), self.kinds.text(), self.topic.text(),
                               self.filter.text(), self.liveness.isChecked())


class HeldQueue(QWidget):
    forward = Signal(int, object)  # held id, the edited payload (None: as it was)
    drop = Signal(int)
    forward_all = Signal()
    problem = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = 1  # the number of the proxy whose frames these are (names its pairs)
        self._shown: dict[int, dict[str, Any]] = {}
        self._discarded: set[int] = set()
        self._items: dict[int, QTableWidgetItem] = {}  # each held frame's first cell (its row, as rows move)
        self.redraws = 0  # times the whole table was drawn again (many changes at once)
        self.table = QTableWidget(0, len(HELD_COLUMNS))
        self.table.setHorizontalHeaderLabels(HELD_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(len(HELD_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.forward_button = QPushButton("Forward")
        self.edit_button = QPushButton("Edit")
        self.drop_button = QPushButton("Drop")
        self.forward_all_button = QPushButton("Forward all")
        self.mode = QComboBox()
        for label, key in EDIT_MODES:
            self.mode.addItem(label, key)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Edit a held frame: its body as JSON, or its payload as hex")
        self.editor.setMaximumHeight(90)
        self.send_edited_button = QPushButton("Forward edited")
        buttons = QHBoxLayout()
        for b in (self.forward_button, self.edit_button, self.drop_button, self.forward_all_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.mode)
        buttons.addWidget(self.send_edited_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.editor)
        self.forward_button.clicked.connect(self._forward)
        self.edit_button.clicked.connect(self.edit_selected)
        self.drop_button.clicked.connect(self._drop)
        self.forward_all_button.clicked.connect(self.forward_all)
        self.send_edited_button.clicked.connect(self._forward_edited)
        self.mode.currentIndexChanged.connect(self.edit_selected)
        self._editing: int | None = None

    # ------------------------------------------------------------ what the proxy holds
    # One row per change (a frame parked, forwarded, dropped, discarded), not the whole table:
    # a breakpoint on a busy topic may hold thousands of frames.
    REBUILD_OVER = 16  # changes at once past which one redraw of the table is cheaper

    def add_held(self, held: list[dict[str, Any]]) -> None:
        """Frames just parked (ids rising: they go at the end)."""
        for h in held:
            held_id = int(h["id"])
            self._shown[held_id] = h
            row = self.table.rowCount()
            self.table.insertRow(row)
            self._set_row(row, held_id, h)
        if not self.table.selectedItems() and self.table.rowCount():
            self.table.selectRow(0)

    def remove_held(self, ids: list[int]) -> None:
        """Frames forwarded or dropped."""
        gone = [i for i in ids if i in self._shown and i not in self._discarded]
        for held_id in gone:
            del self._shown[held_id]
        if len(gone) > self.REBUILD_OVER:
            self._fill()
            return
        for held_id in gone:
            item = self._items.pop(held_id, None)
            if item is not None:
                self.table.removeRow(item.row())

    def mark_discarded(self, ids: list[int]) -> None:
        self._discarded.update(ids)
        if len(ids) > self.REBUILD_OVER:
            self._fill()
            return
        for held_id in ids:
            item = self._items.get(held_id)
            if item is not None:
                self._set_row(item.row(), held_id, self._shown[held_id])

    def state_of(self, held_id: int) -> str | None:
        if held_id not in self._shown:
            return None
        return "discarded" if held_id in self._discarded else "held"

    def _fill(self) -> None:
        self.redraws += 1
        selected = self.selected_id()
        self._items.clear()
        self.table.setRowCount(len(self._shown))
        for row, (held_id, h) in enumerate(sorted(self._shown.items())):
            self._set_row(row, held_id, h)
            if held_id == selected:
                self.table.selectRow(row)
        if selected is None and self._shown:
            self.table.selectRow(0)

    def _set_row(self, row: int, held_id: int, h: dict[str, Any]) -> None:
        payload = base64.b64decode(h["payload_b64"])
        gone = held_id in self._discarded
        cells = (str(held_id), pair_conn(int(h['conn']), self.proxy), arrow(h["direction"]), h["kind"], str(h["size"]),
                 "discarded" if gone else "held", preview(payload))
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, held_id)
            if gone:
                item.setForeground(QColor("#888"))
                item.setToolTip("its connection closed before it was forwarded")
            self.table.setItem(row, col, item)
            if col == 0:
                self._items[held_id] = item

    def selected_id(self) -> int | None:
        items = self.table.selectedItems()
        return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select(self, held_id: int) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == held_id:
                self.table.selectRow(row)

    def _live_selected(self) -> int | None:
        held_id = self.selected_id()
        if held_id is None or held_id in self._discarded:
            self.problem.emit("select a held frame first" if held_id is None else "that frame was discarded")
            return None
        return held_id

    # ------------------------------------------------------------ actions
    def _forward(self) -> None:
        held_id = self._live_selected()
        if held_id is not None:
            self.forward.emit(held_id, None)

    def _drop(self) -> None:
        held_id = self.selected_id()
        if held_id in self._discarded:  # clear it from the list
            self._discarded.discard(held_id)
            self._shown.pop(held_id, None)
            item = self._items.pop(held_id, None)
            if item is not None:
                self.table.removeRow(item.row())
        elif held_id is not None:
            self.drop.emit(held_id)

    def edit_selected(self) -> None:
        held_id = self.selected_id()
        if held_id is None:
            return
        self._editing = held_id
        payload = base64.b64decode(self._shown[held_id]["payload_b64"])
        if self.mode.currentData() == "hex":
            self.editor.setPlainText(payload.hex(" "))
            return
        try:
            self.editor.setPlainText(json.dumps(json.loads(payload[1:]), indent=2, ensure_ascii=False))
        except ValueError:
            self.mode.setCurrentIndex(1)  # not JSON: hex it is

    def _forward_edited(self) -> None:
        held_id = self._editing
        if held_id is None or held_id not in self._shown or held_id in self._discarded:
            self.problem.emit("press Edit on a held frame first")
            return
        original = base64.b64decode(self._shown[held_id]["payload_b64"])
        try:
            payload = edited_payload(original, self.mode.currentData(), self.editor.toPlainText())
        except ValueError as exc:
            self.problem.emit(f"cannot forward the edit: {exc}")
            return
        self._editing = None
        self.editor.clear()
        self.forward.emit(held_id, payload)
