"""The log's cells painted from texts measured once.

Qt's own item delegate asks the model for about seven roles per cell on every paint and lays
each text out two or three times (its size, its elision, its drawing). A log row never changes
once formatted: here each row's texts come from the model's row cache in one call, each distinct
text (a kind, a connection, a topic is shown on many rows) is measured once and kept, a bounded
number of them, and a text drawn a second time is laid out to keep (``QStaticText``): a repaint
then only draws. A text drawn once (a flood's newest rows) is drawn by ``drawText``, one layout.
What is drawn is what Qt's delegate draws for the same cell (a test compares the
pixels). A selected row, the current row while the view has the focus (its focus frame) and a
row whose texts this path does not lay out (line breaks, control characters) take Qt's own
path, as does every cell when the view is not as this path assumes (another style or a style
sheet, disabled, right to left, wrapped or not cut on the right). Fusion draws no hover on an
item, and the log's cells are never edited. bench/bench_log_paint.py times a repaint both ways."""

from __future__ import annotations

import logging
import math
import re
from itertools import islice
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QTableView

from inspector.qt.log.model import COL_KIND, COL_TIME, NUMERIC_COLUMNS, LogModel
from inspector.qt.log.time_column import RELATIVE, TimeDelegate

if TYPE_CHECKING:  # the classes only this path uses are made when it first paints (see prepare_paint)
    from PySide6.QtCore import QPersistentModelIndex
    from PySide6.QtGui import QFontMetricsF, QRawFont, QStaticText
    from PySide6.QtWidgets import QStyleOptionViewItem

    from inspector.logstore.log_rows import Rows

log = logging.getLogger("inspector.qt")

CACHE_ROWS = 1024  # rows kept with their cells as drawn: several screens of rows
CACHE_TEXTS = 8192  # texts kept measured (and laid out): a few screens of rows' texts
# texts Qt lays out otherwise than one plain line (breaks, tabs, other control characters)
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f\u2028\u2029]")
_LEFT_TO_RIGHT = frozenset({"L", "ON", "EN", "ES", "ET", "CS", "WS"})  # bidi classes that keep a line left to right
_ACTIVE, _INACTIVE = range(2)  # the colours a cell is drawn in
_ROOT = QModelIndex()
_Icon = tuple[QPixmap, int, int]  # an icon drawn at its size (width, height)


class _Row:
    """A row's texts and look; each cell as last drawn (for the width it was drawn at)."""

    __slots__ = ("bg", "fitted", "kind_colour", "kind_icon", "texts", "time")

    def __init__(self, texts: tuple[str, ...], time: str | None, bg: QColor | None, kind_colour: QColor,
                 kind_icon: _Icon | None) -> None:
        self.texts = texts
        self.time = time  # the Time column's text when not the model's (seconds since the first frame)
        self.bg = bg
        self.kind_colour = kind_colour
        self.kind_icon = kind_icon
        self.fitted: list[_Fit | None] = [None] * len(texts)


class _Text:
    """A text measured in the view's font: its width and line height; laid out (``static``) once
    it is drawn a second time, or at once when measuring needs it (a text not ``_plain``).
    Shared by every cell showing it (a kind, a connection, a topic, an arrow)."""

    __slots__ = ("height", "natural", "painted", "static", "text")

    def __init__(self, text: str, natural: float, height: int, static: QStaticText | None) -> None:
        self.text = text
        self.natural = natural
        self.height = height
        self.static = static
        self.painted = False  # drawn once, by drawText (a plain text not laid out)


class _Fit:
    """A cell at one column width: the text shown (whole or cut), its x offset, and the whole
    text's line height (the cell centres it)."""

    __slots__ = ("dx", "height", "shown", "width")

    def __init__(self, width: int, dx: float, shown: _Text, height: int) -> None:
        self.width = width
        self.dx = dx
        self.shown = shown
        self.height = height


