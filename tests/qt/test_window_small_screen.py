"""At 1024×700 every action of the visible panel is in reach without scrolling sideways: the
log's Summary column is in view, the profile form's Save, Connect and Check server… stay
below the form, and the token hint is not cut."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget
from qasync_loop import run, until
from windows import close_window, make_window

from inspector.profiles import local_mock_profile
from inspector.protocol.events import State
from inspector.qt.log.model import COLUMNS
from inspector.qt.log.panel import fit_widths
from inspector.qt.main_window import MainWindow


def _in_view(widget: QWidget, window: MainWindow) -> bool:
    """The whole of ``widget`` lies within the window, and within the visible part of every
    scroll area around it."""
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    if not window.rect().contains(rect):
        return False
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        clip = QRect(parent.mapTo(window, parent.rect().topLeft()), parent.size())
        if not clip.contains(rect):
            return False
        parent = parent.parentWidget()
    return True


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_the_log_shows_summary_and_rows_without_scrolling_sideways(qtbot, qloop, tmp_path, size):
    w = make_window(qtbot, tmp_path)
    w.show()
    w.resize(*size)
    qtbot.waitExposed(w)

    async def scenario():
        tab = w.open_connection(local_mock_profile())
        await until(lambda: w.size().toTuple() == size and tab.client.state is State.OPEN, 10, "open")
        await until(lambda: w.log_panel.frame_count() > 0, 10, "rows")
        await asyncio.sleep(0.05)  # one more layout pass
        view = w.log_panel.view
        summary = len(COLUMNS) - 1
        left = view.columnViewportPosition(summary)
        assert left >= 0 and view.viewport().width() - left >= 150  # Summary in view, and readable
        assert not view.horizontalScrollBar().isVisible()
        rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
        assert rows >= (10 if size[1] == 700 else 18)
        await close_window(w)
    run(qloop, scenario())


def test_a_narrow_log_shrinks_its_columns_and_widens_them_again():
    preferred = [70, 95, 100, 34, 120, 150, 70, 60]
    minimum = (56, 92, 80, 30, 100, 80, 50, 44)
    assert fit_widths(preferred, minimum, 2000) == preferred
    fitted = fit_widths(preferred, minimum, 600)
    assert sum(fitted) <= 600 and all(m <= f <= p for f, m, p in zip(fitted, minimum, preferred, strict=True))
    assert fit_widths(preferred, minimum, 100) == list(minimum)


def test_the_profile_forms_actions_and_token_hint_are_in_view_at_1024x700(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    w.show()
    w.resize(1024, 700)
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.size().toTuple() == (1024, 700), timeout=2000)
    m = w.manager
    assert w.side_tabs.currentWidget() is m
    for button in (m.save_button, m.connect_button, m.check_button):
        assert button.isVisible() and _in_view(button, w), button.text()
    editor = m.editor
    for i in range(editor.kind_combo.count()):  # each token source's hint, the longest included
        editor.kind_combo.setCurrentIndex(i)
        editor.env_edit.setText("A_RATHER_LONG_TOKEN_VARIABLE_NAME")
        note = editor.token_note
        qtbot.waitUntil(lambda n=note: n.height() >= n.heightForWidth(n.width()), timeout=1000)
        assert note.width() >= note.fontMetrics().averageCharWidth() * 12
        wrapped = note.fontMetrics().boundingRect(QRect(0, 0, note.width(), 1 << 20), Qt.TextFlag.TextWordWrap,
                                                  note.text())
        assert wrapped.width() <= note.width()  # no word runs past the edge
        m.scroll_area.ensureWidgetVisible(note, 0, 0)
        qtbot.waitUntil(lambda n=note: _in_view(n, w), timeout=1000)
    assert not m.scroll_area.horizontalScrollBar().isVisible()
