"""The frame log: filter bar, table and detail pane.

``ingest`` only appends to a pending list; a single-shot timer (started by the
first pending frame, so an idle log costs nothing) moves pending frames into the
store in slices, each sized from the measured cost to take about ``SLICE_S``, with
the event loop's turn between slices, so a flood never holds the window still for
long. The model follows the store at most once per ``flush_ms`` while slices run,
and once more when the last slice is in; but while a flood keeps the GUI thread busy,
following it (the model's sync and the painting of the new rows) takes at most
``PAINT_SHARE`` of the thread's time: the rows are shown less often, the frames still stored
at once. While paused, frames still reach the store; the table just does not take them
until resume.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.logstore.query import KIND_EMPTY, KIND_SESSION, KIND_TEXT, Query
from inspector.protocol.kinds import Kind
from inspector.protocol.states import IN, OUT
from inspector.qt.flow_layout import FlowLayout
from inspector.qt.log.detail_pane import DetailPane
from inspector.qt.log.model import COL_DIR, COL_TIME, COLUMNS, LogModel
from inspector.qt.log.payload_view import EVERY, PayloadView
from inspector.qt.log.time_column import TIME_MODES, WALL, TimeDelegate
from inspector.qt.steady_label import SteadyLabel

if TYPE_CHECKING:  # log_rows loads when a session store backs the log; a scan loads pyarrow
    from PySide6.QtWidgets import QInputDialog

    from inspector.logstore.frame_store import FrameStore
    from inspector.logstore.log_rows import LogRows, Rows
    from inspector.logstore.store_scan import MatchChunks
    from inspector.payloads.lens import Lens, Reading
    from inspector.protocol.events import FrameSeen, SessionEvent
    from inspector.qt.log.cell_painter import LogCells
    from inspector.qt.log.scan_job import ScanJob

FLUSH_MS = 40        # ≈ 25 Hz
SLICE_S = 0.004      # the GUI thread's time per slice: well inside one 60 Hz frame
FIRST_SLICE = 2048   # frames in a slice before any cost is measured
MIN_SLICE = 256      # enough for the store's vectorised batch path
MAX_SLICE = 65536
# While the GUI thread is busy (it ran at least BUSY of the time since the table last followed the
# store), following it takes at most PAINT_SHARE of the thread's own time: painting the newest rows
# costs the same however many frames came meanwhile, and is time taken from receiving them. The
# line that proves it: bench/bench_flood.py's "nested1k" (the table's paint was a third of the thread).
PAINT_SHARE = 0.1
BUSY = 0.25  # low: on a loaded machine a flooded GUI thread gets only part of a core
MAX_SYNC_GAP = 0.5  # seconds: the table follows at least this often, however costly its paint
FILTER_DEBOUNCE_MS = 200
SCAN_SHOW_S = 0.25   # a filter's scan shows its rows, progress and count this often (each showing paints the view)
OTHER_KINDS = frozenset(range(256)) - frozenset(int(k) for k in Kind) | {KIND_EMPTY, KIND_TEXT}
CONNECTION_KIND = "Connection"  # the kind menu's entry for connection events
_WIDTHS = (70, 95, 100, 34, 120, 150, 70, 60)
_MIN_WIDTHS = (56, 92, 80, 30, 100, 80, 50, 44)  # narrower, and the texts are cut
SUMMARY_SHARE = 0.3   # of the table's width kept for Summary (the last column) in a narrow log
MIN_SUMMARY = 160


def _viewport(view: QTableView) -> QWidget:
    """``view.viewport()``, without PySide6 looking for the Python class of a widget Qt made: it would
    walk every QWidget class it knows, making each (and its enum classes) before the first paint.
    Found by the name Qt gives it, the wrapper is made from the type given; ``viewport()`` then
    returns that wrapper (and does the walk itself, should Qt ever name its viewport otherwise)."""
    found = view.findChild(QWidget, "qt_scrollarea_viewport", Qt.FindChildOption.FindDirectChildrenOnly)
    return found if found is not None else view.viewport()


class LogView(QTableView):
    """The log's table. It keeps count of the thread time its painting takes, for the panel's
    budget (``LogPanel._sync``)."""

    def __init__(self, cpu_clock: Callable[[], float] = time.thread_time) -> None:
        super().__init__()
        self._cpu_clock = cpu_clock
        self.painted = 0.0  # thread seconds spent painting the rows since ``take_painted`` last ran
        self.cells: LogCells | None = None  # the delegate drawing the rows

    def paintEvent(self, event: QPaintEvent) -> None:
        t0 = self._cpu_clock()
        if self.cells is not None:
            self.cells.start_paint()
        super().paintEvent(event)
        self.painted += self._cpu_clock() - t0

    def take_painted(self) -> float:
        """The thread time spent painting since the last call."""
        spent, self.painted = self.painted, 0.0
        return spent


class _NoRows:
    """A log's rows before its ring is made (``LogPanel.build_rest``): none, as its first paint reads them."""

    frame_count = 0
    dropped = 0
    first_number = end_number = 1  # a new ring's


