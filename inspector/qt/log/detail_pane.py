"""Detail pane for one frame: hex dump, decoded JSON tree, decode errors, copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.logstore.query import KIND_EMPTY, KIND_TEXT
from inspector.protocol.states import OUT
from inspector.qt.log.model import format_time

# contracts and decoders load with a profile that has them, after the first paint; the codec and
# what shows a frame's parts (hexdump, session_rows) once the window has painted
if TYPE_CHECKING:
    from inspector.payloads.contract import Violation
    from inspector.payloads.decoders import Outcome
    from inspector.payloads.lens import Reading
    from inspector.protocol.events import SessionEvent

MAX_TREE_NODES = 5000
MAX_CELL = 300
_DIRECTION = {OUT: "→ client to server", "in": "← server to client"}


class DetailPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = b""
        self._text = False
        self._session_json: str | None = None  # a connection event's fields, for Copy JSON
        self._nodes = 0
        self._fixed_font = False  # the hex view's, set when it first shows something (``_show_in_hex``)

        self.header = QLabel("No frame selected")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #dc2626; font-weight: bold")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.violation_label = QLabel()  # a contract violation: the JSON pointer and the rule
        self.violation_label.setWordWrap(True)
        self.violation_label.setStyleSheet("color: #be185d; font-weight: bold")
        self.violation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.violation_label.hide()
        self._decoded_item: QTreeWidgetItem | None = None

        self.copy_hex_button = QPushButton("Copy hex")
        self.copy_base64_button = QPushButton("Copy base64")
        self.copy_json_button = QPushButton("Copy JSON")
        self.copy_hex_button.clicked.connect(self.copy_hex)
        self.copy_base64_button.clicked.connect(self.copy_base64)
        self.copy_json_button.clicked.connect(self.copy_json)
        buttons = QHBoxLayout()
        buttons.addWidget(self.header, 1)
        for b in (self.copy_hex_button, self.copy_base64_button, self.copy_json_button):
            b.setEnabled(False)
            buttons.addWidget(b)

        self.hex_view = QPlainTextEdit()
        self.hex_view.setReadOnly(True)
        self.hex_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Key", "Value", "Type"])
        self.tree.setUniformRowHeights(True)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("detailSplitter")
        self.splitter.addWidget(self.hex_view)
        self.splitter.addWidget(self.tree)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(self.violation_label)
        layout.addWidget(self.splitter, 1)

    # ------------------------------------------------------------ showing

    def clear(self) -> None:
        self._data, self._text, self._session_json = b"", False, None
        self.violation_label.hide()
        self._decoded_item = None
        self.header.setText("No frame selected")
        self.error_label.hide()
        self.hex_view.clear()
        self.hex_view.setExtraSelections([])
        self.tree.clear()
        for b in (self.copy_hex_button, self.copy_base64_button, self.copy_json_button):
            b.setEnabled(False)

    def show_frame(self, data: bytes, direction: str, text: bool = False) -> None:
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)
        from inspector.logstore.frame_store import kind_label

        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        self._data, self._text, self._session_json = data, text, None
        kind = KIND_TEXT if text else (data[0] if data else KIND_EMPTY)
        self.header.setText(f"<b>{kind_label(kind)}</b> · {_DIRECTION.get(direction, direction)} · {len(data)} bytes")

        error = self._error_for(data, text)
        self.error_label.setText(error or "")
        self.error_label.setVisible(error is not None)

        self._show_hex(data, mark_kind=not text and bool(data))
        self.violation_label.hide()
        self._decoded_item = None
        self._fill_tree(data, text)
        self.copy_hex_button.setEnabled(True)
        self.copy_base64_button.setEnabled(True)
        self.copy_json_button.setEnabled(hexdump.body_json(data, text) is not None)

    def show_session(self, ev: SessionEvent | None, conn: str, t: float) -> None:
        """A connection event's row: what happened in words, and every field it carries."""
        self._data, self._text = b"", False
        import json
        from html import escape  # html.entities' big table: when a row shows, not at start-up

        from inspector.logstore.session_rows import is_trouble, row_summary  # after the first paint
        from inspector.recording.format import event_fields
        summary = row_summary(ev)
        self.header.setText(f"<b>CONNECTION</b> · {escape(conn)} · {format_time(t)}")
        self.error_label.setText(summary)
        self.error_label.setVisible(is_trouble(ev))
        fields = {"time": t, "connection": conn, **event_fields(ev)} if ev is not None else {}
        self._session_json = json.dumps(fields, ensure_ascii=False, indent=2) if fields else None
        self.hex_view.setExtraSelections([])
        self._show_in_hex(summary)
        self.tree.clear()
        self._nodes = 0
        root = self.tree.invisibleRootItem()
        if ev is not None:
            self._add(root, "time", f"{format_time(t)} ({t:.6f})", raw=True)
            self._add(root, "connection", conn, raw=True)
        for key, value in fields.items():
            if key not in ("time", "connection"):
                self._add(root, "event" if key == "e" else key, value)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.copy_hex_button.setEnabled(False)
        self.copy_base64_button.setEnabled(False)
        self.copy_json_button.setEnabled(self._session_json is not None)

    def show_reading(self, reading: Reading | None) -> None:
        """The shown EVENT under its contract and decoders: the violation, and the decoded
        value as a tree above the body's (None: still being worked out)."""
        if self._decoded_item is not None:
            index = self.tree.indexOfTopLevelItem(self._decoded_item)
            if index >= 0:
                self.tree.takeTopLevelItem(index)
            self._decoded_item = None
        self._show_violation(reading.violation if reading is not None else None)
        if reading is None:
            if self.violation_label.isHidden():
                self.violation_label.setText("")
            return
        o = reading.outcome
        if o is None:
            return
        self._nodes = 0
        item = self._decoded_tree(o)
        self.tree.insertTopLevelItem(0, item)
        item.setExpanded(True)
        self._decoded_item = item

    def _show_violation(self, v: Violation | None) -> None:
        if v is not None:
            import json
            from html import escape
            expected = json.dumps(v.expected, ensure_ascii=False)
            if len(expected) > MAX_CELL:
                expected = expected[:MAX_CELL] + "…"
            self.violation_label.setText(
                f"Contract violation at data{escape(v.pointer) or ' (the whole value)'}: "
                f"rule <code>{escape(v.rule)}</code> ({escape(expected)}) — {escape(v.message)}")
        self.violation_label.setVisible(v is not None)

    def _decoded_tree(self, o: Outcome) -> QTreeWidgetItem:
        from inspector.protocol.frames import json_type  # loaded after the first paint (start-up time)

        if o.error is not None:
            item = QTreeWidgetItem([f"decoded ({o.decoders})", o.error, "error"])
            item.setForeground(1, QColor("#dc2626"))
            return item
        item = QTreeWidgetItem([f"decoded ({o.decoders})", o.summary, json_type(o.value)])
        if isinstance(o.value, dict):
            for k, val in o.value.items():
                self._add(item, str(k), val)
        elif isinstance(o.value, list):
            for j, val in enumerate(o.value):
                self._add(item, f"[{j}]", val)
        return item

    def _show_hex(self, data: bytes, mark_kind: bool) -> None:
        """Plain text (fast for big frames); the kind byte marked with an extra selection."""
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)

        lines = hexdump.hexdump_lines(data)
        self._show_in_hex("\n".join(lines))
        marks = []
        if mark_kind and lines:
            from PySide6.QtGui import QTextCharFormat, QTextCursor  # when a frame shows (start-up time)
            from PySide6.QtWidgets import QTextEdit
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(hexdump.KIND_MARK_COLOUR))
            fmt.setForeground(QColor("#000000"))
            fmt.setFontWeight(700)
            for start in (10, lines[0].index("|") + 1):  # the hex pair and the ASCII char of byte 0
                sel = QTextEdit.ExtraSelection()
                cur = QTextCursor(self.hex_view.document())
                cur.setPosition(start)
                cur.setPosition(start + (2 if start == 10 else 1), QTextCursor.MoveMode.KeepAnchor)
                sel.cursor, sel.format = cur, fmt
                marks.append(sel)
        self.hex_view.setExtraSelections(marks)

    def _show_in_hex(self, text: str) -> None:
        if not self._fixed_font:  # an empty pane shows no text: the font's classes are made when it first does
            from PySide6.QtGui import QFontDatabase

            self.hex_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self._fixed_font = True
        self.hex_view.setPlainText(text)

    def marked_text(self) -> list[str]:
        """The text of the marked spans (the kind byte as hex and as ASCII)."""
        return [sel.cursor.selectedText() for sel in self.hex_view.extraSelections()]

    @staticmethod
    def _error_for(data: bytes, text: bool) -> str | None:
        from inspector.protocol.frames import TEXT_FRAME_ERROR, DecodeError, try_decode  # after the first paint

        if text:
            return f"Undecodable (bad_frame): {TEXT_FRAME_ERROR}"
        frame = try_decode(data)
        if isinstance(frame, DecodeError):
            return f"Undecodable ({frame.code}): {frame.message}"
        return None

    def _fill_tree(self, data: bytes, text: bool) -> None:
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)
        from inspector.protocol.frames import Ping, Pong, try_decode

        self.tree.clear()
        self._nodes = 0
        root = self.tree.invisibleRootItem()
        value = hexdump.body_json(data, text)
        frame = None if text else try_decode(data)
        if isinstance(frame, (Ping, Pong)):
            self._add(root, "kind", frame.kind.name, raw=True)
            self._add(root, "payload", frame.payload.hex() or "(empty)", raw=True)
            self._add(root, "length", len(frame.payload))
        elif value is not None:
            if isinstance(value, dict):
                for k, v in value.items():
                    self._add(root, str(k), v)
            else:
                self._add(root, "(body)", value)
        elif text:
            self._add(root, "(text)", data.decode("utf-8", "replace"), raw=True)
        if self._nodes < 200:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(0)
        self.tree.resizeColumnToContents(0)

    def _add(self, parent: QTreeWidgetItem, key: str, value: Any, raw: bool = False) -> None:
        import json

        from inspector.protocol.frames import json_type  # loaded after the first paint (start-up time)

        if self._nodes >= MAX_TREE_NODES:
            if self._nodes == MAX_TREE_NODES:
                QTreeWidgetItem(parent, ["…", f"more than {MAX_TREE_NODES} nodes; copy as JSON to see all", ""])
                self._nodes += 1
            return
        self._nodes += 1
        if isinstance(value, dict):
            item = QTreeWidgetItem(parent, [key, f"{{{len(value)} keys}}", "object"])
            for k, v in value.items():
                self._add(item, str(k), v)
        elif isinstance(value, list):
            item = QTreeWidgetItem(parent, [key, f"[{len(value)} items]", "array"])
            for j, v in enumerate(value):
                self._add(item, f"[{j}]", v)
        else:
            shown = value if raw else json.dumps(value, ensure_ascii=False)
            if len(shown) > MAX_CELL:  # a huge string would stall layout; copy as JSON gives it all
                shown = f"{shown[:MAX_CELL]}… ({len(shown):,} characters)"
            QTreeWidgetItem(parent, [key, shown, "bytes" if raw and key == "payload" else json_type(value)])

    # ------------------------------------------------------------ copying

    def copy_hex(self) -> None:
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)

        QGuiApplication.clipboard().setText(hexdump.as_hex(self._data))

    def copy_base64(self) -> None:
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)

        QGuiApplication.clipboard().setText(hexdump.as_base64(self._data))

    def copy_json(self) -> None:
        from inspector.logstore import hexdump  # loaded after the first paint (start-up time)

        text = self._session_json if self._session_json is not None else hexdump.as_json(self._data, self._text)
        if text is not None:
            QGuiApplication.clipboard().setText(text)
