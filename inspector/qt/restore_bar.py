"""The bar above the documents that offers to reconnect the last session's connections.

Non-modal: the window is usable while it shows; Reconnect or Dismiss hides it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class RestoreBar(QFrame):
    reconnect = Signal(list)  # the profile names offered

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.names: list[str] = []
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.setDefault(True)
        self.dismiss_button = QPushButton("Dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.reconnect_button)
        row.addWidget(self.dismiss_button)
        self.reconnect_button.clicked.connect(self._reconnect)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def offer(self, names: list[str]) -> None:
        self.names = list(names)
        one = len(names) == 1
        self.label.setText(f"When the app was last closed, {'this connection was' if one else 'these connections were'}"
                           f" open: {', '.join(names)}. Reconnect {'it' if one else 'them'}?")
        self.show()

    def _reconnect(self) -> None:
        self.hide()
        self.reconnect.emit(self.names)