class LogPanel(QWidget):
    time_delegate: TimeDelegate  # the Time column's (and, once rows come, every column's: LogCells)
    store: FrameStore  # the ring: rows enter the log here
    frameSelected = Signal(int)
    pausedChanged = Signal(bool)
    payloadTrouble = Signal(object)  # payload_view.Trouble: a connection's decoders fail

    def __init__(self, parent: QWidget | None = None, cap: int = 1_000_000, flush_ms: int = FLUSH_MS,
                 clock: Callable[[], float] = time.perf_counter, *, staged: bool = False,
                 cpu_clock: Callable[[], float] = time.thread_time, later: bool = False):
        """``staged``: the widgets are not built yet: the caller runs ``build_steps()`` to its end
        (a piece a step, e.g. one per turn of the event loop) before using the panel. ``later``: what
        an app's first paint does without comes when the caller runs ``build_rest``: the ring (its
        module loads the codec), the table's shortcuts (the key classes) and the topic box's
        suggestions (the completer's); the log is empty and takes nothing until then. ``clock`` and
        ``cpu_clock`` (the GUI thread's time) are the tests' to replace."""
        super().__init__(parent)
        self._cap = cap
        self._later = later
        # what is shown: the ring, or every row of a session (``log_rows``)
        self.rows: Rows = cast("Rows", _NoRows()) if later else self._new_ring()
        self._log_rows: LogRows | None = None
        self.model = LogModel(self.rows, self)
        self._pending: list[FrameSeen] = []
        self._pending_sessions: list[tuple[int, SessionEvent]] = []  # (frames pending before it, event)
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._sync_every = flush_ms / 1000
        self._sync_gap = self._sync_every  # longer while following the store costs a busy thread too much
        self._synced_at = clock()
        self._synced_cpu = cpu_clock()
        self.slice_size = FIRST_SLICE
        self._flush_hooks: tuple[Callable[[list[FrameSeen], bool], None], ...] = ()
        self._paused = False
        self._follow = True
        self._scrolling = False  # our own scroll changes must not look like the user's
        self._keeping_current = False  # a filter change re-selecting the same frame is not the user's choice
        self._known_conns = 0
        self._known_topics = 0

        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_interval = flush_ms
        self._flush_timer.timeout.connect(self.flush_slice)
        self._slice_timer = QTimer(self)  # the next slice, once the event loop has had its turn
        self._slice_timer.setSingleShot(True)
        self._slice_timer.setInterval(0)
        self._slice_timer.timeout.connect(self.flush_slice)
        self._catch_up_timer = QTimer(self)  # a text filter's share of new rows, a turn at a time
        self._catch_up_timer.setSingleShot(True)
        self._catch_up_timer.setInterval(0)
        self._catch_up_timer.timeout.connect(self._sync)
        self._sync_timer = QTimer(self)  # the table follows the store once its gap is up
        self._sync_timer.setSingleShot(True)
        self._sync_timer.timeout.connect(self._sync_when_due)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(self.apply_filter)

        self._staged = staged
        if not staged:
            for _ in self.build_steps():
                pass

    def _new_ring(self) -> FrameStore:
        from inspector.logstore.frame_store import FrameStore  # with the codec it reads: see ``later``

        self.store = FrameStore(self._cap)
        return self.store

    def build_rest(self) -> None:
        """For a log made ``later`` (once; a log made without has it all): the ring, the shortcuts
        and the topic box's suggestions."""
        if not self._later:
            return
        self._later = False
        self.rows = self.model.store = self.time_delegate.store = self._new_ring()
        self._set_shortcuts()
        self._complete_topics()

    def build_steps(self) -> Iterator[None]:
        """Build the widgets, pausing (``yield``) between the filter bar, the table and the detail
        pane: each takes a few ms, and a document opened beside a running log is built a piece a
        turn of the event loop."""
        self._build_filter_bar()
        yield
        self._build_view()
        yield
        self.detail = DetailPane()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("logSplitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._bar)
        layout.addWidget(self.splitter, 1)
        self._update_status()
        if self._staged:  # a document: its rows come before it shows
            yield
            self._use_cells()

    def _use_cells(self) -> None:
        """Draw the rows with the log's own cells (``cell_painter.LogCells``, every column and the
        Time column's modes): made when the first rows come, or a document is built, not at start-up
        (its module and the Qt classes it draws with load then)."""
        from inspector.qt.log.cell_painter import LogCells

        old, v = self.time_delegate, self.view
        cells = LogCells(self.rows, self.model, v)
        cells.mode, cells.origin = old.mode, old.origin
        v.setItemDelegate(cells)
        v.setItemDelegateForColumn(COL_TIME, cells)
        v.cells = cells
        self.time_delegate = cells
        old.deleteLater()
        cells.prepare_paint()

    # ------------------------------------------------------------ building

    def _build_filter_bar(self) -> None:
        self.kind_button = QToolButton()
        self.kind_button.setText("Kinds")
        self.kind_button.setToolTip("Show only these frame kinds")
        self.kind_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kind_menu = QMenu(self.kind_button)
        self.kind_actions: dict[str, QAction] = {}
        for k in Kind:
            self._add_kind_action(k.name)
        self._add_kind_action("Other")
        self._add_kind_action(CONNECTION_KIND)
        self.kind_button.setMenu(self.kind_menu)

        self.direction_combo = QComboBox()
        self.direction_combo.addItem("⇄ Both ways", None)
        self.direction_combo.addItem("→ sent", OUT)
        self.direction_combo.addItem("← received", IN)
        self.direction_combo.currentIndexChanged.connect(self.apply_filter)
        self.conn_combo = QComboBox()
        self.conn_combo.addItem("All connections", None)
        self.conn_combo.currentIndexChanged.connect(self.apply_filter)

        self.topic_edit = QLineEdit()
        self.topic_edit.setPlaceholderText("topic, or prefix*")
        self.topic_edit.setClearButtonEnabled(True)
        if not self._later:
            self._complete_topics()
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("Find text in topic or body")
        self.text_edit.setClearButtonEnabled(True)
        for edit in (self.topic_edit, self.text_edit):
            edit.textChanged.connect(lambda _text: self._filter_timer.start())
            edit.returnPressed.connect(self.apply_filter)

        self.pause_button = QToolButton()
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Keep receiving but stop updating the table")
        self.pause_button.toggled.connect(self.set_paused)
        self.follow_button = QToolButton()
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest frame in view (End); selecting a row or scrolling up stops it")
        self.follow_button.toggled.connect(self._set_follow)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.status_label = SteadyLabel()
        self.dropped_label = SteadyLabel()
        self.dropped_label.setStyleSheet("color: #d97706; font-weight: bold")
        self.dropped_label.hide()

        # Every control has a fixed place: a button or combo is as wide as its widest text,
        # the search boxes have fixed widths, and the counts take what is left after them
        # (cut, not pushing, when the log is narrow), so nothing moves as they grow.
        self._fix_widths()
        bar = FlowLayout()
        bar.setContentsMargins(4, 4, 4, 0)
        for w in (self.pause_button, self.follow_button, self.clear_button, self.kind_button,
                  self.direction_combo, self.conn_combo):
            bar.addWidget(w)  # each on its own: a narrow log wraps them (it does not grow the window)
        search = QWidget()
        row = QHBoxLayout(search)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.topic_edit)
        row.addWidget(self.text_edit)
        row.addWidget(self._counts_box(), 1)
        row.addWidget(self._scan_box())  # last: when it shows, the counts keep their place
        bar.add_filling(search)
        self._bar = bar

    def _complete_topics(self) -> None:
        """The topic box's suggestions (with the rest, for a log made ``later``: none before rows come)."""
        from PySide6.QtCore import QStringListModel
        from PySide6.QtWidgets import QCompleter

        from inspector.qt.completer_click import let_clicks_through

        self._topic_names = QStringListModel(self)
        completer = QCompleter(self._topic_names, self.topic_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.topic_edit.setCompleter(completer)
        let_clicks_through(completer)  # a click on the find box while suggestions show lands there

    def _fix_widths(self) -> None:
        chars = self.fontMetrics().averageCharWidth()
        self.topic_edit.setFixedWidth(18 * chars)
        self.text_edit.setFixedWidth(26 * chars)
        for button, texts in ((self.pause_button, ("Pause", "Resume")),
                              (self.kind_button, ("Kinds", f"Kinds ({len(self.kind_actions)})"))):
            shown = button.text()
            widths = []
            for text in texts:
                button.setText(text)
                widths.append(button.sizeHint().width())
            button.setText(shown)
            button.setFixedWidth(max(widths))
        self.direction_combo.setFixedWidth(self.direction_combo.sizeHint().width())
        # connections join the list later: room for "All connections" or a long id
        self.conn_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.conn_combo.setMinimumContentsLength(14)
        self.conn_combo.setFixedWidth(self.conn_combo.sizeHint().width())

    def _scan_box(self) -> QWidget:
        """Progress and Cancel of a filter or search over the session store (``scan_job``),
        shown only while one runs."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self._scan_job: ScanJob | None = None  # made when first used: its module is not needed at start-up
        self._scan_note = ""  # how the filter's last scan ended, when not with every row looked at
        self._reselect: int | None = None  # the frame selected before the filter changed, until found
        self._replacing_scan = False
        self._scan_shown_at = float("-inf")
        self._scan_done = (0, 0)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(0)
        self._show_timer.timeout.connect(self._show_scan)
        self._paint_timer = QTimer(self)  # the rows shown painted a turn after they are taken
        self._paint_timer.setSingleShot(True)
        self._paint_timer.setInterval(1)
        self._paint_timer.timeout.connect(self._paint_found)
        self._found: list[object] = []  # found numbers not shown yet
        self.scan_show_s = SCAN_SHOW_S
        self.scan_progress = QProgressBar()
        self.scan_progress.setRange(0, 1000)
        self.scan_progress.setFixedWidth(12 * self.fontMetrics().averageCharWidth())
        self.scan_progress.setFormat("%p%")
        self.scan_progress.setToolTip("Filtering the session on disk")
        self.scan_cancel = QToolButton()
        self.scan_cancel.setText("Cancel")
        self.scan_cancel.setToolTip("Stop filtering: the rows found so far stay")
        self.scan_cancel.clicked.connect(lambda: self.scan_job.cancel())
        row.addWidget(self.scan_progress)
        row.addWidget(self.scan_cancel)
        box.hide()
        self.scan_box = box
        return box

    @property
    def scan_job(self) -> ScanJob:
        """The runner of store scans: its ``found`` signal gives the rows as they are found."""
        if self._scan_job is None:
            from inspector.qt.log import scan_job
            job = self._scan_job = scan_job.ScanJob(self)
            job.progress.connect(self._scan_progressed)
            job.finished.connect(lambda _complete: self.scan_box.hide())
            job.found.connect(self._scan_found)
            job.failed.connect(self._scan_failed)
            job.finished.connect(self._scan_finished)
        return self._scan_job

    def run_scan(self, scan: MatchChunks) -> None:
        """Run a store scan (``store_scan.match_chunks`` with its arguments bound) with the bar's
        progress and Cancel; its rows arrive on ``scan_job.found``."""
        self.scan_progress.setValue(0)
        self.scan_box.show()
        self.scan_job.start(scan)

    def _scan_progressed(self, done: int, total: int) -> None:
        # A progress bar paints itself at once when its text changes (and the window's other
        # pending paints with it), and each insertion makes the view lay out again: the rows
        # found, the bar and the count are shown a few times a second, not at every step, and
        # in a turn of the event loop of their own, not after a step's scanning.
        self._scan_done = (done, total)
        now = self._clock()
        if now - self._scan_shown_at >= self.scan_show_s and not self._show_timer.isActive():
            self._scan_shown_at = now
            self._show_timer.start()

    def _show_scan(self) -> None:
        # The rows found are taken in this turn and painted in a later one, with the newest
        # formatted just before: each of the three then holds the thread on its own, and the
        # event loop turns between them.
        self._take_found()
        done, total = self._scan_done
        # its new text would repaint the bar at once, and with it every pending paint of the
        # window (the rows just taken): it is painted with them, in a turn of its own
        self.scan_progress.setUpdatesEnabled(False)
        self.scan_progress.setValue(1000 * done // total if total else 1000)
        self.scan_progress.setUpdatesEnabled(True)
        if self.model.scan is not None:
            self._update_status()

    # ------------------------------------------------------------ a filter's scan

    def _start_filter_scan(self, q: Query, keep: int | None) -> None:
        """Show ``q``'s rows as the scan finds them (``model.start_scan``), with progress and Cancel;
        ``keep``: the frame to select again once found."""
        self._stop_filter_scan()
        self._scan_note = ""
        self._reselect = keep
        self._found = []
        scan = self.model.start_scan(q, self._scan_end)
        self.detail.clear()
        self.run_scan(scan)

    def _stop_filter_scan(self) -> None:
        """Stop the filter's scan, if one runs, for another filter (or none) in its place."""
        if self._scan_job is not None and self.model.scan is not None:
            self._replacing_scan = True
            try:
                self._scan_job.cancel()
            finally:
                self._replacing_scan = False

    def _scan_end(self) -> int:
        """Where the filter's scan looks up to: the log's end; while paused, no further than now."""
        return self.model.taken if self._paused else self.rows.end_number

    def _scan_found(self, numbers: object) -> None:
        if self.model.scan is not None:
            self._found.append(numbers)

    def _take_found(self) -> None:
        """Append the rows found since last shown; they are painted in a later turn (``_paint_found``)."""
        self.view.setUpdatesEnabled(False)
        self._paint_timer.start()
        parts, self._found = self._found, []
        if not parts or self.model.scan is None:
            return
        import numpy as np
        found = np.concatenate([np.asarray(p, np.int64) for p in parts])
        self.model.take_found(found)
        if self.view.cells is None and self.model.rowCount():
            self._use_cells()
        keep = self._reselect
        if keep is not None and len(found) and found[-1] >= keep:
            self._reselect = None
            row = self.model.row_of_number(keep)
            if row is not None:
                self._select_again(row)
        if self._follow and len(found):
            self._scroll_to_bottom()

    def _paint_found(self) -> None:
        if self._follow:
            self._prepare_last_rows()
        self.view.setUpdatesEnabled(True)

    def _prepare_last_rows(self) -> None:
        """Format the rows a following view shows now, here rather than in its paint: each of the
        two then holds the window for about half as long."""
        rows = self.model.rowCount()
        height = max(1, self.view.verticalHeader().defaultSectionSize())
        self.model.prepare(rows - self.view.viewport().height() // height - 2, rows)

    def _scan_failed(self, message: str) -> None:
        self._scan_note = f"filter stopped: {message}"

    def _scan_finished(self, complete: bool) -> None:
        if self.model.scan is None:
            return
        self._show_timer.stop()
        self._take_found()
        self.model.end_scan(complete)
        self._reselect = None
        if self._replacing_scan:
            return
        unscanned = self.model.unscanned
        if unscanned is not None and not self._scan_note:
            a, b = unscanned
            self._scan_note = (f"filter cancelled: matches up to #{a - 1:,} shown, "
                               f"#{a:,}–#{b - 1:,} not searched")
        disk = self._log_rows.disk if self._log_rows is not None else None
        if disk is not None and disk.damage and not self._scan_note:
            self._scan_note = f"damaged rows not searched: {disk.damage}"
        self._sync()

    def _counts_box(self) -> QWidget:
        """The counts, in the room the search boxes leave: they never widen the bar."""
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(box)
        row.setSizeConstraint(QHBoxLayout.SizeConstraint.SetNoConstraint)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status_label)
        row.addWidget(self.dropped_label)
        row.addStretch(1)
        self.counts_box = box
        return box

    def _add_kind_action(self, name: str) -> None:
        # no icon: with one, the style draws the icon in place of the checkmark
        act = QAction(name, self.kind_menu)
        act.setCheckable(True)
        act.setChecked(True)
        act.toggled.connect(self.apply_filter)
        self.kind_menu.addAction(act)
        self.kind_actions[name] = act

    def _build_view(self) -> None:
        v = self.view = LogView(self._cpu_clock)
        v.setModel(self.model)
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # by pixel: Follow keeps the last row flush with the bottom, and leaving it (a click)
        # must not snap the rows to a row boundary under the pointer
        v.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        v.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        v.setWordWrap(False)
        v.setShowGrid(False)
        v.setTextElideMode(Qt.TextElideMode.ElideRight)
        vh = v.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(v.fontMetrics().height() + 6)
        vh.hide()
        v.verticalScrollBar().setSingleStep(vh.defaultSectionSize())  # a wheel step is still rows
        self.empty_hint = QLabel("No frames yet.")
        self.empty_hint.setObjectName("emptyLogHint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        viewport = _viewport(v)
        hint_layout = QVBoxLayout(viewport)
        hint_layout.addWidget(self.empty_hint)
        self._view_watch = _ViewWatch(self)
        viewport.installEventFilter(self._view_watch)
        hh = v.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        for col, width in enumerate(_WIDTHS):
            hh.resizeSection(col, width)
        assert len(_WIDTHS) == len(_MIN_WIDTHS) == len(COLUMNS) - 1
        self._preferred_widths = list(_WIDTHS)  # a narrow log shrinks these to fit
        self._pinned: set[int] = set()  # columns sized on purpose (by the user, or to fit a name): kept
        self._fitting = False
        hh.sectionResized.connect(self._section_resized)
        v.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_rows_action = QAction("Copy rows", v)
        self.copy_rows_action.triggered.connect(self.copy_rows)
        v.addAction(self.copy_rows_action)
        for text, slot in (("Copy frame as hex", "copy_hex"), ("Copy frame as base64", "copy_base64"),
                           ("Copy frame as JSON", "copy_json")):
            act = QAction(text, v)
            act.triggered.connect(lambda _=False, slot=slot: getattr(self.detail, slot)())
            v.addAction(act)
        v.selectionModel().currentRowChanged.connect(self._on_current)
        v.verticalScrollBar().valueChanged.connect(self._on_scroll)
        v.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.follow_action = QAction("Follow the newest frame", v)
        self.follow_action.triggered.connect(lambda: self.set_following(True))
        v.addAction(self.follow_action)
        self.go_to_action = QAction("Go to frame…", v)
        self.go_to_action.triggered.connect(lambda: self.go_to_dialog())
        v.addAction(self.go_to_action)
        if not self._later:
            self._set_shortcuts()
        # the Time column's modes; every column's cells once rows come (``_use_cells``)
        self.time_delegate = TimeDelegate(self.rows, self.model, v)
        v.setItemDelegateForColumn(COL_TIME, self.time_delegate)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        self.time_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode, text in TIME_MODES:
            act = QAction(text, group)
            act.setCheckable(True)
            act.setChecked(mode == WALL)
            act.triggered.connect(lambda _=False, mode=mode: self.set_time_mode(mode))
            self.time_actions[mode] = act

    def _set_shortcuts(self) -> None:
        from PySide6.QtGui import QKeySequence  # with the rest, for a log made ``later``

        self.copy_rows_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_rows_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.follow_action.setShortcut(QKeySequence(Qt.Key.Key_End))
        self.follow_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.go_to_action.setShortcut(QKeySequence("Ctrl+G"))
        self.go_to_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _section_resized(self, col: int, _old: int, new: int) -> None:
        if not self._fitting and col < len(self._preferred_widths):
            self._preferred_widths[col] = new
            self._pinned.add(col)

    def fit_columns(self) -> None:
        """Shrink the columns toward their minimums when the table is narrow, so Summary stays
        in view without scrolling sideways; back to their widths when there is room. A column
        sized on purpose keeps its width."""
        width = self.view.viewport().width()
        room = width - max(MIN_SUMMARY, int(width * SUMMARY_SHARE))
        hh = self.view.horizontalHeader()
        self._fitting = True
        try:
            least = tuple(self._preferred_widths[c] if c in self._pinned else m for c, m in enumerate(_MIN_WIDTHS))
            for col, w in enumerate(fit_widths(self._preferred_widths, least, room)):
                if hh.sectionSize(col) != w:
                    hh.resizeSection(col, w)
        finally:
            self._fitting = False

    # ------------------------------------------------------------ feeding

    def ingest(self, ev: SessionEvent) -> None:
        from inspector.logstore.session_rows import is_row  # loaded with the ring (``later``)
        from inspector.protocol.events import FrameSeen

        if type(ev) is FrameSeen:
            pending = self._pending
            if not pending:  # the first frame of a batch starts the flush timer (a Qt call per batch only)
                self._start_flush()
            pending.append(ev)
        elif is_row(ev):  # a connection event: a row of its own, in order among the frames
            if not self._pending and not self._pending_sessions:
                self._start_flush(frames=False)
            self._pending_sessions.append((len(self._pending), ev))

    def ingest_frames(self, frames: list[FrameSeen]) -> None:
        """``ingest`` for a batch of frames (a connection tab's batch sink)."""
        if frames:
            if not self._pending:
                self._start_flush()
            self._pending.extend(frames)

    def _start_flush(self, frames: bool = True) -> None:
        """The flush timer, for the rows from now: the first after a quiet spell (the table last
        followed the store ``flush_ms`` ago or more), and a log's first frames, show on the next
        turn of the event loop, not ``flush_ms`` later; a flood still flushes once per ``flush_ms``."""
        soon = self._clock() - self._synced_at >= self._sync_every or (frames and self.rows.frame_count == 0)
        self._flush_timer.start(0 if soon else self._flush_interval)

    @property
    def pending_count(self) -> int:
        """Frames ingested and not yet flushed into the store."""
        return len(self._pending)

    def add_flush_hook(self, fn: Callable[[list[FrameSeen], bool], None]) -> None:
        """Also hand every batch of ingested frames to ``fn(batch, stored)`` once it is in the
        store (``stored`` True: the store's newest ``len(batch)`` rows are these frames, e.g.
        for ``store.tail_columns``) or when it is dropped unstored (``clear``, or a batch
        larger than the store). A batch is the oldest ``len(batch)`` of the frames
        ``pending_count`` counted: a slice of them, or all. A recorder's way in: nothing
        per frame."""
        self._flush_hooks = (*self._flush_hooks, fn)

    def remove_flush_hook(self, fn: Callable[[list[FrameSeen], bool], None]) -> None:
        self._flush_hooks = tuple(f for f in self._flush_hooks if f != fn)

    def flush(self, whole: bool = True) -> None:
        """Move every pending frame into the store and the table, now (not ``whole``: the rows a
        text filter has to look at in the next turns of the event loop, as ``_sync`` says)."""
        self._slice_timer.stop()
        batch, self._pending = self._pending, []
        self._store(batch)
        self._sync(whole=whole)

    def flush_slice(self) -> None:
        """Move the oldest pending frames, about ``SLICE_S`` of work, into the store; the rest
        follow in later turns of the event loop (the timers call this)."""
        pending = self._pending
        n = min(len(pending), self.slice_size)
        # a log's first frames show at once: the gap a busy start-up (its first paint counted) set
        # for the connection's rows before them must not hold back the first live frame
        first = n > 0 and self.rows.frame_count == 0
        t0 = self._clock()
        if n == len(pending):
            batch, self._pending = pending, []
        else:
            batch = pending[:n]
            del pending[:n]
        self._store(batch)
        now = self._clock()
        if n:
            self.slice_size = next_slice_size(n, now - t0)
        if (first or now - self._synced_at >= self._sync_gap
                or (not self._pending and self._sync_gap <= self._sync_every)):
            self._sync()
        elif not self._pending and not self._sync_timer.isActive():  # the rest is stored; shown when the gap is up
            self._sync_when_due()
        if self._pending:
            self._slice_timer.start()

    def _sync_when_due(self) -> None:
        left = self._synced_at + self._sync_gap - self._clock()
        if left > 0:
            self._sync_timer.start(math.ceil(left * 1000))
        else:
            self._sync()

    def _store(self, batch: list[FrameSeen]) -> None:
        sessions = self._pending_sessions
        if sessions:  # connection events go in where they came, between the batch's frames
            n = len(batch)
            self._pending_sessions = [(pos - n, ev) for pos, ev in sessions if pos > n]
            at = 0
            for pos, ev in sessions:
                if pos > n:
                    break
                if pos > at:
                    self._store_frames(batch[at:pos])
                    at = pos
                self.store.add_session(ev)
            batch = batch[at:]
        self._store_frames(batch)

    def _store_frames(self, batch: list[FrameSeen]) -> None:
        if batch:
            self.store.extend(batch)
            for hook in self._flush_hooks:
                hook(batch, len(batch) <= self.store.cap)

    def _sync(self, whole: bool = False) -> None:
        """The table follows the store. Not ``whole``: new rows a text filter has to look at are
        taken a few ms at a time, a turn of the event loop each (``_catch_up_timer``)."""
        self._sync_timer.stop()
        now, cpu = self._clock(), self._cpu_clock()
        wall = now - self._synced_at
        ran = min(1.0, (cpu - self._synced_cpu) / wall) if wall > 0 else 0.0  # of a core, since the last sync
        self._synced_at, self._synced_cpu = now, cpu
        self._follow_store(whole)
        # what following costs: this sync, and painting the rows the last one brought; a share of the
        # thread's own time: a thread the machine's neighbours leave part of a core would otherwise
        # spend more of what it gets on painting (bench/bench_flood.py --busy)
        spent = self._cpu_clock() - cpu + self.view.take_painted()
        self._sync_gap = (min(MAX_SYNC_GAP, max(self._sync_every, spent / (PAINT_SHARE * ran))) if ran >= BUSY
                          else self._sync_every)

    def _follow_store(self, whole: bool) -> None:
        # rows shown blank until the store had them: paint them now
        if self._log_rows is not None and self._log_rows.maintain():
            self.view.viewport().update()
        sb = self.view.verticalScrollBar()
        old = sb.value()
        removed, inserted = self.model.sync(advance=not self._paused, whole=whole)
        if inserted and self.view.cells is None:
            self._use_cells()
        if not self._paused and self.model.behind:
            self._catch_up_timer.start()
        self._scrolling = True
        try:
            if self._follow and (inserted or removed):
                self.view.scrollToBottom()
            elif removed:  # keep the rows the user is reading in place
                sb.setValue(max(0, old - removed * self.view.verticalHeader().defaultSectionSize()))
        finally:
            self._scrolling = False
        self._refresh_choices()
        self._update_status()

    def _add_conn_choice(self, conn: str) -> None:
        from inspector.proxy.pair_names import SIDES, is_pair_conn  # connections come after start-up

        if not is_pair_conn(conn):
            self.conn_combo.addItem(conn, conn)
            return
        self.conn_combo.addItem(f"pair {conn}", conn)  # the pair filter
        if COL_DIR not in self._pinned:  # room for "server → client" in its rows
            hh = self.view.horizontalHeader()
            hh.resizeSection(COL_DIR, self.view.fontMetrics().horizontalAdvance(SIDES["in"]) + 16)

    def _refresh_choices(self) -> None:
        conns = self.rows.conns
        if len(conns) != self._known_conns:
            present = {self.conn_combo.itemData(i) for i in range(self.conn_combo.count())}
            for c in conns:
                if c not in present:
                    self._add_conn_choice(c)
            self._known_conns = len(conns)
        topics = self.rows.topics
        if len(topics) != self._known_topics:
            self._topic_names.setStringList(sorted(topics))
            self._known_topics = len(topics)

    # ------------------------------------------------------------ controls

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        paused = bool(paused)
        if paused == self._paused:
            return
        self._paused = paused
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        if not paused:
            self.flush(whole=False)  # the rows that came meanwhile: a filter may take a while over them
        else:
            self._update_status()
        self.pausedChanged.emit(paused)

    @property
    def following(self) -> bool:
        return self._follow

    def set_following(self, on: bool) -> None:
        """Follow the newest frame (or stop): the button, the End key and a selection use this."""
        if self.follow_button.isChecked() != bool(on):
            self.follow_button.setChecked(bool(on))  # its toggled signal lands in _set_follow
        elif bool(on) != self._follow:
            self._set_follow(on)

    def _set_follow(self, on: bool) -> None:
        self._follow = bool(on)
        if on:
            self._scrolling = True
            try:
                self.view.scrollToBottom()
            finally:
                self._scrolling = False

    def _on_range(self, _low: int, high: int) -> None:
        """Following, the newest row stays flush with the bottom when the rows' height or the
        view's changes (a document laid out as it shows, a window made smaller)."""
        if self._follow and not self._scrolling:
            self._scrolling = True
            try:
                self.view.verticalScrollBar().setValue(high)
            finally:
                self._scrolling = False

    def _on_scroll(self, value: int) -> None:
        if self._scrolling:
            return
        follow = value >= self.view.verticalScrollBar().maximum()
        if follow != self._follow:
            self._follow = follow
            self.follow_button.blockSignals(True)
            self.follow_button.setChecked(follow)
            self.follow_button.blockSignals(False)

    def clear(self) -> None:
        self._slice_timer.stop()
        self._sync_timer.stop()
        self._stop_filter_scan()
        self._scan_note = ""
        batch, self._pending = self._pending, []
        self._pending_sessions = []
        if batch:
            for hook in self._flush_hooks:
                hook(batch, False)
        self.store.clear()
        if self._log_rows is not None:
            self._log_rows.clear()
        self.time_delegate.origin = None
        self._known_conns = self._known_topics = 0
        self.model.reset()
        if self.payloads is not None:
            self.payloads.reset()
        self.detail.clear()
        self._update_status()

    def log_rows(self) -> LogRows:
        """The log read as ``LogRows`` (the ring's rows and a session store's), from now on: made
        when a store first backs the log or is shown in it, so start-up loads only the ring."""
        if self._log_rows is None:
            from inspector.logstore.log_rows import LogRows
            rows = self._log_rows = LogRows(self.store)
            scanning = self.model.scan is not None
            self._stop_filter_scan()
            self.rows = self.model.store = self.time_delegate.store = rows
            if self.payloads is not None:
                self.payloads.store = rows
            self.model.refresh_all()
            if scanning:  # the filter's scan read the ring alone: again over every row
                self._start_filter_scan(self.model.query, None)
        return self._log_rows

    def frame_count(self) -> int:
        return self.rows.frame_count

    @property
    def time_mode(self) -> str:
        return self.time_delegate.mode

    def set_time_mode(self, mode: str) -> None:
        """WALL: the time of day; RELATIVE: seconds since the first frame in the log."""
        if mode not in self.time_actions:
            raise ValueError(f"unknown time mode {mode!r}")
        self.time_actions[mode].setChecked(True)
        self.time_delegate.mode = mode
        self.view.viewport().update()

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addSection("Time column")
        for act in self.time_actions.values():
            menu.addAction(act)
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))

    def go_to(self, number: int) -> bool:
        """Select frame ``number`` (or, when the filter hides it, the next one shown) and scroll
        to it, ending Follow; wherever the row is kept. False when no such row is shown."""
        row = self.model.row_at_or_after(number)
        if row is None:
            return False
        self.set_following(False)
        idx = self.model.index(row, 0)
        self.view.setCurrentIndex(idx)
        self.view.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def go_to_dialog(self) -> QInputDialog:
        """Ask for a frame number (non-blocking), then go to it."""
        from PySide6.QtWidgets import QInputDialog  # its class (and QDialog's) made when first asked for

        dlg = QInputDialog(self)
        dlg.setWindowTitle("Go to frame")
        dlg.setLabelText("Frame number:")
        dlg.setInputMode(QInputDialog.InputMode.IntInput)
        first, end = self.rows.first_number, self.rows.end_number
        dlg.setIntRange(first, max(first, end - 1))
        dlg.setIntValue(self.model.number_at(self.view.currentIndex().row()) if self.view.currentIndex().isValid()
                        else first)
        dlg.intValueSelected.connect(self.go_to)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def focus_filter(self) -> None:
        self.text_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_edit.selectAll()

    def query(self) -> Query:
        """The filter the bar describes."""
        checked = {name for name, act in self.kind_actions.items() if act.isChecked()}
        kinds = None
        if len(checked) != len(self.kind_actions):
            wanted = {int(Kind[name]) for name in checked if name not in ("Other", CONNECTION_KIND)}
            if CONNECTION_KIND in checked:
                wanted.add(KIND_SESSION)
            kinds = frozenset(wanted | (OTHER_KINDS if "Other" in checked else set()))
        return Query(
            kinds=kinds,
            direction=self.direction_combo.currentData(),
            conn=self.conn_combo.currentData(),
            topic=self.topic_edit.text().strip(),
            text=self.text_edit.text().strip(),
        )

    def apply_filter(self, *_args: object) -> None:
        self._filter_timer.stop()
        q = self.query()
        shown = sum(act.isChecked() for act in self.kind_actions.values())
        self.kind_button.setText("Kinds" if shown == len(self.kind_actions) else f"Kinds ({shown})")
        if q == self.model.query and self.model.unscanned is None:  # a cancelled one runs again
            return
        current = self.view.currentIndex()
        number = self.model.number_at(current.row()) if current.isValid() else None
        if self.model.needs_scan(q):
            self._start_filter_scan(q, number)
        else:
            self._stop_filter_scan()
            self._scan_note = ""
            self.model.set_query(q)
            row = self.model.row_of_number(number) if number is not None else None
            if row is not None:
                self._select_again(row)
        if self._follow:
            self._scroll_to_bottom()
        self._update_status()

    def _select_again(self, row: int) -> None:
        """Select ``row`` (the frame selected before the filter changed): not the user's choice."""
        idx = self.model.index(row, 0)
        self._keeping_current = True
        try:
            self.view.setCurrentIndex(idx)
        finally:
            self._keeping_current = False
        if not self._follow:
            self.view.scrollTo(idx)

    def _scroll_to_bottom(self) -> None:
        self._scrolling = True
        try:
            self.view.scrollToBottom()
        finally:
            self._scrolling = False

    def selected_events(self) -> list[SessionEvent]:
        rows = sorted({ix.row() for ix in self.view.selectionModel().selectedRows()})
        out = []
        for r in rows:
            i = self.model.store_index(r)
            if i is not None:
                out.append(self.rows.event(i))
        return out

    def copy_rows(self) -> str:
        """Put the selected rows on the clipboard as tab-separated text (and return it)."""
        rows = sorted({ix.row() for ix in self.view.selectionModel().selectedRows()})
        lines = ["\t".join(COLUMNS)] if rows else []
        for r in rows:
            cells = [self.model.data(self.model.index(r, c)) for c in range(len(COLUMNS))]
            if cells[0] is not None:
                lines.append("\t".join(cells))
        text = "\n".join(lines)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    # ------------------------------------------------------------ display

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # a row chosen while rows stream in would slide away under the pointer: stay on it
        if current.isValid() and not self._keeping_current and self._follow:
            self.set_following(False)
        i = self.model.store_index(current.row()) if current.isValid() else None
        if i is None:
            self.detail.clear()
            return
        rows = self.rows
        if rows.is_session(i):
            self.detail.show_session(rows.session_event(i), rows.conn(i), rows.t(i))
            self.frameSelected.emit(current.row())
            return
        self.detail.show_frame(rows.data(i), rows.direction(i), rows.is_text(i))
        if self.payloads is not None and rows.kind(i) == Kind.EVENT:
            self.detail.show_reading(self.payloads.reading(self.model.number_at(current.row())))
        self.frameSelected.emit(current.row())

    # ------------------------------------------------------------ payloads

    def set_payloads(self, lens: Lens | None, conn: str | None = EVERY) -> None:
        """Read connection ``conn``'s EVENT rows (EVERY: all rows) with this contract and these
        decoders; None: stop (for ``conn``, or for every connection)."""
        lens = lens if lens is not None and lens.active else None
        old = self.model.payloads
        if old is not None and (conn is not EVERY or lens is not None):
            old.set_lens(conn, lens)
            if old.lenses:
                self.model.refresh_all()
                return
        if old is not None:
            old.close()
            old.deleteLater()
        view = PayloadView(self.rows, lens, self, conn) if lens is not None else None
        if view is not None:
            view.readingShown.connect(self._reading_shown)
            view.countsChanged.connect(self._update_status)
            view.troubled.connect(self.payloadTrouble)
        self.model.payloads = view
        self.model.refresh_all()
        self._update_status()

    @property
    def payloads(self) -> PayloadView | None:
        return self.model.payloads

    def _reading_shown(self, number: int, reading: Reading) -> None:
        self.model.refresh_number(number)
        current = self.view.currentIndex()
        if current.isValid() and self.model.number_at(current.row()) == number:
            self.detail.show_reading(reading)

    def set_empty_text(self, text: str) -> None:
        """What the table says while the log holds nothing (what to do next)."""
        self.empty_hint.setText(text)

    def _update_status(self) -> None:
        total = self.rows.frame_count
        empty = not total and not self.model.rowCount()
        if empty != self.empty_hint.isVisibleTo(self.view):
            self.empty_hint.setVisible(empty)
        parts = [f"{total:,} frames"]
        counts = self.payloads.counts_text() if self.payloads is not None else ""
        if counts:
            parts.append(counts)
        if not self.model.query.is_all:
            parts.append(f"{self.model.rowCount():,} shown" + (", filtering…" if self.model.scan is not None else ""))
        if self._scan_note:
            parts.append(self._scan_note)
        if self._paused:
            parts.append(f"paused, {self.model.pending:,} new")
        self.status_label.setText(" · ".join(parts))
        dropped = self.rows.dropped
        if dropped:
            self.dropped_label.setText(f"{dropped:,} oldest frames dropped")
            self.dropped_label.show()
        else:
            self.dropped_label.hide()


