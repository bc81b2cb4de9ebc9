"""A document that runs ``conform`` against a profile's server and shows the results by rule id.

The run is a task on the qasync loop (never blocking the window) with progress and Cancel. A
failed row opens its recording as a document of its own with the offending frame selected.
Results can be saved as JUnit XML or JSON (non-blocking file dialogs).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.client.failures import CLI_TRUST_HINT
from inspector.client.model import ConnectOptions
from inspector.client.tokens import TokenError, TokenSource
from inspector.conformance.cases import OPT_IN
from inspector.conformance.conform import conform, server_cases
from inspector.conformance.report import CaseResult, Outcome, Report, write_json, write_junit
from inspector.conformance.runner import RunOptions
from inspector.private_files import make_private_dir
from inspector.qt.aio import Tasks
from inspector.qt.conformance.check_options import GUI_HINTS, CheckOptions
from inspector.redact import redact_url, scrub

COLUMNS = ("Rules", "Case", "Outcome", "Details")
COL_RULES, COL_CASE, COL_OUTCOME, COL_DETAILS = range(4)
COLORS = {Outcome.FAIL: "#d33", Outcome.ERROR: "#d33", Outcome.NON_STRICT: "#c80", Outcome.PASS: "#393"}


class CheckView(QWidget):
    """Shown as a document; ``start()`` begins the run (again, with the options bar's settings),
    ``close_document()`` cancels it. ``artifacts``: the folder each run makes its own folder in."""

    message = Signal(str)
    open_artifact = Signal(str, int)  # recording path, offending frame index (-1: none)
    finished = Signal(object)  # the Report
    log_panel = None  # no log of its own: the log actions act on the live one

    def __init__(self, title: str, url: str, token: TokenSource, tasks: Tasks, *, auth: str = "header",
                 options: ConnectOptions | None = None, control_url: str | None = None,
                 artifacts: Path | None = None, timeout: float = 3.0, parent: QWidget | None = None):
        super().__init__(parent)
        self.title, self.url, self.token, self.tasks, self.auth = title, url, token, tasks, auth
        self.options, self.control_url, self.timeout = options or ConnectOptions(), control_url, timeout
        self.options_bar = CheckOptions(control_url, artifacts)
        self.cases = server_cases()
        self.report: Report | None = None
        self.results: list[CaseResult] = []
        self.task: asyncio.Task[None] | None = None
        self._dialog: QFileDialog | None = None

        self.heading = QLabel(f"Checking {redact_url(url)} against docs/protocol.md")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, len(self.cases))
        self.cancel_button = QPushButton("Cancel")
        self.junit_button = QPushButton("Save JUnit…")
        self.json_button = QPushButton("Save JSON…")
        for b in (self.junit_button, self.json_button):
            b.setEnabled(False)
        self.summary = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.resizeSection(COL_RULES, 160)
        hh.resizeSection(COL_CASE, 170)
        hh.resizeSection(COL_OUTCOME, 75)
        self.table.setToolTip("Double-click a failed row to open its recording with the offending frame selected")

        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel_button)
        top.addWidget(self.junit_button)
        top.addWidget(self.json_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.options_bar)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

        self.cancel_button.clicked.connect(self.cancel)
        self.options_bar.run_requested.connect(self.start)
        self.junit_button.clicked.connect(lambda: self.save_dialog("junit"))
        self.json_button.clicked.connect(lambda: self.save_dialog("json"))
        self.table.cellActivated.connect(self._activated)
        self.table.cellDoubleClicked.connect(self._activated)

    # ------------------------------------------------------------ the run

    def start(self) -> asyncio.Task[None]:
        if self.running:
            assert self.task is not None
            return self.task
        self.report, self.results = None, []
        self.table.setRowCount(0)
        self.progress.setRange(0, len(self.cases))
        self.progress.setValue(0)
        self.summary.setText("")
        self.summary.setStyleSheet("")
        self.options_bar.set_running(True)
        self.cancel_button.setEnabled(True)
        for b in (self.junit_button, self.json_button):
            b.setEnabled(False)
        self.task = self.tasks.spawn(self._run(), name=f"check {self.title}")
        return self.task

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def cancel(self) -> None:
        if self.running:
            assert self.task is not None
            self.task.cancel()

    async def _run(self) -> None:
        started = time.monotonic()
        try:
            token = await self.token.fetch()
        except TokenError as exc:
            self._ended(f"cannot check: {exc}")
            return
        tls = None
        if self.url.startswith("wss:"):
            from inspector.client.tls import TlsSetupError, client_context
            try:
                tls = client_context(self.options)
            except TlsSetupError as exc:
                self._ended(f"cannot check: {exc}")
                return
        base = self.options_bar.artifacts()
        try:
            artifacts = make_private_dir(run_folder(base, self.title)) if base is not None else None
        except OSError as exc:
            self._ended(f"cannot check: cannot create a folder in {base}: {exc.strerror or exc}")
            return
        bar = self.options_bar
        publisher = bar.publisher(token, tls)
        from inspector.logstore.store_recorder import write_case  # a failed case's traffic as a session folder
        opts = RunOptions(artifacts=artifacts, profile=self.title, slow=bar.slow, hints=dict(GUI_HINTS),
                          record=write_case, opted_in=bar.opted_in([c.id for c in self.cases if OPT_IN in c.needs]))
        try:
            self.report = await conform(self.url, token, self.cases, opts, auth=self.auth, tls=tls,
                                        headers=self.options.headers, publisher=publisher, timeout=self.timeout,
                                        progress=self._progress)
        except asyncio.CancelledError:
            self.report = Report("conform", redact_url(self.url), list(self.results),
                                 duration=time.monotonic() - started)
            self._ended(f"cancelled after {len(self.results)} of {len(self.cases)} cases")
            raise
        if self.report.unreachable:  # said once, above the rows that were skipped for it
            self.summary.setStyleSheet("color: #b71c1c; font-weight: bold")
        self._ended(self.report.summary().replace(CLI_TRUST_HINT, ""))
        self.finished.emit(self.report)

    def _progress(self, result: CaseResult, done: int, total: int) -> None:
        self.results.append(result)
        self.progress.setValue(done)
        self._add_row(result)

    def _add_row(self, r: CaseResult) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        details = r.message
        if r.expected or r.actual:
            details += f" — expected {r.expected}; got {r.actual}"
        if r.artifact:
            details += f" [recording: {Path(r.artifact).name}]"
        for col, text in ((COL_RULES, " ".join(r.rules)), (COL_CASE, r.case), (COL_OUTCOME, r.outcome.value),
                          (COL_DETAILS, details)):
            item = QTableWidgetItem(text)
            item.setToolTip(details if col == COL_DETAILS else r.title)
            if col == COL_OUTCOME and r.outcome in COLORS:
                item.setForeground(QColor(COLORS[r.outcome]))
            self.table.setItem(row, col, item)

    def _ended(self, text: str) -> None:
        self.summary.setText(text)
        self.options_bar.set_running(False)
        self.cancel_button.setEnabled(False)
        done = self.report is not None
        self.junit_button.setEnabled(done)
        self.json_button.setEnabled(done)
        self.message.emit(f"check {self.title}: {text}")

    async def close_document(self) -> None:
        """Closing the document cancels the run and waits for it to let go of its connections."""
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # ------------------------------------------------------------ results

    def result_at(self, row: int) -> CaseResult | None:
        return self.results[row] if 0 <= row < len(self.results) else None

    def _activated(self, row: int, _col: int = 0) -> None:
        r = self.result_at(row)
        if r is None:
            return
        if r.artifact:
            self.open_artifact.emit(r.artifact, -1 if r.frame is None else r.frame)
        elif r.outcome is not Outcome.PASS:
            self.message.emit(f"{r.case}: no recording" + (
                "" if self.options_bar.artifacts() is not None
                else " (choose a folder for the recordings of failed cases and run again)"))

    def save_dialog(self, kind: str) -> QFileDialog:
        name = f"conform-{time.strftime('%Y%m%d-%H%M%S')}.{'xml' if kind == 'junit' else 'json'}"
        dlg = QFileDialog(self, "Save JUnit report" if kind == "junit" else "Save JSON report", name,
                          "JUnit XML (*.xml)" if kind == "junit" else "JSON (*.json)")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(lambda path: self.save(path, kind))
        self._dialog = dlg
        dlg.open()
        return dlg

    def save(self, path: str | Path, kind: str) -> bool:
        if self.report is None:
            return False
        try:
            (write_junit if kind == "junit" else write_json)(self.report, path)
        except OSError as exc:
            self.message.emit(scrub(f"cannot save {Path(path).name}: {exc.strerror or exc}"))
            return False
        self.message.emit(f"saved {Path(path).name}")
        return True


def run_folder(base: Path, title: str) -> Path:
    """One folder per run in ``base``, named after the profile and the time."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in title)[:40] or "profile"
    return base / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}"


def control_url_for(url: str) -> str:
    """The mock's control channel beside its realtime URL."""
    from inspector.protocol.urls import control_url
    return control_url(url)


def select_frame(view: Any, frame: int) -> bool:
    """Select the ``frame``-th frame (connection-event rows not counted) of a recording view's log."""
    panel = view.log_panel
    panel.flush()
    model, store = panel.model, panel.rows
    seen = -1
    for row in range(model.rowCount()):
        i = model.store_index(row)
        if i is None or store.is_session(i):
            continue
        seen += 1
        if seen == frame:
            panel.set_following(False)
            idx = model.index(row, 0)
            panel.view.setCurrentIndex(idx)
            panel.view.scrollTo(idx)
            return True
    return False
