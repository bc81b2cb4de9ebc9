"""At 1024×700 every action of the visible panel is in reach without scrolling sideways: the
profile form's Save, Connect and Check server… stay below the form, the token hint is not
cut, and a narrow log shrinks its columns (the window's Summary column: test_window_layout)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget
from windows import make_window

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
