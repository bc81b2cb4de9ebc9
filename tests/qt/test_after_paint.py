"""after_pending_paint: the work starts once the window's pending paint is done, or after the
fallback when nothing paints; short_switch_interval: the GIL's switch interval is short while
any open reads, and Python's own again after the last."""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget

from inspector.qt.after_paint import after_pending_paint
from inspector.qt.recording.recording_ui import OPEN_SWITCH_S, short_switch_interval


class _Log(QObject):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.log.append("paint")
        return False


def test_the_work_runs_after_the_pending_paint(qtbot):
    w = QLabel("before")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    log: list[str] = []
    watch = _Log(log)
    w.installEventFilter(watch)
    w.setText("after")  # a paint is pending
    after_pending_paint(w, lambda: log.append("work"), fallback_ms=10_000)
    assert log == []
    qtbot.waitUntil(lambda: "work" in log, timeout=3000)
    assert log[0] == "paint" and log.index("work") > 0


def test_without_a_paint_the_work_runs_after_the_fallback(qtbot):
    w = QWidget()  # never shown: it paints nothing
    qtbot.addWidget(w)
    ran: list[int] = []
    after_pending_paint(w, lambda: ran.append(1), fallback_ms=20)
    qtbot.waitUntil(lambda: ran == [1], timeout=3000)
    qtbot.wait(50)
    assert ran == [1]  # once only


def test_the_switch_interval_is_short_while_any_open_reads():
    before = sys.getswitchinterval()
    assert before > OPEN_SWITCH_S
    first, second = short_switch_interval(), short_switch_interval()
    first.__enter__()
    assert sys.getswitchinterval() == OPEN_SWITCH_S
    second.__enter__()
    first.__exit__(None, None, None)  # the other open still reads
    assert sys.getswitchinterval() == OPEN_SWITCH_S
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before
