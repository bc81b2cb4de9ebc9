"""The log's own cell painting (``cell_painter.LogCells``) against Qt's item delegate: the same
pixels for every kind of row, state and column width, and Qt's path where this one does not draw."""

from __future__ import annotations

import pytest
from framegen import error, event, ping, pong, raw, subscribe
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QStyledItemDelegate

from inspector.qt.log.cell_painter import LogCells
from inspector.qt.log.model import COL_TIME, COL_TOPIC, COLUMNS
from inspector.qt.log.panel import LogPanel
from inspector.qt.log.time_column import RELATIVE, TimeDelegate

T0 = 1_764_300_000.0


def rows() -> list:
    """Rows of every look: kinds and their icons, tints (error, undecodable, gap), both directions,
    long texts cut at the column's edge, glyphs from a fallback font, text that looks like markup."""
    out = []
    for i in range(60):
        t = T0 + i * 0.137
        k = i % 10
        if k == 0:
            out.append(error(message=f"bad topic {i} " + "x" * (i % 50), conn=f"c{i % 3}", t=t))
        elif k == 1:
            out.append(raw(b"\x7a not a frame", conn="c2", t=t))
        elif k == 2:
            out.append(ping(conn="c1", t=t))
        elif k == 3:
            out.append(pong(conn="c1", t=t))
        elif k == 4:
            out.append(subscribe(f"<b>topic</b>.{i}", "x > `1`", conn="c2", t=t))
        else:
            seq = i + (5 if k == 5 else 0)  # now and then a gap
            data = {"n": i, "who": "Zoë 東京 ⚠ ✓" if k == 6 else "bob", "pad": "y" * (i * 7 % 300)}
            out.append(event(seq=seq, topic=f"orders.{'eu' * (i % 9)}", conn=f"c{i % 3}", t=t, data=data))
    return out


def grab(p: LogPanel, cells: bool) -> QImage:
    """The table's rows drawn by ``LogCells`` or by Qt's delegate (and ``TimeDelegate`` for the Time
    column), as the log drew them before."""
    v = p.view
    if cells:
        v.setItemDelegate(p.time_delegate)
        v.setItemDelegateForColumn(COL_TIME, p.time_delegate)
    else:
        times = TimeDelegate(p.rows, p.model, v)
        times.mode, times.origin = p.time_delegate.mode, p.time_delegate.origin
        v.setItemDelegate(QStyledItemDelegate(v))
        v.setItemDelegateForColumn(COL_TIME, times)
    v.cells = p.time_delegate if cells else None
    return v.viewport().grab().toImage()


def same_pixels(p: LogPanel, fast: bool = True) -> None:
    """The rows look the same drawn either way, painted once or again (``fast``: and this path drew
    some of them)."""
    before = p.time_delegate.fast_cells
    qt_drawn = grab(p, cells=False)
    first = grab(p, cells=True)
    again = grab(p, cells=True)  # laid out to keep, now
    assert not fast or p.time_delegate.fast_cells > before, "the cells were drawn by Qt's path, not this one"
    assert first == qt_drawn
    assert again == qt_drawn


@pytest.fixture
def shown(panel) -> LogPanel:
    for ev in rows():
        panel.ingest(ev)
    panel.flush()
    panel.view.scrollToTop()
    return panel


def test_the_log_is_drawn_by_its_own_cells(shown):
    assert isinstance(shown.view.itemDelegate(), LogCells)
    assert shown.view.itemDelegateForColumn(COL_TIME) is shown.time_delegate


@pytest.mark.parametrize("width", [1000, 560, 1500])
def test_rows_look_as_qt_draws_them(shown, width):
    shown.resize(width, 700)
    shown.view.scrollToTop()
    same_pixels(shown)
    shown.view.scrollToBottom()
    same_pixels(shown)


def test_narrow_and_resized_columns_cut_the_text_as_qt_does(shown):
    header = shown.view.horizontalHeader()
    for col, width in ((0, 12), (2, 30), (4, 40), (5, 61), (6, 18), (7, 25)):
        header.resizeSection(col, width)
    same_pixels(shown)
    header.resizeSection(5, 260)  # wider again: the whole text, not the cut one kept
    same_pixels(shown)


def test_seconds_since_the_first_frame(shown):
    shown.set_time_mode(RELATIVE)
    same_pixels(shown)


def test_selected_and_current_rows_are_drawn_by_qt(shown, qtbot):
    v = shown.view
    v.setFocus()
    sel = v.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (1, 2, 5):
        sel.select(shown.model.index(r, 0), flags)
    sel.setCurrentIndex(shown.model.index(5, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
    cells = shown.time_delegate
    slow = cells.slow_cells
    same_pixels(shown)
    assert cells.slow_cells - slow >= 3 * len(COLUMNS)  # the three selected rows, at least


@pytest.mark.parametrize("cut", ["\n", "\t", "\u2028", "\x00"])
def test_text_on_several_lines_or_with_control_characters_is_drawn_by_qt(panel, cut):
    panel.ingest(event(topic=f"two{cut}lines", data={"n": 1}))
    panel.ingest(event(topic="one line", data={"n": 2}))
    panel.flush()
    assert cut in panel.model.data(panel.model.index(0, COL_TOPIC))
    cells = panel.time_delegate
    fast, slow = cells.fast_cells, cells.slow_cells
    same_pixels(panel)
    assert cells.slow_cells - slow == 2 * len(COLUMNS)  # the first row, by Qt's path (painted twice)
    assert cells.fast_cells - fast == 2 * len(COLUMNS)


def test_a_failure_in_this_path_leaves_the_drawing_to_qt(shown, monkeypatch, caplog):
    def broken(_self, _row):
        raise RuntimeError("boom")
    monkeypatch.setattr(LogCells, "_row", broken)
    qt_drawn = grab(shown, cells=False)
    drawn = grab(shown, cells=True)  # no crash: an exception out of paint would end the app
    assert drawn == qt_drawn
    assert shown.time_delegate.fast_cells == 0 or "drawn by Qt's own path" in caplog.text
    assert "drawn by Qt's own path" in caplog.text


def test_a_row_is_laid_out_when_painted_again_and_then_never(qtbot, monkeypatch):
    p = LogPanel()  # not shown: painted only when grabbed
    qtbot.addWidget(p)
    p.resize(1000, 500)
    for i in range(5):
        p.ingest(event(seq=i, topic=f"fresh.{i}", t=T0 + 99))
    p.flush()
    grab(p, cells=True)  # the table laid out for its rows
    made: list[str] = []
    import inspector.qt.log.cell_painter as cell_painter
    real = cell_painter._laid
    monkeypatch.setattr(cell_painter, "_laid", lambda text, font: made.append(text) or real(text, font))
    p.clear()
    for i in range(5):
        p.ingest(event(seq=i, topic=f"new.{i}", t=T0 + 99))
    p.flush()
    grab(p, cells=True)  # new rows: plain texts drawn, not laid out
    assert not any(text.startswith("new.") for text in made)
    grab(p, cells=True)  # painted again: laid out to keep, and only their texts
    texts = {p.model.data(p.model.index(r, c)) for r in range(5) for c in range(len(COLUMNS))}
    assert {f"new.{i}" for i in range(5)} <= set(made) <= texts
    made.clear()
    grab(p, cells=True)
    assert made == []
    assert p.time_delegate.fast_cells == 4 * 5 * len(COLUMNS)


def test_alternating_row_colours_stay(shown):
    shown.view.setAlternatingRowColors(True)  # the view paints them under each cell: kept by this path too
    same_pixels(shown)
