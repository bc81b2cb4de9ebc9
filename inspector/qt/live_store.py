"""The live session on disk: the log's rows written to the session store, Keep, and the budget.

``LiveStore`` hooks a ``LiveSession`` onto the live log's store (whole batches, in the log's
flush path) and ticks it from one single-shot timer that runs only while rows wait to be
written. The toolbar's Record button becomes Keep: pressed, it keeps the rows from now (or
from a chosen frame) until pressed again, a span (``kept_spans`` in session.json; a session
with one is never pruned whole) instead of writing a second file; "Save kept span as…"
copies the kept rows into a new named session. File → Record still writes a ``.rirec``.
Sessions not kept are pruned under a disk budget (Preferences: File → Session store…, or
``--store-budget``) at start-up and when the session closes; the open one never is. A
status-bar label says where the sessions are and how much is kept.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.logstore.disk_budget import human_size
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.layout import list_sessions, sessions_dir
from inspector.logstore.session_store.prune import DEFAULT_BUDGET, PrunePlan, prune

if TYPE_CHECKING:
    from inspector.qt.main_window import MainWindow

TICK_MS = 50  # with the writer's 200 ms: rows reach the file within 250 ms
LABEL_EVERY_S = 1.0  # the store label's size, recounted while rows are written (a walk of the sessions' folders)
BUDGET_KEY = "store/budgetBytes"


class LiveStore(QObject):
    saved = Signal(object, int)  # the new session's folder, rows copied ("Save kept span as…")
    save_failed = Signal(str)

    def __init__(self, window: MainWindow, data_dir: str | os.PathLike[str], budget: int | None = None,
                 writer_options: dict[str, Any] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.data_dir = Path(data_dir)
        self._budget_override = budget
        self.last_prune: PrunePlan | None = None
        self.session = LiveSession(self.data_dir, on_error=window.report_error, on_pending=self._start_tick,
                                   writer_options=writer_options, open_at_tick=True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self.prune()
        self._log_store = window.log_panel.store
        self.session.attach(self._log_store)
        self._reading = False  # the log reads the store (from the first rows written on)
        self._label_at = 0.0  # when the store label last counted the sessions' bytes
        self.label = QLabel()
        self.label.setObjectName("sessionStoreLabel")
        window.statusBar().addPermanentWidget(self.label)
        self._build_actions()
        self.saved.connect(self._on_saved)
        self.save_failed.connect(window.report_error)
        self.update_label()

    # ------------------------------------------------------------ budget and pruning

    @property
    def budget(self) -> int:
        if self._budget_override is not None:
            return self._budget_override
        try:
            return int(str(self.window.settings.value(BUDGET_KEY, DEFAULT_BUDGET)))
        except (TypeError, ValueError):
            return DEFAULT_BUDGET

    def set_budget(self, n: int) -> None:
        """The budget kept in the settings (a ``--store-budget`` given for this run wins until it ends)."""
        self.window.settings.setValue(BUDGET_KEY, int(n))
        self._budget_override = None

    def prune(self, report: bool = True) -> PrunePlan:
        plan = self.last_prune = prune(self.data_dir, self.budget)
        if report and plan.over_budget:
            self.window.show_message(f"sessions take {human_size(plan.total_after)}, over the "
                                     f"{human_size(plan.budget)} budget: kept and open ones are never pruned")
        return plan

    # ------------------------------------------------------------ writing

    def _start_tick(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _tick(self) -> None:
        if not self._reading:  # the log reads what its ring gives up from the store from now on
            self._reading = True
            self.window.log_panel.log_rows().attach_live(self.session)
        self.session.tick()
        now = time.monotonic()
        if now - self._label_at >= LABEL_EVERY_S or not self.session.pending:  # the size grows as rows are written
            self.update_label()
        if self.session.pending:
            self._timer.start()

    def close(self) -> None:
        """End of the app (the window may be gone): write the rest, close the session, prune."""
        with contextlib.suppress(RuntimeError):  # the window (and its timer and log) may be gone
            self._timer.stop()
            self.window.log_panel.flush()  # the frames still waiting for the log are the session's too
        LiveSession.detach(self._log_store)
        self.session.close()
        self.prune(report=False)

    # ------------------------------------------------------------ keep

    def _build_actions(self) -> None:
        w = self.window
        self.keep_action = QAction("Keep", w)
        self.keep_action.setCheckable(True)
        self.keep_action.setIcon(w.record_action.icon())
        self.keep_action.setToolTip("Keep from now until pressed again: kept rows are on disk already and are never "
                                    "pruned (a session may have several kept spans)")
        self.keep_action.toggled.connect(self.keep)
        self.keep_from_action = QAction("Keep from frame…", w)
        self.keep_from_action.setToolTip("Start keeping at an earlier frame (the selected one, or any number)")
        self.keep_from_action.triggered.connect(lambda _=False: self.keep_from_dialog())
        self.save_action = QAction("Save kept span as…", w)
        self.save_action.setToolTip("Write the kept rows to a new named session (the app and replay open it)")
        self.save_action.triggered.connect(lambda _=False: self.save_dialog())
        self.store_action = QAction("Session store…", w)
        self.store_action.triggered.connect(lambda _=False: self.show_dialog())
        self.keep_menu = QMenu("Keep", w)
        self.keep_menu.addActions([self.keep_from_action, self.save_action])
        bar = w.findChild(QToolBar, "mainToolBar")
        if bar is not None:  # Keep takes its placeholder's place; File → Record still writes a .rirec file
            bar.insertAction(w.keep_slot_action, self.keep_action)
            bar.removeAction(w.keep_slot_action)
            button = bar.widgetForAction(self.keep_action)
            if isinstance(button, QToolButton):  # Keep's own menu, beside the button
                button.setMenu(self.keep_menu)
                button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        first = w.file_menu.actions()
        actions = [self.keep_action, self.keep_from_action, self.save_action]
        if first:
            w.file_menu.insertActions(first[0], actions)
        else:
            w.file_menu.addActions(actions)
        w.file_menu.insertAction(w.quit_action, self.store_action)

    def keep(self, on: bool = True, first: int | None = None) -> None:
        """Start keeping (from session row ``first``, default: the next row) or stop: one span."""
        session = self.session
        if on:
            session.keep_from(first)
        else:
            session.keep_until_now()
        if self.keep_action.isChecked() != session.spans.keeping:
            self.keep_action.setChecked(session.spans.keeping)
        where = f" in {session.folder}" if session.folder else ""
        if session.spans.keeping:
            self.window.show_message(f"keeping from row {session.spans.open_first:,}{where}")
        else:
            self.window.show_message(f"kept {session.spans.rows(session.rows_put):,} rows{where}")
        self.update_label()

    def keep_from_frame(self, number: int) -> None:
        """Keep from the log's frame ``number`` (as the log's # column shows it) on."""
        log = self._log_store
        self.keep(True, max(1, self.session.session_number(number, log.end_number)))

    def keep_from_dialog(self) -> QInputDialog:
        """Ask for the frame to keep from (non-blocking): the selected one by default."""
        log = self._log_store
        panel = self.window.log_panel
        rows = sorted(ix.row() for ix in panel.view.selectionModel().selectedRows())
        number = panel.model.number_at(rows[0]) if rows else log.end_number
        dlg = QInputDialog(self.window)
        dlg.setWindowTitle("Keep from frame")
        dlg.setLabelText("Keep from frame number:")
        dlg.setInputMode(QInputDialog.InputMode.IntInput)
        dlg.setIntRange(1, max(1, log.end_number))
        dlg.setIntValue(number)
        dlg.intValueSelected.connect(self.keep_from_frame)
        dlg.open()
        return dlg

    def save_dialog(self) -> QInputDialog:
        """Ask for a name (non-blocking), then save the kept rows under it."""
        dlg = QInputDialog(self.window)
        dlg.setWindowTitle("Save kept span as")
        dlg.setLabelText("Name of the new session:")
        dlg.textValueSelected.connect(lambda name: self.save_kept(name.strip()))
        dlg.open()
        return dlg

    def save_kept(self, name: str) -> threading.Thread | None:
        """Write the kept rows (every span, an open one up to now) to a new session named ``name``,
        in a thread of its own; ``saved`` or ``save_failed`` says how it went."""
        session = self.session
        ranges = session.spans.ranges(session.rows_put)
        if ranges:
            session.flush()  # the kept rows in the files before they are copied (the session made, if it is being made)
        if session.folder is None or not ranges:
            self.window.show_message("nothing kept yet: press Keep first")
            return None
        folder = session.folder

        def copy() -> None:
            from inspector.logstore.session_store.span_copy import save_spans  # loads pyarrow
            try:
                saved, rows = save_spans(folder, ranges, self.data_dir, name)
            except StoreError as exc:
                self.save_failed.emit(str(exc))
                return
            self.saved.emit(saved, rows)

        thread = threading.Thread(target=copy, name="session-store-save", daemon=True)
        thread.start()
        return thread

    def _on_saved(self, folder: Path, rows: int) -> None:
        self.window.show_message(f"saved {rows:,} kept rows in {folder}")
        self.update_label()

    def kept_size(self) -> tuple[int, int, int]:
        """(kept sessions, their bytes, bytes of all sessions)."""
        infos = list_sessions(self.data_dir)
        kept = [s for s in infos if s.kept]
        return len(kept), sum(s.size for s in kept), sum(s.size for s in infos)

    def kept_here(self) -> str:
        """What this session keeps: its spans, or "" when none."""
        spans = self.session.spans
        if not spans.spans:
            return ""
        end = self.session.rows_put
        return f"{spans.rows(end):,} rows kept: {spans.describe(end)}"

    def update_label(self) -> None:
        self._label_at = time.monotonic()
        n, kept, total = self.kept_size()
        spans = self.session.spans if self.session.has_spans else None
        if spans is None:
            here = ""
        elif spans.keeping:
            here = f"● keeping since #{spans.open_first:,} · "
        else:
            here = f"kept {spans.rows(self.session.rows_put):,} rows · "
        self.label.setText(here + f"store {human_size(total)}")
        self.label.setToolTip(f"Sessions in {sessions_dir(self.data_dir)}: {human_size(total)} in all, "
                              f"{n} kept ({human_size(kept)}); budget {human_size(self.budget)}. "
                              f"This session: {self.session.folder or 'no rows yet'}"
                              + (f"; {self.kept_here()}" if spans is not None else ""))

    def show_dialog(self) -> StoreDialog:
        self.update_label()
        dlg = StoreDialog(self, self.window)
        dlg.open()
        return dlg


class StoreDialog(QDialog):
    """Where the sessions are, how much is kept, and the disk budget (the store's preferences)."""

    def __init__(self, store: LiveStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session store")
        self.store = store
        n, kept, total = store.kept_size()
        self.summary = QLabel(f"<p>Every session is kept on disk in<br><code>{sessions_dir(store.data_dir)}</code></p>"
                              f"<p>{human_size(total)} in all; {n} kept session{'s' if n != 1 else ''} "
                              f"({human_size(kept)}) are never pruned.</p>"
                              f"<p>This session: <code>{store.session.folder or 'no rows yet'}</code>"
                              f"{'<br>' + store.kept_here() if store.kept_here() else ''}</p>")
        self.summary.setWordWrap(True)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.1, 100_000)
        self.budget.setDecimals(1)
        self.budget.setSuffix(" GB")
        self.budget.setValue(store.budget / 1024**3)
        self.budget.setToolTip("Sessions not kept are removed, oldest first, beyond this")
        form = QFormLayout()
        form.addRow("Disk budget", self.budget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.store.set_budget(round(self.budget.value() * 1024**3))
        self.store.prune()
        self.store.update_label()
        super().accept()
