"""Live counts change many times a second during a flood: a new count must repaint the
label alone, not make its layout place every neighbour again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from inspector.qt.steady_label import SteadyLabel


class LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _obj, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _row(qtbot, label: QLabel) -> tuple[QWidget, LayoutRequests]:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.addWidget(QLineEdit(), 1)
    layout.addWidget(label)
    qtbot.addWidget(row)
    row.resize(600, 40)
    row.show()
    qtbot.waitExposed(row)
    requests = LayoutRequests()
    row.installEventFilter(requests)
    return row, requests


def natural_width(label: QLabel) -> int:
    """What a plain QLabel with the same text and font asks for."""
    plain = QLabel(label.text())
    plain.setFont(label.font())
    return plain.sizeHint().width()


def _count_up(qtbot, label: QLabel) -> None:
    for n in range(100_000, 100_040):
        label.setText(f"{n:,} frames")
        qtbot.wait(1)  # let posted layout requests arrive


def test_a_growing_count_does_not_re_lay_out_its_row(qtbot):
    label = SteadyLabel("99,999 frames")
    _row_widget, requests = _row(qtbot, label)
    _count_up(qtbot, label)
    assert requests.count <= 1  # at most once, when a digit more needs room
    assert label.width() >= natural_width(label)


def test_a_plain_label_would_re_lay_out_on_every_count(qtbot):
    """The contrast that makes the test above mean something."""
    label = QLabel("99,999 frames")
    _row_widget, requests = _row(qtbot, label)
    _count_up(qtbot, label)
    assert requests.count >= 20


def test_it_grows_to_show_a_long_text_and_shrinks_back(qtbot):
    label = SteadyLabel("3 frames")
    _row_widget, _requests = _row(qtbot, label)
    short = label.width()
    label.setText("1,000,000 frames · 999,999 shown · paused, 1,000,000 new")
    qtbot.waitUntil(lambda: label.width() >= natural_width(label), timeout=1000)
    assert label.width() > short
    label.setText("0 frames")
    qtbot.waitUntil(lambda: label.width() <= short, timeout=1000)
    assert label.text() == "0 frames" and label.width() >= natural_width(label)


def test_a_style_sheet_font_still_fits(qtbot):
    label = SteadyLabel("1,234,567 oldest frames dropped")
    label.setStyleSheet("font-weight: bold; font-size: 20px")
    _row_widget, _requests = _row(qtbot, label)
    qtbot.waitUntil(lambda: label.width() >= natural_width(label), timeout=1000)
    assert label.height() >= label.fontMetrics().height()
