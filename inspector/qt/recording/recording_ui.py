"""Recording in the main window: record, open (menu, argument, drag and drop), replay,
import HAR, export the log or a selection.

``RecordingUi`` is attached to the main window: the window as Qt sees it (parent, status
bar, drops) and what it offers as a ``RecordingHost`` (the live log panel, its documents,
connection tabs, status messages and error reporting), nothing else. An
opened file becomes a document of its own (``RecordingView``), never mixed into the
live log. Files are prepared in a worker thread (``recording_source.prepare`` is too
slow on a big file for the GUI thread) and handed to it through a queued signal;
exports are written in a worker thread too. Dialogs are opened with ``open()``, never
``exec()``, so no nested event loop runs inside an async slot.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow

from inspector.private_files import make_private_dir
from inspector.qt.after_paint import after_pending_paint
from inspector.qt.recording.recorder import Recorder, Source, default_directory, human_size, timestamped_name
from inspector.qt.recording.recording_view import RecordingView
from inspector.qt.recording.replay_panel import ReplayPanel
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.qt.window_services import RecordingHost
from inspector.recording import RecordingError
from inspector.recording.format import SUFFIX
from inspector.redact import redact_url, scrub

if TYPE_CHECKING:  # a file's columns load when one is opened
    from inspector.logstore.log_rows import RowEvents
    from inspector.logstore.recording_source import PreparedRecording
    from inspector.logstore.store_document import StoreDocument

OPEN_FILTER = f"Recordings and HAR captures (*{SUFFIX} *.har *.json);;Packet captures (*.pcapng *.pcap);;All files (*)"
HAR_FILTER = "HAR captures (*.har *.json);;All files (*)"
RECORDING_FILTER = f"Recording (*{SUFFIX})"
HAR_EXPORT_FILTER = "HAR (*.har)"
PCAPNG_EXPORT_FILTER = "pcapng capture, for Wireshark (*.pcapng)"
OPEN_SWITCH_S = 0.0005  # the GIL's switch interval while a file is read for opening
_EXPORT_SUFFIXES = {HAR_EXPORT_FILTER: "har", PCAPNG_EXPORT_FILTER: "pcapng"}


class _Worker(QObject):
    """Runs one function in a daemon thread; the result comes back as a queued signal."""

    done = Signal(object, object)   # (tag, result)
    failed = Signal(object, str)    # (tag, one-line error)

    def run(self, tag: tuple[str, str], fn: Callable[..., Any], *args: Any) -> threading.Thread:
        def target() -> None:
            try:
                result = fn(*args)
            except RecordingError as exc:
                self.failed.emit(tag, str(exc))
            except Exception as exc:  # noqa: BLE001 - a bug, reported (scrubbed), never lost in the thread
                self.failed.emit(tag, scrub(f"internal error: {type(exc).__name__}: {exc}"))
            else:
                self.done.emit(tag, result)
        t = threading.Thread(target=target, name=f"recording-{tag[0]}", daemon=True)
        t.start()
        return t


def _open_document(path: str) -> PreparedRecording | StoreDocument:
    """``store_document.open_document``, its modules imported on the worker's thread, not the GUI's
    (those the document's build and first rows use too: the GUI thread would import them as it
    builds the document, a module a step)."""
    with short_switch_interval():
        import inspector.logstore.log_rows  # imported here, not on the GUI thread
        import inspector.protocol.summaries  # the rows' summaries
        import inspector.proxy.pair_names  # a proxy recording's sides
        import inspector.qt.log.cell_painter  # noqa: F401 - the document's log cells
        from inspector.logstore.store_document import open_document
        return open_document(path)


_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextlib.contextmanager
def short_switch_interval() -> Iterator[None]:
    """The GIL's switch interval at most ``OPEN_SWITCH_S`` while any of these blocks runs: the
    GUI thread, painting meanwhile, waits for the GIL at every call into Python, and gets it
    within that, not Python's default 5 ms. Opens overlapping on threads of their own share it."""
    global _switch_users, _switch_saved
    with _switch_lock:
        if not _switch_users:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, OPEN_SWITCH_S))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if not _switch_users:
                sys.setswitchinterval(_switch_saved)


def dialled_url(tab: ConnectionTab) -> str:
    """The URL a tab's connection dials, its token (query auth) masked: what a HAR entry shows."""
    return redact_url(tab.client.dialled_url("placeholder"))


def tab_source(tab: ConnectionTab) -> Source:
    return Source(tab.conn_id, tab.client, tab.url, tab.profile.name, tab)