class _ViewWatch(QObject):
    """A press on the table ends Follow before the view handles it: the row under the
    pointer is the row selected, and no scroll for newer rows moves it away after.
    A new width fits the columns to it."""

    def __init__(self, panel: LogPanel) -> None:
        super().__init__(panel)
        self._panel = panel

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and self._panel.following:
            self._panel.set_following(False)
        elif kind == QEvent.Type.Resize:
            self._panel.fit_columns()
        return False


def fit_widths(preferred: list[int], minimum: tuple[int, ...], room: int) -> list[int]:
    """``preferred`` widths, each shrunk toward its ``minimum`` in proportion to its slack,
    so that together they take at most ``room`` (never below the minimums)."""
    excess = sum(preferred) - room
    if excess <= 0:
        return list(preferred)
    slack = [max(0, p - m) for p, m in zip(preferred, minimum, strict=True)]
    total = sum(slack)
    if total <= excess:
        return [min(p, m) for p, m in zip(preferred, minimum, strict=True)]
    return [p - -(-s * excess // total) for p, s in zip(preferred, slack, strict=True)]


def next_slice_size(n: int, seconds: float) -> int:
    """Frames the next slice takes, after ``n`` frames took ``seconds``: as many as fit in
    ``SLICE_S`` at that cost."""
    if seconds <= 0:
        return MAX_SLICE
    return max(MIN_SLICE, min(MAX_SLICE, int(n * SLICE_S / seconds)))
