"""The rules in force, as their lines: add, replace (edit), remove, and save with the profile."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


class RulesList(QWidget):
    add = Signal(str)
    replace = Signal(int, str)  # rule id, its new line
    remove = Signal(int)
    save = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("dir=s2c kind=EVENT topic=orders.* every=3 -> drop")
        self.add_button = QPushButton("Add")
        self.replace_button = QPushButton("Replace")
        self.remove_button = QPushButton("Remove")
        self.save_button = QPushButton("Save with profile")
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        for b in (self.add_button, self.replace_button, self.remove_button, self.save_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.list.currentItemChanged.connect(self._selected)
        self.add_button.clicked.connect(lambda: self.add.emit(self.edit.text().strip()))
        self.replace_button.clicked.connect(self._replace)
        self.remove_button.clicked.connect(self._remove)
        self.save_button.clicked.connect(self.save)

    def set_rules(self, rules: list[tuple[int, str]]) -> None:
        self.list.clear()
        for rule_id, text in rules:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, rule_id)
            self.list.addItem(item)

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _current_id(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.edit.setText(item.text())

    def _replace(self) -> None:
        rule_id = self._current_id()
        if rule_id is not None:
            self.replace.emit(rule_id, self.edit.text().strip())

    def _remove(self) -> None:
        rule_id = self._current_id()
        if rule_id is not None:
            self.remove.emit(rule_id)
