"""A load run opened as a document: latency percentiles over time, and the per-kind/per-topic table.

The table holds one row per (kind, name) of the report, as Locust named them; selecting a
row plots its p50 / p90 / p99 second by second, with the users running on a second axis.
A row with no per-second series (CONNECT: the users connect once) shows its run-wide
percentiles as levels across the run instead of an empty chart.
"""

from __future__ import annotations

import pyqtgraph as pg  # after PySide6, so pyqtgraph binds to it
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.qt.load.load_run import LoadRun, LoadRunError, Row, read
from inspector.qt.plot_theme import show_axis_values, theme_plot
from inspector.qt.window_services import WindowServices

COLUMNS = (("kind", "Kind"), ("name", "Topic / detail"), ("requests", "Count"), ("failures", "Failures"),
           ("per_s", "Per s"), ("p50", "p50 ms"), ("p90", "p90 ms"), ("p95", "p95 ms"), ("p99", "p99 ms"),
           ("max", "Max ms"), ("bytes", "Bytes"))
LINES = (("p50", "#2563eb"), ("p90", "#d97706"), ("p99", "#dc2626"))
FILE_FILTER = "Load run reports (*.json);;All files (*)"
PREFERRED = ("EVENT", "PING", "SUBSCRIBE", "CONNECT")  # the row plotted first, by kind


def _cell(value: float | str | None) -> QTableWidgetItem:
    if value is None:
        item = QTableWidgetItem("")
    elif isinstance(value, str):
        item = QTableWidgetItem(value)
    else:
        item = QTableWidgetItem()
        item.setData(Qt.ItemDataRole.DisplayRole, round(value, 2) if isinstance(value, float) else value)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    return item


def summary(run: LoadRun) -> str:
    total = run.total.figures if run.total is not None else {}
    parts = [run.url or "(no URL)", f"started {run.started}" if run.started else ""]
    if run.duration_s is not None:
        parts.append(f"{run.duration_s:.1f} s")
    if run.peak_users is not None:
        parts.append(f"{run.peak_users} users" + (f" of {run.target_users}" if run.target_users else ""))
    if run.workers is not None:
        parts.append(f"{run.workers} worker{'s' if run.workers != 1 else ''}")
    if total.get("requests") is not None:
        samples, failures = int(total["requests"] or 0), int(total.get("failures") or 0)
        parts.append(f"{samples} sample{'s' if samples != 1 else ''}, {failures} failure{'s' if failures != 1 else ''}")
    return " · ".join(p for p in parts if p)