ASK_WHERE_KEY = "recording/askWhere"  # False: Record writes to the recordings folder at once


class RecordingUi(QObject):
    opened = Signal(object)     # the RecordingView, once the file is in it
    exported = Signal(str)      # path
    open_failed = Signal(str)

    def __init__(self, window: QMainWindow, host: RecordingHost, directory: Path | None = None):
        super().__init__(window)
        self.window = window  # the Qt side: parent of its actions and dialogs, its status bar, drops
        self.host = host
        self.recorder = Recorder(directory, self, log_panel=host.log_panel)
        self.views: list[RecordingView] = []
        self.building: list[RecordingView] = []  # opened, being built a piece a turn: not shown yet
        self.recording: PreparedRecording | StoreDocument | None = None  # the last one opened
        self.loading: set[str] = set()
        self.last_saved: Path | None = None
        self.save_dialog: QFileDialog | None = None
        self.conn_urls: dict[str, str] = {}  # log connection label -> URL, also after its tab closed
        self._worker = _Worker(self)
        self._worker.done.connect(self._work_done)
        self._worker.failed.connect(self._work_failed)
        self.recorder.started.connect(lambda p: host.show_message(f"recording to {p}"))
        self.recorder.stopped.connect(self._recording_stopped)
        self.recorder.failed.connect(host.report_error)
        window.statusBar().addPermanentWidget(self.recorder.indicator)
        self._build_actions()
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    # ------------------------------------------------------------ actions

    def _build_actions(self) -> None:
        w, host = self.window, self.host
        self.record_action = host.record_action  # the window's placeholder: make it real
        with contextlib.suppress(RuntimeError, TypeError):  # nothing connected
            self.record_action.triggered.disconnect()
        self.record_action.setText("Record")
        self.record_action.setCheckable(True)
        self.record_action.setEnabled(True)
        self.record_action.setToolTip("Record every connection to a file (Ctrl+Shift+R); click again to stop")
        self.record_action.triggered.connect(lambda _=False: self.toggle_recording(None))
        self.record_current_action = self._action("Record current connection", None,
                                                  lambda: self.toggle_recording("current"))
        self.open_action = self._action("Open recording…", QKeySequence.StandardKey.Open, self.open_dialog)
        self.open_last_action = self._action("Open last recording", None, self.open_last)
        self.open_last_action.setEnabled(False)
        self.ask_where_action = QAction("Ask where to save recordings", w)
        self.ask_where_action.setCheckable(True)
        self.ask_where_action.setChecked(self.ask_where)
        self.ask_where_action.setToolTip(f"Off: Record saves to {self.recorder.directory} at once, and says so")
        self.ask_where_action.toggled.connect(lambda on: host.settings.setValue(ASK_WHERE_KEY, on))
        self.import_har_action = self._action("Import HAR…", None, lambda: self.open_dialog(har=True))
        self.export_log_action = self._action("Export log…", None, lambda: self.export_dialog(selection=False))
        self.export_selection_action = self._action("Export selection…", None,
                                                    lambda: self.export_dialog(selection=True))
        menu = host.file_menu
        for act in (self.open_action, self.import_har_action, self.open_last_action, None, self.record_action,
                    self.record_current_action, self.ask_where_action, None, self.export_log_action,
                    self.export_selection_action):
            if act is None:
                menu.addSeparator()
            else:
                menu.addAction(act)
        self.file_menu = menu

    def _action(self, text: str, shortcut: QKeySequence.StandardKey | str | None,
                slot: Callable[[], object]) -> QAction:
        act = QAction(text, self.window)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(lambda _=False: slot())
        self.window.addAction(act)
        return act

    # ------------------------------------------------------------ recording

    @property
    def ask_where(self) -> bool:
        """Record asks where to save (the default), or writes to the recordings folder at once."""
        return self.host.settings.value(ASK_WHERE_KEY, True) not in (False, "false")

    def toggle_recording(self, scope: str | None = None) -> QFileDialog | None:
        """Start recording (scope None: all connections, "current": the current tab), or stop.
        Asking where to save, the dialog is returned (it starts the recording once accepted)."""
        if self.recorder.active:
            self.recorder.stop(wait=False)  # "recording saved" once the file is complete
            self._sync_action()
            return None
        if scope == "current":
            tab = self.host.current_tab()
            if tab is None:
                self.host.show_message("no connection to record")
                self._sync_action()
                return None
            scope = tab.conn_id
        self._sync_action()  # not recording until the file is chosen
        if not self.ask_where:
            self.start_recording(scope)
            return None
        return self.record_dialog(scope)

    def record_dialog(self, scope: str | None = None) -> QFileDialog:
        """Where to save: the recordings folder and a timestamped name, prefilled."""
        folder = self.recorder.directory
        try:
            if folder == default_directory():
                make_private_dir(folder.parent)  # the app's data folder is ours too
            make_private_dir(folder)
        except OSError:
            folder = Path.home()
        if self.save_dialog is not None:
            self.save_dialog.close()
        dlg = QFileDialog(self.window, "Record to", str(folder), RECORDING_FILTER)
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix(SUFFIX.lstrip("."))
        dlg.selectFile(timestamped_name(scope))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(lambda p: self.start_recording(scope, p))
        dlg.destroyed.connect(lambda _=None: setattr(self, "save_dialog", None))
        self.save_dialog = dlg
        dlg.open()
        return dlg

    def start_recording(self, scope: str | None = None, path: str | Path | None = None) -> Path | None:
        """Record now, to ``path`` or a timestamped file in the recordings folder."""
        if self.recorder.active:
            return None
        tabs = list(self.host.tabs())
        if scope is not None:
            tabs = [t for t in tabs if t.conn_id == scope]
            if not tabs:
                self.host.show_message(f"{scope} is closed: nothing to record")
                return None
        try:
            out = self.recorder.start([tab_source(t) for t in tabs], scope=scope, path=path)
        except (RecordingError, OSError) as exc:
            self.host.report_error(f"cannot record: {exc}")
            out = None
        self._sync_action()
        return out

    def connection_opened(self, tab: ConnectionTab) -> None:
        """A new connection tab: note its URL; record it too when recording everything."""
        self.conn_urls[tab.conn_id] = dialled_url(tab)
        if self.recorder.active and self.recorder.scope is None:
            self.recorder.attach(tab_source(tab))

    def _recording_stopped(self, path: str) -> None:
        self._sync_action()
        self.last_saved = Path(path)
        self.open_last_action.setEnabled(True)
        self.open_last_action.setToolTip(f"Open {path}")
        self.host.show_message(f"recording saved: {path} ({self.recorder.last_frames:,} frames, "
                                 f"{human_size(Path(path).stat().st_size) if Path(path).exists() else '?'})")

    def open_last(self) -> None:
        if self.last_saved is not None:
            self.open_path(self.last_saved)

    def _sync_action(self) -> None:
        self.record_action.setChecked(self.recorder.active)
        self.record_action.setText("Stop recording" if self.recorder.active else "Record")

    # ------------------------------------------------------------ opening

    def open_dialog(self, har: bool = False) -> QFileDialog:
        dlg = QFileDialog(self.window, "Import HAR capture" if har else "Open recording",
                          str(self.recorder.directory if self.recorder.directory.exists() else Path.home()),
                          HAR_FILTER if har else OPEN_FILTER)
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.open_path)
        dlg.open()
        return dlg

    def open_path(self, path: str | Path) -> None:
        """Open a recording or HAR in the background, in a document of its own once it is ready."""
        path = str(path)
        if path in self.loading:
            self.host.show_message(f"still opening {Path(path).name}")
            return
        self.loading.add(path)
        self.host.show_message(f"opening {Path(path).name}…")
        # once the window has painted what is pending (this message, at least): the worker holds
        # the GIL for stretches, and a paint waits for it at every call into Python
        after_pending_paint(self.window, lambda: self._worker.run(("open", path), _open_document, path))

    def _opened(self, rec: PreparedRecording | StoreDocument) -> None:
        """Build the file's document a piece a turn of the event loop (each a few ms: the window
        stays responsive while a big file opens), then show it."""
        w = self.host
        self.recording = rec
        view = RecordingView(rec, w.tasks, w.mock_panel, log_cap=w.log_cap, staged=True)
        steps = view.build_steps()
        self.building.append(view)
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(1)  # not 0: Qt would run a zero timer started from its own timeout in the same turn

        def step() -> None:
            try:
                next(steps)
            except StopIteration:  # shown in a turn of its own: its layout, then its paint, take a few ms each
                timer.timeout.disconnect(step)
                timer.timeout.connect(show)
                timer.start()
            else:
                timer.start()

        def show() -> None:  # laid out in this turn, painted a piece a turn in the next ones
            timer.timeout.disconnect(show)
            self.building.remove(view)
            view.setUpdatesEnabled(False)
            self._show_view(view)
            timer.timeout.connect(paint)
            timer.start()

        pieces = view.paint_steps()

        def paint() -> None:
            try:
                more = next(pieces, timer) is not timer
            except RuntimeError:  # closed meanwhile: its widgets are gone
                more = False
            if more:
                timer.start()
            else:
                timer.deleteLater()
        timer.timeout.connect(step)
        step()

    def _show_view(self, view: RecordingView) -> None:
        w, rec = self.host, view.recording
        view.message.connect(w.show_message)
        view.error.connect(w.report_error)
        view.destroyed.connect(lambda _=None, v=view: self.views.remove(v) if v in self.views else None)
        self.views.append(view)
        w.add_document(view, rec.name, str(rec.path))
        w.show_message(rec.status())
        self.opened.emit(view)

    @property
    def replay(self) -> ReplayPanel | None:
        """The replay controls of the recording in view (or the last opened), if any."""
        view = self.current_view() or (self.views[-1] if self.views else None)
        return view.replay if view is not None else None

    def current_view(self) -> RecordingView | None:
        doc = self.host.current_document()
        return doc if isinstance(doc, RecordingView) else None

    # ------------------------------------------------------------ exporting

    def export_dialog(self, selection: bool = False) -> QFileDialog:
        dlg = QFileDialog(self.window, "Export selection" if selection else "Export log",
                          str(Path.home()), f"{RECORDING_FILTER};;{HAR_EXPORT_FILTER};;{PCAPNG_EXPORT_FILTER}")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix(SUFFIX.lstrip("."))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.filterSelected.connect(lambda f: dlg.setDefaultSuffix(_EXPORT_SUFFIXES.get(f, "rirec")))
        dlg.fileSelected.connect(lambda p: self.export(p, selection=selection))
        dlg.open()
        return dlg

    def events_to_export(self, selection: bool) -> list[Any] | RowEvents:
        """The selected frames, or every frame the log shows (its filter applies): rows on disk are
        read by the export's own thread as it writes."""
        panel = self.host.current_log_panel()
        if selection:
            return panel.selected_events()
        from inspector.logstore.log_rows import row_events
        return row_events(panel.rows, panel.model.shown_numbers())

    def export(self, path: str | Path, selection: bool = False, har: bool | None = None) -> bool:
        """Export in the background: HAR when ``har`` (default: by the .har/.json extension), pcapng for
        a .pcapng name."""
        path = str(path)
        events = self.events_to_export(selection)
        if not events:
            self.host.show_message("nothing to export: " + ("no rows selected" if selection else "the log is empty"))
            return False
        pcapng = har is None and Path(path).suffix.lower() == ".pcapng"
        if har is None:
            har = Path(path).suffix.lower() in (".har", ".json")
        if har or pcapng:
            urls = {**self.conn_urls, **{t.conn_id: dialled_url(t) for t in self.host.tabs()}}
            view = self.current_view()
            if view is not None:  # a recording's labels may repeat in another file: its own URLs win
                urls.update(view.recording.conn_urls)
            from inspector.recording.export import export_har
            from inspector.recording.pcapng_export import export_pcapng
            write = export_pcapng if pcapng else export_har
            self._worker.run(("export", path), lambda: write(events, path, conn_urls=urls))
        else:
            from inspector.recording.export import export_recording
            self._worker.run(("export", path), lambda: export_recording(events, path))
        self.host.show_message(f"exporting {len(events):,} frames to {Path(path).name}…")
        return True

    # ------------------------------------------------------------ worker results

    def _work_done(self, tag: tuple[str, str], result: Any) -> None:
        what, path = tag
        if what == "open":
            self.loading.discard(path)
            self._opened(result)
        else:
            self.host.show_message(f"exported to {path}")
            self.exported.emit(path)

    def _work_failed(self, tag: tuple[str, str], text: str) -> None:
        what, path = tag
        if what == "open":
            self.loading.discard(path)
            self.host.report_error(f"cannot open {Path(path).name}: {text}"
                                     if Path(path).name not in text else text)
            self.open_failed.emit(text)
        else:
            self.host.report_error(f"export to {Path(path).name} failed: {text}")

    # ------------------------------------------------------------ drag and drop

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if obj is self.window and kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            drop = cast(QDropEvent, event)  # drag enter and move events derive from it
            files = [u.toLocalFile() for u in drop.mimeData().urls() if u.isLocalFile()]
            if not files:
                return False
            drop.acceptProposedAction()
            if kind == QEvent.Type.Drop:
                for f in files:  # each in its own document
                    self.open_path(f)
            return True
        return False

    # ------------------------------------------------------------ shutdown

    def shutdown(self) -> None:
        """Stop recording (closing the file cleanly) and replay."""
        for view in self.views:
            view.replay.pause()
        self.recorder.stop()
        self.recorder.wait_closed()