class LogCells(TimeDelegate):
    """The log table's delegate: every column (and the Time column's modes)."""

    def __init__(self, store: Rows, model: LogModel, view: QTableView) -> None:
        super().__init__(store, model, view)
        self._view = view
        self._rows: dict[int, _Row] = {}
        self._texts: dict[str, _Text] = {}
        self._group = _ACTIVE  # the colours of the window's state (active or not)
        self._selection = view.selectionModel()
        self._focus_row = -1  # the current row, while the view has the focus
        self._font: QFont | None = None
        self._metrics: QFontMetricsF | None = None
        self._raw: QRawFont | None = None  # the view's font itself, without the fonts Qt falls back on
        self._line = (0, 0.0)  # the view's font's line: height (rounded as Qt's style does) and ascent
        self._plain_chars: dict[str, bool] = {}  # a character not ASCII -> drawn in the view's font as one
        self._ready = False  # the view is as this path draws it
        self._broken = False  # this path failed once: Qt's draws every cell
        self._margin = 0
        self._icon = QSize()
        self._text_colour = {_ACTIVE: QColor(), _INACTIVE: QColor()}
        self._icons: dict[int, _Icon | None] = {}  # by the icon's cache key
        self._shown: tuple[int, _Row | None] = (-1, None)  # the row being painted (a row's cells come together)
        self.fast_cells = 0  # cells drawn here, and by Qt's own path (for the tests and the bench)
        self.slow_cells = 0
        self._fresh = True  # a paint began: what it draws with is read at its first cell

    def prepare_paint(self) -> None:
        """What a first paint would otherwise do: measure the view's font, and have PySide make the
        Python classes (and their enums) this path and Qt's call with, at their first use (a
        document being built calls this a turn before it shows)."""
        from PySide6.QtWidgets import QStyleOptionViewItem

        QStyleOptionViewItem()
        self._fresh = True
        self._begin()

    def _use_font(self, font: QFont) -> None:
        from PySide6.QtGui import QFontMetrics, QFontMetricsF, QRawFont, QTextLayout

        self._font = font
        self._rows.clear()
        self._texts.clear()
        self._metrics = QFontMetricsF(QFontMetrics(font, self._view))
        self._raw = QRawFont.fromFont(font)
        layout = QTextLayout("0", font)
        layout.beginLayout()
        line = layout.createLine()
        layout.endLayout()
        self._line = (_laid("0", font)[2], line.ascent())
        self._plain_chars.clear()

    def start_paint(self) -> None:
        """Before the view paints: what its cells are drawn with is read again, at its first cell."""
        self._fresh = True

    def _begin(self) -> None:
        """A paint's first cell: what the cells are drawn with (the view's font, palette, style and
        settings), read once a paint rather than once a cell."""
        from PySide6.QtWidgets import QStyle

        self._fresh = False
        v = self._view
        font = v.font()
        if font != self._font:
            self._use_font(font)
        style = v.style()
        self._margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, v) + 1
        size = v.iconSize()
        if not size.isValid():
            extent = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, v)
            size = QSize(extent, extent)
        if size != self._icon:
            self._icon = size
            self._icons.clear()
            self._rows.clear()
        palette = v.palette()
        self._text_colour = {_ACTIVE: palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text),
                             _INACTIVE: palette.color(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Text)}
        self._group = _ACTIVE if v.isActiveWindow() else _INACTIVE
        self._selection = v.selectionModel()
        current = v.currentIndex()
        focused = current.isValid() and (v.hasFocus() or v.viewport().hasFocus())
        self._focus_row = current.row() if focused else -1
        self._shown = (-1, None)
        # the look this path draws: Fusion's (no style sheet), one line cut on the right, left to right
        self._ready = (not self._broken and style.name() == "fusion" and not v.wordWrap() and v.isEnabled()
                       and v.textElideMode() == Qt.TextElideMode.ElideRight
                       and v.layoutDirection() == Qt.LayoutDirection.LeftToRight)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        if self._fresh:
            self._begin()
        try:
            drawn = self._ready and self._draw(painter, option, index)
        except Exception:  # raised out of a delegate's paint, it would end the app: Qt's path draws from now on
            log.exception("the log's cells are drawn by Qt's own path from now on")
            self._broken = True
            self._ready = drawn = False
        if drawn:
            self.fast_cells += 1
        else:
            self.slow_cells += 1
            super().paint(painter, option, index)

    def _draw(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> bool:
        """Draw the cell here; False when Qt's own path is to draw it."""
        at = index.row()
        shown = self._shown
        if shown[0] == at:
            row = shown[1]
        else:
            # a selected row, or the current one while the view has the focus, is Qt's to draw (the
            # cells' state is not read: PySide makes a Python enum of it, a cell at a time)
            drawn_by_qt = at == self._focus_row or self._selection.rowIntersectsSelection(at, _ROOT)
            row = None if drawn_by_qt else self._row(at)
            self._shown = (at, row)
        col = index.column()
        if row is None:
            return False
        rect: tuple[int, int, int, int] = option.rect.getRect()  # type: ignore[assignment]
        x, y, w, h = rect
        icon = row.kind_icon if col == COL_KIND else None
        room = 0 if icon is None else icon[1] + 2 * self._margin
        left = x + room + self._margin
        text = row.time if col == COL_TIME and row.time is not None else row.texts[col]
        fitted = None
        if text:
            width = x + w - self._margin - left
            fitted = row.fitted[col]
            if fitted is None or fitted.width != width:
                fitted = row.fitted[col] = self._fit(col, text, width)
        if row.bg is not None:
            painter.fillRect(x, y, w, h, row.bg)
        if icon is not None:
            painter.drawPixmap(x + (room - icon[1]) // 2, y + (h - icon[2]) // 2, icon[0])
        if fitted is not None:
            painter.setPen(row.kind_colour if col == COL_KIND else self._text_colour[self._group])
            top = y + (h - fitted.height) // 2
            drawn = fitted.shown
            static = drawn.static
            if static is None and not drawn.painted:  # a text drawn once (a flood's row's) is not laid out to keep
                drawn.painted = True
                painter.drawText(QPointF(left + fitted.dx, top + self._line[1]), drawn.text)
            else:
                if static is None:
                    static = drawn.static = _laid(drawn.text, self._font)[0]
                painter.drawStaticText(QPointF(left + fitted.dx, top), static)
        return True

    def _row(self, row: int) -> _Row | None:
        number = self.model.number_at(row) if 0 <= row < self.model.rowCount() else None
        info = self.model.row_info(number) if number is not None else None
        if info is None or number is None:
            return None
        texts, bg, kind_brush, kind_icon, _tip = info
        time = self.relative_text(row) if self.mode == RELATIVE else None
        kept = self._rows.get(number)
        if kept is not None and kept.texts == texts and kept.time == time and kept.bg == bg:
            return kept
        if _NOT_ONE_LINE.search("".join(texts)):
            return None  # Qt's own path lays these out
        made = _Row(texts, time, bg, kind_brush.color(), self._kind_icon(kind_icon))
        rows = self._rows
        if len(rows) >= CACHE_ROWS:
            for old in list(islice(rows, CACHE_ROWS // 4)):  # the oldest laid out
                del rows[old]
        rows[number] = made
        return made

    def _kind_icon(self, icon: QIcon) -> _Icon | None:
        """``icon`` as Qt's delegate draws it: at its own size, within the view's icon size."""
        key = icon.cacheKey()
        if key not in self._icons:
            size = icon.actualSize(self._icon).boundedTo(self._icon)
            self._icons[key] = None if icon.isNull() else (icon.pixmap(size), size.width(), size.height())
        return self._icons[key]

    def _plain(self, text: str) -> bool:
        """Whether ``text`` is drawn from the view's font alone, left to right, one glyph a character
        (ASCII, symbols, Latin letters the font has): its line is then the font's, its width the font's
        advance. A trailing space, which Qt's layout leaves out of the width, is not plain."""
        if text[-1] == " ":
            return False
        if text.isascii():
            return True
        known, raw = self._plain_chars, self._raw
        for c in set(text):
            if c not in known:
                import unicodedata  # texts of other than ASCII come after start-up
                known[c] = c.isascii() or (
                    unicodedata.bidirectional(c) in _LEFT_TO_RIGHT and not unicodedata.combining(c)
                    and unicodedata.category(c)[0] in "LPSN" and raw is not None and raw.supportsCharacter(ord(c)))
            if not known[c]:
                return False
        return True

    def _fit(self, col: int, text: str, width: int) -> _Fit:
        """The cell's text for ``width`` pixels: whole (right-aligned in the number columns), or cut
        with an ellipsis at the left edge, as Qt's style draws it (centred as the whole text's line
        would be, but laid out and aligned itself)."""
        whole = shown = self._text(text)
        if whole.natural > width:
            assert self._metrics is not None  # _begin measured the font
            shown = self._text(self._metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
        return _Fit(width, width - shown.natural if col in NUMERIC_COLUMNS else 0.0, shown, whole.height)

    def _text(self, text: str) -> _Text:
        known = self._texts.get(text)
        if known is not None:
            return known
        texts = self._texts
        if len(texts) >= CACHE_TEXTS:
            for old in list(islice(texts, CACHE_TEXTS // 4)):  # the oldest measured
                del texts[old]
        metrics = self._metrics
        assert metrics is not None  # _begin measured the font
        if self._plain(text):
            made = _Text(text, metrics.horizontalAdvance(text), self._line[0], None)
        else:
            static, natural, height = _laid(text, self._font)
            made = _Text(text, natural, height, static)
        texts[text] = made
        return made


def _laid(text: str, font: QFont | None) -> tuple[QStaticText, float, int]:
    """``text`` laid out in ``font``: with its width, and its line's height in whole pixels as Qt's
    style rounds it (glyphs from a fallback font can make it taller)."""
    from PySide6.QtGui import QStaticText

    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    if font is not None:
        static.prepare(font=font)
    size = static.size()
    return static, size.width(), math.floor(size.height() + 0.5)

