"""The log panel, shown, as the log tests drive it."""

import pytest

from inspector.qt.log.panel import LogPanel


@pytest.fixture
def make_panel(qtbot):
    """Log panels, each shown (a test comparing two logs makes two)."""
    def make() -> LogPanel:
        p = LogPanel(flush_ms=5)
        qtbot.addWidget(p)
        p.resize(1000, 500)
        p.show()
        qtbot.waitExposed(p)
        return p
    return make


@pytest.fixture
def panel(make_panel):
    return make_panel()
