"""The log panel, shown, as the log tests drive it."""

import pytest

from inspector.qt.log.panel import LogPanel


@pytest.fixture
def panel(qtbot):
    p = LogPanel(flush_ms=5)
    qtbot.addWidget(p)
    p.resize(1000, 500)
    p.show()
    qtbot.waitExposed(p)
    return p