class LoadRunView(QWidget):
    log_panel = None  # no log of its own: the log actions act on the live one

    def __init__(self, run: LoadRun, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.shown: tuple[str, str] | None = None  # the (kind, name) plotted
        self.header = QLabel(summary(run))
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.setWordWrap(True)  # the captions wrap in a narrow window instead of being cut off
        self.note = QLabel(run.clock_note)
        self.note.setObjectName("clockNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("font-style: italic")  # a caveat, not a figure: italic, in the text's colour
        self.note.setVisible(bool(run.clock_note))

        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "time into the run", units="s")
        self.plot.setLabel("left", "ms")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMenuEnabled(False)
        show_axis_values(self.plot, False)  # until a row with figures is plotted
        self.legend = self.plot.addLegend(offset=(5, 5))
        # points as well as lines: a second with one sample is still seen
        self.curves = {key: self.plot.plot([], [], name=key, pen=pg.mkPen(colour, width=1), symbol="o",
                                           symbolSize=5, symbolPen=None, symbolBrush=colour)
                       for key, colour in LINES}
        self.users_curve = self.plot.plot([], [], name="users", pen=pg.mkPen("#6b7280", width=1,
                                                                              style=Qt.PenStyle.DashLine))
        self.plot_title = QLabel()
        self.plot_title.setWordWrap(True)

        self.table = QTableWidget(len(run.rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels([title for _key, title in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setDefaultSectionSize(self.fontMetrics().horizontalAdvance("Failures") + 24)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, self.fontMetrics().horizontalAdvance("SERVER_PING") + 24)
        for i, row in enumerate(run.rows):
            for j, (key, _title) in enumerate(COLUMNS):
                value = row.kind if key == "kind" else row.name if key == "name" else row.figures.get(key)
                self.table.setItem(i, j, _cell(value))
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.errors = QTableWidget(len(run.errors), 4)
        self.errors.setHorizontalHeaderLabels(["Kind", "Topic / detail", "Failure", "Times"])
        self.errors.verticalHeader().hide()
        self.errors.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.errors.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.errors.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, err in enumerate(run.errors):
            for j, key in enumerate(("kind", "name", "error", "occurrences")):
                value = err.get(key)
                self.errors.setItem(i, j, _cell(value if isinstance(value, (str, int, float)) else None))
        self.errors.setVisible(bool(run.errors))

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.plot_title)
        top_layout.addWidget(self.plot, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.table)
        split.addWidget(self.errors)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self._apply_palette()
        self.select(self._first_row())

    def _first_row(self) -> Row | None:
        for kind in PREFERRED:
            row = next((r for r in self.run.rows if r.kind == kind and (r.figures.get("requests") or 0) > 0), None)
            if row is not None:
                return row
        return self.run.rows[0] if self.run.rows else None

    def select(self, row: Row | None) -> None:
        """Plot ``row``'s percentiles over time and select it in the table."""
        if row is None:
            self.plot_title.setText("The report has no statistics rows")
            return
        for i in range(self.table.rowCount()):
            kind, name = self.table.item(i, 0), self.table.item(i, 1)
            if kind is not None and name is not None and (kind.text(), name.text()) == (row.kind, row.name):
                self.table.selectRow(i)
                break
        self._plot(row)

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        i = rows[0].row()
        kind, name = self.table.item(i, 0), self.table.item(i, 1)
        if kind is not None and name is not None:
            row = self.run.row(kind.text(), name.text())
            if row is not None:
                self._plot(row)

    def _plot(self, row: Row) -> None:
        points = self.run.series.get((row.kind, row.name), [])
        what = "delivery lag (now − ts)" if row.kind in ("EVENT", "PRESENCE") else "time"
        if points:
            xs = [p.t for p in points]
            for key, curve in self.curves.items():
                ys = [p.figures.get(key) for p in points]
                curve.setData([x for x, y in zip(xs, ys, strict=True) if y is not None],
                              [y for y in ys if y is not None])
            title = f"{row.kind} {row.name}: {what} per second, p50 / p90 / p99 (ms)"
        else:
            self._plot_levels(row)
            title = (f"{row.kind} {row.name}: {what} over the whole run, p50 / p90 / p99 (ms) "
                     "(the report has no per-second series for it)")
        self.shown = (row.kind, row.name)
        self.plot_title.setText(f"{title}; users dashed, on the same axis as a count")
        self.users_curve.setData([t for t, _n in self.run.users], [n for _t, n in self.run.users])
        show_axis_values(self.plot, any(c.getData()[0] is not None and len(c.getData()[0])
                                        for c in (*self.curves.values(), self.users_curve)))

    def _plot_levels(self, row: Row) -> None:
        """The row's run-wide percentiles, each a level from the run's start to its end."""
        end = max([self.run.duration_s or 0.0, *(t for t, _n in self.run.users)]) or 1.0
        for key, curve in self.curves.items():
            value = row.figures.get(key)
            curve.setData(*(([0.0, end], [value, value]) if value is not None else ([], [])))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        theme_plot(self.plot, self.legend, self.palette())

    async def close_document(self) -> None:
        """Nothing runs in a report: it closes at once."""


def open_load_run(window: WindowServices, path: str) -> LoadRunView | None:
    """Open the report at ``path`` as a document; a bad file is one line in the status bar."""
    try:
        run = read(path)
    except LoadRunError as exc:
        window.report_error(f"cannot open {path}: {exc}")
        return None
    view = LoadRunView(run)
    name = path.rsplit("/", 1)[-1]
    window.add_document(view, f"Load: {name}", f"Load run {path}")
    return view


def open_dialog(parent: QWidget, window: WindowServices) -> QFileDialog:
    """The non-blocking file dialog of File > Open load run… (``parent``: the window as Qt sees it)."""
    dlg = QFileDialog(parent, "Open load run", "", FILE_FILTER)
    dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.fileSelected.connect(lambda path: open_load_run(window, path))
    dlg.open()
    return dlg
