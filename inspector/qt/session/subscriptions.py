"""Subscription editor: topic + JMESPath filter validated as you type, a live
preview against recent events, field-path completion, and the table of
subscriptions with their state.

The widget does no networking: it emits ``subscribe_requested(topic, filter)``
and ``unsubscribe_requested(topic)`` and is fed session events via ``ingest``.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, not_

from PySide6.QtCore import QCoreApplication, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QInputMethodEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.logstore.presence import Members, Presence
from inspector.logstore.recent_events import RecentEvents
from inspector.protocol.events import FrameSeen, SubscriptionChanged, SubState
from inspector.protocol.filters import FilterError, compile_filter
from inspector.protocol.frames import Event
from inspector.protocol.heads import EventHead, MemberChangeEvent, MessageHead
from inspector.protocol.limits import MAX_SUBSCRIPTIONS
from inspector.protocol.topics import ALLOWED, bad_character, topic_error
from inspector.qt.completer_click import let_clicks_through

WARN_AT = MAX_SUBSCRIPTIONS - 8  # warn from here on, before the server refuses one more
_PATH_CHARS = re.compile(r"[A-Za-z0-9_.]*$")
_head = attrgetter("head")
_MESSAGE_HEADS = frozenset((EventHead, MessageHead))  # a message's head as read_head reads it


def at_column(position: int | None, message: str) -> str:
    """An error at a 0-based ``position``, told as people count columns (from 1)."""
    return message if position is None else f"column {position + 1}: {message}"


class FilterEdit(QLineEdit):
    """A line edit that underlines the error position and completes field paths."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.error_position: int | None = None
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setWidget(self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.activated.connect(self._insert_completion)
        self.textEdited.connect(self._maybe_complete)

    def completer_model(self) -> QStringListModel:
        return self._model

    def set_paths(self, paths: list[str]) -> None:
        if paths != self._model.stringList():
            self._model.setStringList(paths)

    def current_word(self) -> str:
        before = self.text()[: self.cursorPosition()]
        m = _PATH_CHARS.search(before)
        return m.group() if m else ""

    def _hide_popup(self) -> None:
        popup = self._completer.popup()
        if popup is not None:
            popup.hide()

    def _maybe_complete(self, _text: str) -> None:
        word = self.current_word()
        if len(word) < 1:
            self._hide_popup()
            return
        self._completer.setCompletionPrefix(word)
        if self._completer.completionCount() == 0:
            self._hide_popup()
            return
        rect = self.cursorRect()
        rect.setWidth(240)
        self._completer.complete(rect)

    def _insert_completion(self, completion: str) -> None:
        word = self.current_word()
        pos = self.cursorPosition()
        text = self.text()
        self.setText(text[: pos - len(word)] + completion + text[pos:])
        self.setCursorPosition(pos - len(word) + len(completion))

    def mark_error(self, position: int | None) -> None:
        """Red wavy underline from ``position`` (or clear it with None)."""
        self.error_position = position
        attrs = []
        if position is not None:
            start = min(max(position, 0), max(len(self.text()) - 1, 0))
            from PySide6.QtGui import QTextCharFormat  # its class at the first error: not on the way to a first frame

            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor("red"))
            fmt.setForeground(QColor("red"))
            length = max(1, len(self.text()) - start)
            attrs.append(QInputMethodEvent.Attribute(
                QInputMethodEvent.AttributeType.TextFormat, start - self.cursorPosition(), length, fmt))
        # Qt's documented way to style part of a QLineEdit's text.
        QCoreApplication.sendEvent(self, QInputMethodEvent("", attrs))


@dataclass
class SubRow:
    topic: str
    filter: str | None
    state: SubState
    message: str = ""
    presence: Members = field(default_factory=Members)  # the editor's Presence keeps it up to date

    @property
    def members(self) -> int | None:
        return self.presence.count

    @property
    def member_ids(self) -> set[str]:
        return self.presence.ids


COLUMNS = ("Topic", "Filter", "State", "Members", "Message")
COL_TOPIC, COL_FILTER, COL_STATE, COL_MEMBERS, COL_MESSAGE = range(5)


