"""The live session on disk: the log's rows written to the session store, Keep, and the budget.

``LiveStore`` hooks a ``LiveSession`` onto the live log's store (whole batches, in the log's
flush path) and ticks it from one single-shot timer that runs only while rows wait to be
written. The toolbar's Record button becomes Keep: it marks the live session kept (pruning
never takes it) instead of writing a second file; File → Record still writes a ``.rirec``.
Sessions not kept are pruned under a disk budget (Preferences: File → Session store…, or
``--store-budget``) at start-up and when the session closes; the open one never is. A
status-bar label says where the sessions are and how much is kept.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inspector.logstore.disk_budget import human_size
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.layout import list_sessions, sessions_dir
from inspector.logstore.session_store.prune import DEFAULT_BUDGET, PrunePlan, prune

if TYPE_CHECKING:
    from inspector.qt.main_window import MainWindow

TICK_MS = 50  # with the writer's 200 ms: rows reach the file within 250 ms
BUDGET_KEY = "store/budgetBytes"


def default_data_dir() -> Path:
    import platformdirs
    return Path(platformdirs.user_data_dir("realtime-inspector"))


class LiveStore(QObject):
    def __init__(self, window: MainWindow, data_dir: str | os.PathLike[str], budget: int | None = None,
                 writer_options: dict[str, Any] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.data_dir = Path(data_dir)
        self._budget_override = budget
        self.last_prune: PrunePlan | None = None
        self._name = ""
        self.session = LiveSession(self.data_dir, on_error=window.report_error, on_pending=self._start_tick,
                                   writer_options=writer_options)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self.prune()
        self._log_store = window.log_panel.store
        self.session.attach(self._log_store)
        self._reading = False  # the log reads the store (from the first rows written on)
        self.label = QLabel()
        self.label.setObjectName("sessionStoreLabel")
        window.statusBar().addPermanentWidget(self.label)
        self._build_actions()
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
        self.keep_action.setToolTip("Keep this session: it is on disk already; kept sessions are never pruned")
        self.keep_action.toggled.connect(self.keep)
        bar = w.findChild(QToolBar, "mainToolBar")
        if bar is not None:  # Keep takes Record's place; File → Record still writes a .rirec file
            bar.insertAction(w.record_action, self.keep_action)
            bar.removeAction(w.record_action)
        self.keep_as_action = QAction("Keep session as…", w)
        self.keep_as_action.setToolTip("Keep this session under a name (in its session.json)")
        self.keep_as_action.triggered.connect(lambda _=False: self.keep_as_dialog())
        self.store_action = QAction("Session store…", w)
        self.store_action.triggered.connect(lambda _=False: self.show_dialog())
        first = w.file_menu.actions()
        if first:
            w.file_menu.insertActions(first[0], [self.keep_action, self.keep_as_action])
        else:
            w.file_menu.addActions([self.keep_action, self.keep_as_action])
        w.file_menu.insertAction(w.quit_action, self.store_action)

    def keep(self, on: bool = True, name: str | None = None) -> None:
        """Mark the session kept (or not), under ``name`` if one is given."""
        if name is not None:
            self._name = name
        self.session.mark(kept=bool(on), name=self._name)
        if self.keep_action.isChecked() != bool(on):
            self.keep_action.setChecked(bool(on))
        self.window.show_message(("session kept" if on else "session no longer kept") +
                                 (f" in {self.session.folder}" if self.session.folder else ""))
        self.update_label()

    def keep_as_dialog(self) -> QInputDialog:
        """Ask for a name (non-blocking), then keep the session under it."""
        dlg = QInputDialog(self.window)
        dlg.setWindowTitle("Keep session as")
        dlg.setLabelText("Name of this session:")
        dlg.setTextValue(self._name)
        dlg.textValueSelected.connect(lambda name: self.keep(True, name.strip()))
        dlg.open()
        return dlg

    def kept_size(self) -> tuple[int, int, int]:
        """(kept sessions, their bytes, bytes of all sessions)."""
        infos = list_sessions(self.data_dir)
        kept = [s for s in infos if s.kept]
        return len(kept), sum(s.size for s in kept), sum(s.size for s in infos)

    def update_label(self) -> None:
        n, kept, total = self.kept_size()
        kept_as = f"● kept{' as ' + self._name if self._name else ''} · " if self.session.kept else ""
        self.label.setText(kept_as + f"store {human_size(total)}")
        self.label.setToolTip(f"Sessions in {sessions_dir(self.data_dir)}: {human_size(total)} in all, "
                              f"{n} kept ({human_size(kept)}); budget {human_size(self.budget)}. "
                              f"This session: {self.session.folder or 'no rows yet'}")

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
                              f"<p>This session: <code>{store.session.folder or 'no rows yet'}</code></p>")
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
