"""Table model over the log's rows (``LogRows``: the ring's and the session store's).

No proxy model: a filtered view keeps its own ascending array of frame numbers,
rebuilt (vectorised) when the filter changes and extended on every flush. The
unfiltered view is just the number range [lo, hi). Cells are formatted in
``data()`` only for the rows the view paints.

A filter over many rows (``needs_scan``) is not found at once: ``start_scan`` empties the
view and the rows arrive in steps (``take_found``), in order; new rows wait for the scan,
which follows the log to its end, and are taken by ``sync`` again once it ends.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

from inspector.logstore.query import KIND_SESSION, Query
from inspector.protocol.kinds import Kind
from inspector.protocol.states import OUT
from inspector.qt import icons
from inspector.qt.log.payload_view import PayloadView

if TYPE_CHECKING:  # log_rows loads when a session store backs the log, not at start-up
    import numpy as np
    import numpy.typing as npt

    from inspector.logstore.follow_scan import FollowScan
    from inspector.logstore.log_rows import Rows

COLUMNS = ("#", "Time", "Connection", "Dir", "Kind", "Topic", "Seq", "Size", "Summary")
COL_NUMBER, COL_TIME, COL_CONN, COL_DIR, COL_KIND, COL_TOPIC, COL_SEQ, COL_SIZE, COL_SUMMARY = range(len(COLUMNS))
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
NUMERIC_COLUMNS = frozenset({COL_NUMBER, COL_SEQ, COL_SIZE})  # right-aligned
_ARROW = {OUT: "→", "in": "←"}
_ARROW_TIP = {OUT: "client → server", "in": "server → client"}
_ROLE_SLOT = {
    int(Qt.ItemDataRole.DisplayRole.value): 0,
    int(Qt.ItemDataRole.BackgroundRole.value): 1,
    int(Qt.ItemDataRole.ForegroundRole.value): 2,
    int(Qt.ItemDataRole.DecorationRole.value): 3,
    int(Qt.ItemDataRole.TextAlignmentRole.value): 4,
    int(Qt.ItemDataRole.ToolTipRole.value): 5,
}
_CACHE_ROWS = 2048
MATCH_S = 0.004           # a sync's time matching new rows against a text filter
MATCH_ROWS_FIRST = 256    # rows it matches before it has measured their cost
MATCH_ROWS_MIN = 256
SYNC_ROWS = 4096  # a filter over more rows than this (or over rows on disk) is scanned in steps


def _direction_text(conn: str, direction: str) -> str:
    """A proxy pair's rows say which side sent the frame; a client's, which way it went."""
    from inspector.proxy.pair_names import SIDES, is_pair_conn  # rows are drawn after start-up: not before

    return SIDES.get(direction, "?") if is_pair_conn(conn) else _ARROW.get(direction, "?")


def next_match_rows(n: int, seconds: float) -> int:
    """Rows the next sync matches against a text filter, after ``n`` took ``seconds``."""
    if n <= 0:
        return MATCH_ROWS_FIRST
    if seconds <= 0:
        return max(MATCH_ROWS_FIRST, 2 * n)
    return max(MATCH_ROWS_MIN, int(n * MATCH_S / seconds))


def format_time(t: float) -> str:
    """HH:MM:SS.mmm in local time."""
    try:
        ms = int((t - int(t)) * 1000)
        return time.strftime("%H:%M:%S", time.localtime(t)) + f".{ms:03d}"
    except (OverflowError, OSError, ValueError):  # a time no clock holds (a damaged capture's)
        return "--:--:--.---"


# A formatted row: the column texts, background, kind brush, kind icon and direction tip.
RowInfo = tuple[tuple[str, ...], QColor | None, QBrush, QIcon, str | None]

_ROOT = QModelIndex()  # the invisible root: Qt passes it when asking for top-level rows


class LogModel(QAbstractTableModel):
    def __init__(self, store: Rows, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._query = Query()
        self._rows: array[int] | None = None  # numbers when filtered, else None
        self._lo = self._hi = store.first_number
        self._cache: dict[int, RowInfo] = {}  # frame number -> formatted row
        self.scan: FollowScan | None = None  # the filter's rows being found, a step at a time
        self.unscanned: tuple[int, int] | None = None  # numbers a stopped scan did not look at
        self.payloads: PayloadView | None = None  # with a contract or decoders: marks and summaries
        self._match_rows = MATCH_ROWS_FIRST  # new rows a text filter matches in one sync (learnt)

    # ------------------------------------------------------------ structure

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        if parent.isValid():
            return 0
        return len(self._rows) if self._rows is not None else self._hi - self._lo

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    @property
    def query(self) -> Query:
        return self._query

    @property
    def pending(self) -> int:
        """Frames in the store the view has not taken yet (e.g. while paused)."""
        return max(0, self.store.end_number - (self._hi if self.scan is None else self.scan.target))

    @property
    def taken(self) -> int:
        """One past the newest number the view has taken (shown, or found not to match)."""
        return self._hi

    def number_at(self, row: int) -> int:
        return self._rows[row] if self._rows is not None else self._lo + row

    def shown_numbers(self) -> npt.NDArray[np.int64]:
        """The numbers of every row shown, ascending."""
        import numpy as np

        if self._rows is None:
            return np.arange(self._lo, self._hi, dtype=np.int64)
        return np.frombuffer(self._rows, np.int64).copy()

    def store_index(self, row: int) -> int | None:
        """Index into the store for a view row, or None when the frame has dropped."""
        if not 0 <= row < self.rowCount():
            return None
        return self.store.index_of(self.number_at(row))

    def row_of_number(self, number: int) -> int | None:
        if self._rows is None:
            r = number - self._lo
            return r if 0 <= r < self._hi - self._lo else None
        r = bisect_left(self._rows, number)
        return r if r < len(self._rows) and self._rows[r] == number else None

    def prepare(self, first: int, end: int) -> None:
        """Format rows ``[first, end)`` now, so a first paint of them only draws (a document
        being built does this a few rows a turn of the event loop before it shows)."""
        for row in range(max(0, first), min(end, self.rowCount())):
            number = self.number_at(row)
            if number not in self._cache:
                self._row_info(number)

    def row_at_or_after(self, number: int) -> int | None:
        """The row of frame ``number``, or of the first frame after it shown; None past the end."""
        r = max(number - self._lo, 0) if self._rows is None else bisect_left(self._rows, number)
        return r if r < self.rowCount() else None

    # ------------------------------------------------------------ changes

    def set_query(self, q: Query) -> None:
        """Show the rows ``q`` keeps, found now (``needs_scan`` says when that would be slow)."""
        self.beginResetModel()
        self._start(q)
        if not q.is_all:
            self._rows = array("q", self.store.match(q, hi=self._hi).tobytes())
        self.endResetModel()

    def _start(self, q: Query) -> None:
        self.scan = None
        self.unscanned = None
        self._query = q
        self._lo = self.store.first_number
        self._hi = max(self._hi, self._lo)
        self._rows = None if q.is_all else array("q")

    def needs_scan(self, q: Query) -> bool:
        """Finding ``q``'s rows now could hold the window still: rows on disk, or more than
        ``SYNC_ROWS`` of text (a first search decodes bodies, microseconds a row). A field
        filter over rows in memory is numpy over columns: milliseconds for a full ring."""
        if q.is_all:
            return False
        s, lo = self.store, self.store.first_number
        hi = max(self._hi, lo)
        from inspector.logstore.frame_store import FrameStore  # loaded after the first paint (start-up time)

        on_disk = 0 if isinstance(s, FrameStore) else s.rows_on_disk(lo, hi)
        return on_disk > SYNC_ROWS or (bool(q.text) and hi - lo > SYNC_ROWS)

    def start_scan(self, q: Query, end: Callable[[], int]) -> FollowScan:
        """Show ``q``'s rows as a scan finds them: none yet. The caller runs the returned scan,
        hands its found numbers to ``take_found`` and its end to ``end_scan``; meanwhile ``sync``
        takes no new rows (the scan follows the log up to ``end()``, then ``sync`` goes on)."""
        from inspector.logstore.follow_scan import FollowScan
        self.beginResetModel()
        self._start(q)
        self.scan = FollowScan(self.store, q, self._lo, end)
        self.endResetModel()
        return self.scan

    def take_found(self, numbers: npt.NDArray[np.int64]) -> None:
        """Append a scan's found numbers (ascending, after every number shown)."""
        rows = self._rows
        if self.scan is None or rows is None or not len(numbers):
            return
        first = self.store.first_number
        if numbers[0] < first:  # fell off the ring's front while the scan ran
            numbers = numbers[numbers >= first]
        n = len(rows)
        if len(numbers):
            self.beginInsertRows(_ROOT, n, n + len(numbers) - 1)
            rows.frombytes(numbers.astype("int64", copy=False).tobytes())
            self.endInsertRows()

    def end_scan(self, complete: bool) -> None:
        """The scan ended: every row up to its target looked at (``complete``), or stopped, in
        which case the rows it did not look at stay unsearched (``unscanned``) and new rows are
        taken from its target on."""
        scan, self.scan = self.scan, None
        if scan is None:
            return
        self._hi = max(self._hi, scan.frontier if complete else scan.target)  # complete: the rest is sync's
        if not complete and scan.frontier < scan.target:
            self.unscanned = (scan.frontier, scan.target)

    def reset(self) -> None:
        """After the store was cleared."""
        self.beginResetModel()
        self._cache.clear()  # numbers start again at 1
        self._lo = self._hi = self.store.first_number
        self._rows = None if self._query.is_all else array("q")
        self.scan = None
        self.unscanned = None
        self.endResetModel()

    @property
    def behind(self) -> bool:
        """Rows the view would take now, left for the next ``sync`` (a text filter's share of a flood)."""
        return self.scan is None and self.store.end_number > self._hi

    def sync(self, advance: bool = True, whole: bool = True) -> tuple[int, int]:
        """Follow the store: drop rows that fell off its front, then (unless
        ``advance`` is false, i.e. paused) add the new frames. One remove and one
        insert notification at most. Returns (removed, inserted). Not ``whole``: a text
        filter looks at about ``MATCH_S`` of new rows, the rest at the next sync (``behind``)."""
        first = self.store.first_number
        removed = inserted = 0
        root = QModelIndex()
        if self._rows is None:
            if self._lo < first:
                removed = max(0, min(first, self._hi) - self._lo)
                if removed:
                    self.beginRemoveRows(root, 0, removed - 1)
                self._lo, self._hi = first, max(self._hi, first)
                if removed:
                    self.endRemoveRows()
        else:
            removed = bisect_left(self._rows, first)
            if removed:
                self.beginRemoveRows(root, 0, removed - 1)
                del self._rows[:removed]
                self.endRemoveRows()
            self._lo, self._hi = first, max(self._hi, first)
        end = self.store.end_number
        if advance and end > self._hi and self.scan is None:
            n = self.rowCount()
            if self._rows is None:
                inserted = end - self._hi
                self.beginInsertRows(root, n, n + inserted - 1)
                self._hi = end
                self.endInsertRows()
            else:
                # a text filter costs microseconds a row (a first search decodes bodies): a flood's
                # rows are matched about MATCH_S at a time, the rest at the next sync (``behind``)
                upto = end if whole or not self._query.text else min(end, self._hi + self._match_rows)
                t0 = time.perf_counter()
                new = self.store.match(self._query, self._hi, upto)
                if self._query.text:
                    self._match_rows = next_match_rows(upto - self._hi, time.perf_counter() - t0)
                self._hi = upto
                inserted = len(new)
                if inserted:
                    self.beginInsertRows(root, n, n + inserted - 1)
                    self._rows.frombytes(new.tobytes())
                    self.endInsertRows()
        return removed, inserted

    # ------------------------------------------------------------ cells

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:  # noqa: C901 - asked ~7 times per visible cell per paint: one call, no helpers
        # The view asks ~7 roles per visible cell per paint: answer unused roles
        # first and serve the rest from a per-row cache (frames never change).
        slot = _ROLE_SLOT.get(role)
        if slot is None:
            return None
        row, rows = index.row(), self._rows
        if rows is None:
            if not 0 <= row < self._hi - self._lo:
                return None
            number = self._lo + row
        else:
            if not 0 <= row < len(rows):
                return None
            number = rows[row]
        info = self._cache.get(number)
        if info is None:
            info = self._row_info(number)
            if info is None:
                return None
        col = index.column()
        if slot == 0:
            return info[0][col]
        if slot == 1:
            return info[1]
        if col == COL_KIND:
            if slot == 2:
                return info[2]
            if slot == 3:
                return info[3]
        if slot == 4:
            return _RIGHT if col in NUMERIC_COLUMNS else None
        if slot == 5:
            if col == COL_DIR:
                return info[4]
            if col == COL_SUMMARY:
                return info[0][COL_SUMMARY]
        return None

    def _row_info(self, number: int) -> RowInfo | None:
        from inspector.logstore.frame_store import kind_label  # loaded after the first paint (start-up time)

        s = self.store
        i = s.index_of(number)
        if i is None:
            return None
        kind, seq, direction = s.kind(i), s.seq(i), s.direction(i)
        if kind == KIND_SESSION:
            return self._session_info(number, i)
        conn = s.conn(i)
        arrow = _direction_text(conn, direction)
        texts: tuple[str, ...] = (
            str(number), format_time(s.t(i)), conn, arrow, kind_label(kind),
            s.topic(i), "" if seq is None else str(seq), str(s.size(i)), s.summary(i),
        )
        undecodable = s.undecodable(i)
        if kind == Kind.ERROR and not undecodable:
            bg = icons.ERROR_BACKGROUND
        elif undecodable:
            bg = icons.UNDECODABLE_BACKGROUND
        elif s.gap(i) is not None and not s.gap_expected(i):
            bg = icons.GAP_BACKGROUND
        else:
            bg = None
        payloads = self.payloads
        if payloads is not None and kind == Kind.EVENT:
            summary, bg = payloads.decorate(number, texts[COL_SUMMARY], bg)
            texts = (*texts[:COL_SUMMARY], summary)
        info = (texts, bg, icons.kind_brush(kind), icons.kind_icon(kind), _ARROW_TIP.get(direction))
        return self._keep(number, info)

    def row_info(self, number: int) -> RowInfo | None:
        """Frame ``number``'s row as ``data()`` shows it (formatted once, kept a while)."""
        info = self._cache.get(number)
        return info if info is not None else self._row_info(number)

    def refresh_number(self, number: int) -> None:
        """A row's cells changed (its payload reading arrived): format it again when shown."""
        if self._cache.pop(number, None) is None:
            return
        row = self.row_of_number(number)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def refresh_all(self) -> None:
        self._cache.clear()
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(COLUMNS) - 1))

    def _session_info(self, number: int, i: int) -> RowInfo:
        """A connection event's row: no direction, seq or size; tinted when something went wrong."""
        from inspector.logstore.frame_store import kind_label  # loaded after the first paint (start-up time)
        from inspector.logstore.session_rows import is_trouble

        s = self.store
        texts = (str(number), format_time(s.t(i)), s.conn(i), "·", kind_label(KIND_SESSION), s.topic(i), "", "",
                 s.summary(i))
        bg = icons.ERROR_BACKGROUND if is_trouble(s.session_event(i)) else None
        info = (texts, bg, icons.kind_brush(KIND_SESSION), icons.kind_icon(KIND_SESSION), "connection event")
        return self._keep(number, info)

    def _keep(self, number: int, info: RowInfo) -> RowInfo:
        if len(self._cache) >= _CACHE_ROWS:
            self._cache.clear()
        self._cache[number] = info
        return info