class SubscriptionEditor(QWidget):
    subscribe_requested = Signal(str, str)   # topic, filter ("" = all events)
    unsubscribe_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.recent = RecentEvents()
        self.rows: dict[str, SubRow] = {}
        self._dirty = False
        self._filling = False

        self.topic_edit = QLineEdit()
        self.topic_edit.setPlaceholderText("topic, e.g. orders.eu")
        self._topic_model = QStringListModel(self)
        self._contract_topics: list[str] = []  # from the profile's AsyncAPI document
        topic_completer = QCompleter(self._topic_model, self)
        self.topic_edit.setCompleter(topic_completer)
        let_clicks_through(topic_completer)  # the first click on Filter lands in Filter
        self.topic_error = QLabel()
        self.filter_edit = FilterEdit()
        self.filter_edit.setPlaceholderText("JMESPath filter, e.g. data.total > `100` (empty = all)")
        self.filter_error = QLabel()
        self.preview_label = QLabel()
        for lab in (self.topic_error, self.filter_error):
            lab.setStyleSheet("color: #d33;")
            # one line, reserved: long messages are elided by the width, whole in the tooltip
            lab.setFixedHeight(lab.fontMetrics().height())
            lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.submit = QPushButton("Subscribe")
        self.submit.setEnabled(False)
        self.limit_label = QLabel()
        self.limit_label.setStyleSheet("color: #c60;")

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.horizontalHeader().setSectionResizeMode(COL_FILTER, QHeaderView.ResizeMode.Stretch)
        self.unsubscribe_button = QPushButton("Unsubscribe")
        self.unsubscribe_button.setEnabled(False)
        self.edit_button = QPushButton("Edit filter")
        self.edit_button.setEnabled(False)

        # Topic and filter side by side: the topic's completion list opens below the topic
        # field, never over the filter. The error line keeps its height while empty, so the
        # form does not jump when one appears.
        self.form = form = QGridLayout()
        form.addWidget(QLabel("Topic"), 0, 0)
        form.addWidget(self.topic_edit, 0, 1)
        form.addWidget(QLabel("Filter"), 0, 2)
        form.addWidget(self.filter_edit, 0, 3)
        form.addWidget(self.topic_error, 1, 1)
        form.addWidget(self.filter_error, 1, 3)
        form.addWidget(QLabel("Preview"), 2, 0)
        form.addWidget(self.preview_label, 2, 1, 1, 3)
        form.setColumnStretch(1, 2)
        form.setColumnStretch(3, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.submit)
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.unsubscribe_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.limit_label)

        self.topic_edit.textChanged.connect(self._validate)
        self.filter_edit.textChanged.connect(self._validate)
        self.topic_edit.returnPressed.connect(self._submit)
        self.filter_edit.returnPressed.connect(self._submit)
        self.submit.clicked.connect(self._submit)
        self.unsubscribe_button.clicked.connect(self._unsubscribe_selected)
        self.edit_button.clicked.connect(self._edit_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemChanged.connect(self._item_changed)

        # New events only mark the preview dirty; it is recomputed at most 2x/s.
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(500)
        self.refresh_timer.timeout.connect(self._refresh_if_dirty)
        self.refresh_timer.start()
        # Presence can arrive thousands of times a second: its rows are redrawn at most 10x/s.
        self.presence = Presence()
        self._presence_timer = QTimer(self)
        self._presence_timer.setSingleShot(True)
        self._presence_timer.setInterval(100)
        self._presence_timer.timeout.connect(self.render_presence)
        self._validate()
        self._update_limit()

    # ------------------------------------------------------------ events in
    def ingest(self, ev: FrameSeen | SubscriptionChanged) -> None:
        if type(ev) is FrameSeen:
            self.ingest_frames([ev])
        elif type(ev) is SubscriptionChanged:
            self._sub_changed(ev)

    def ingest_frames(self, frames: list[FrameSeen]) -> None:
        """Frames in order. A message EVENT the client did not decode waits as bytes for the
        preview. Presence (a join or leave read whole, or decoded) goes to ``presence`` per batch
        (while its objects are fresh); its rows are drawn when the redraw timer fires."""
        n = len(frames)
        heads = list(map(_head, frames))
        kinds = list(map(type, heads))
        messages = kinds.count(MessageHead) + kinds.count(EventHead)
        incoming = self.recent.incoming
        # the two batch forms the client hands over under a flood, taken in C passes:
        # bench/bench_flood.py's "compact" (messages only) and "presence" lines
        if messages == n:
            incoming.extend(frames[-incoming.maxlen:] if incoming.maxlen is not None else frames)
            return
        if messages + kinds.count(MemberChangeEvent) == n:  # what the client reads: heads only
            is_message = list(map(_MESSAGE_HEADS.__contains__, kinds))
            incoming.extend(compress(frames, is_message))
            if not self.presence.pending:
                self._presence_timer.start()
            self.presence.extend(list(compress(heads, map(not_, is_message))))
        else:
            for ev in frames:
                frame = ev.frame
                if frame is None:
                    if ev.text:
                        continue
                    head = ev.head
                    if type(head) is MemberChangeEvent:
                        self._queue_presence(head)
                    else:  # filed by topic, read from its head, when the preview looks
                        self.recent.add_raw(ev.data)
                elif type(frame) is Event:
                    self.ingest_event(frame)
        self.presence.apply()

    def ingest_event(self, frame: Event) -> None:
        """A decoded EVENT. Presence is only queued here: applying it per frame costs more
        than the flood allows, so the redraw timer applies the queue in one pass."""
        if frame.type == "presence":
            self._queue_presence(frame)
        else:
            self.recent.add(frame)
            self._dirty = True

    def _queue_presence(self, item: Event | MemberChangeEvent) -> None:
        if not self.presence.pending:  # the timer runs exactly while presence waits
            self._presence_timer.start()
        self.presence.add(item)

    def render_presence(self) -> None:
        """Apply the queued presence and redraw the rows whose members changed since the last time."""
        self._presence_timer.stop()
        for topic in self.presence.take_changed():
            if topic in self.rows:
                self._render_row(topic)

    def _sub_changed(self, ev: SubscriptionChanged) -> None:
        if ev.state is SubState.REMOVED:  # presence that came first applies to the rows as they were
            self.presence.forget(ev.topic)
            self.rows.pop(ev.topic, None)
            self._remove_table_row(ev.topic)
        else:
            row = self.rows.get(ev.topic)
            if row is None:
                members = self.presence.track(ev.topic)
                row = self.rows[ev.topic] = SubRow(ev.topic, ev.filter, ev.state, presence=members)
            row.state = ev.state
            if ev.state is not SubState.FAILED:
                row.filter = ev.filter
            row.message = f"{ev.error_code}: {ev.message}" if ev.state is SubState.FAILED else ""
            self._render_row(ev.topic)
        self._update_limit()

    # ------------------------------------------------------------ validation
    def topic_problem(self) -> str | None:
        return topic_error(self.topic_edit.text())

    def filter_problem(self) -> FilterError | None:
        try:
            compile_filter(self.filter_edit.text())
        except FilterError as exc:
            return exc
        return None

    def _validate(self) -> None:
        topic = self.topic_edit.text()
        terr = self.topic_problem() if topic else "enter a topic"
        bad = bad_character(topic) if terr and topic else None
        if bad is not None:  # the same 1-based "column N" as the filter's errors
            terr = at_column(bad, f"character {topic[bad]!r} is not allowed (use {ALLOWED})")
        self._set_error(self.topic_error, (terr or "") if topic else "")
        ferr = self.filter_problem()
        if ferr is None:
            self._set_error(self.filter_error, "")
            self.filter_edit.mark_error(None)
        else:
            self._set_error(self.filter_error, at_column(ferr.position, ferr.message))
            self.filter_edit.mark_error(ferr.position)
        self.submit.setEnabled(terr is None and ferr is None)
        self.submit.setText("Update filter" if topic in self.rows else "Subscribe")
        self.filter_edit.set_paths(self.recent.field_paths(topic or None))
        self._refresh_preview()

    def _set_error(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.setToolTip(text)

    def _refresh_if_dirty(self) -> None:
        # only the editor on screen: with several connections, every tab's refresh in the same
        # turn would hold the event loop for all of them; a hidden one catches up when shown
        if not self.isVisible():
            return
        if self._dirty or self.recent.incoming:
            self._dirty = False
            self._topic_model.setStringList(self.topic_choices())
            self.filter_edit.set_paths(self.recent.field_paths(self.topic_edit.text() or None))
            self._refresh_preview()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refresh_if_dirty()

    def set_contract_topics(self, topics: list[str]) -> None:
        """Topics the contract names, offered beside those seen on the wire."""
        self._contract_topics = list(topics)
        self._topic_model.setStringList(self.topic_choices())

    def topic_choices(self) -> list[str]:
        seen = self.recent.topics()
        return seen + [t for t in self._contract_topics if t not in seen]

    def _refresh_preview(self) -> None:
        topic = self.topic_edit.text()
        if topic_error(topic) is not None:
            self.preview_label.setText("—")
            return
        try:
            matched, total = self.recent.preview(topic, self.filter_edit.text())
        except FilterError:
            self.preview_label.setText("— (filter does not parse)")
            return
        if total == 0:
            self.preview_label.setText(f"no recent events on {topic}")
        else:
            self.preview_label.setText(f"matches {matched} of the last {total} events on {topic}")

    def _submit(self) -> None:
        if not self.submit.isEnabled():
            return
        topic = self.topic_edit.text()
        if topic not in self.rows and len(self.rows) >= MAX_SUBSCRIPTIONS:
            self.limit_label.setText(f"{MAX_SUBSCRIPTIONS} subscriptions is the server's limit; "
                                     "the server will refuse this one")
        self.subscribe_requested.emit(topic, self.filter_edit.text())

    # ------------------------------------------------------------ table
    def _row_index(self, topic: str) -> int:
        for i in range(self.table.rowCount()):
            item = self.table.item(i, COL_TOPIC)
            if item is not None and item.text() == topic:
                return i
        return -1

    def _remove_table_row(self, topic: str) -> None:
        i = self._row_index(topic)
        if i >= 0:
            self.table.removeRow(i)

    def _render_row(self, topic: str) -> None:
        row = self.rows[topic]
        i = self._row_index(topic)
        self._filling = True
        try:
            if i < 0:
                i = self.table.rowCount()
                self.table.insertRow(i)
            values = (row.topic, row.filter or "", row.state.value,
                      "" if row.members is None else str(row.members), row.message)
            cells: list[QTableWidgetItem] = []
            for col, value in enumerate(values):
                item = self.table.item(i, col)
                if item is None:
                    item = QTableWidgetItem()
                    flags = item.flags() & ~Qt.ItemFlag.ItemIsEditable
                    if col == COL_FILTER:
                        flags |= Qt.ItemFlag.ItemIsEditable
                    item.setFlags(flags)
                    self.table.setItem(i, col, item)
                if item.text() != value:
                    item.setText(value)
                cells.append(item)
            ids = row.member_ids
            first = heapq.nsmallest(50, ids)
            tip = ", ".join(first) + (f" … (+{len(ids) - 50})" if len(ids) > 50 else "")
            cells[COL_MEMBERS].setToolTip(tip)
            colour = {SubState.FAILED: QColor("#d33"), SubState.PENDING: QColor("#c80"),
                      SubState.ACTIVE: QColor("#2a2")}.get(row.state)
            if colour is not None:
                cells[COL_STATE].setForeground(colour)
        finally:
            self._filling = False

    def _item_changed(self, item: QTableWidgetItem) -> None:
        """Filter edited in place: validate, then re-SUBSCRIBE (replaces the filter)."""
        if self._filling or item.column() != COL_FILTER:
            return
        topic_item = self.table.item(item.row(), COL_TOPIC)
        if topic_item is None:
            return
        topic = topic_item.text()
        row = self.rows.get(topic)
        new = item.text()
        try:
            compile_filter(new)
        except FilterError as exc:
            self._set_error(self.filter_error, f"{topic}: {at_column(exc.position, exc.message)}")
            self._filling = True
            item.setText(row.filter or "" if row else "")
            self._filling = False
            return
        if row is not None and (row.filter or "") != new:
            self.subscribe_requested.emit(topic, new)

    def selected_topic(self) -> str | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        item = self.table.item(rows.pop(), COL_TOPIC)
        return item.text() if item else None

    def _selection_changed(self) -> None:
        has = self.selected_topic() is not None
        self.unsubscribe_button.setEnabled(has)
        self.edit_button.setEnabled(has)

    def _unsubscribe_selected(self) -> None:
        topic = self.selected_topic()
        if topic:
            self.unsubscribe_requested.emit(topic)

    def _edit_selected(self) -> None:
        topic = self.selected_topic()
        if topic:
            row = self.rows[topic]
            self.topic_edit.setText(topic)
            self.filter_edit.setText(row.filter or "")
            self.filter_edit.setFocus()

    def _update_limit(self) -> None:
        n = len(self.rows)
        if n >= MAX_SUBSCRIPTIONS:
            self.limit_label.setText(f"{n} of {MAX_SUBSCRIPTIONS} subscriptions: the limit is reached")
        elif n >= WARN_AT:
            self.limit_label.setText(f"{n} of {MAX_SUBSCRIPTIONS} subscriptions: close to the limit")
        else:
            self.limit_label.setText("")
