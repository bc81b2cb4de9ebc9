"""The main window: profiles and mock panel in a narrow column on the left; the
frame log (with its detail pane) takes most of the rest, above the connection tabs
(state + subscriptions) and the latency plot side by side.

That right-hand part is the "Live" document; each opened recording is a document of
its own beside it (a tab, shown once there are two; its context menu moves it into a
window of its own), with its own log, detail pane, latency graph and timeline. The
log actions (pause, clear, find) act on the document in view.

The status bar shows the current connection's latest state; other messages replace it
for a few seconds, errors for longer.

The window is built in steps: ``MainWindow(..., later=True)`` builds what its first paint
shows (toolbar, menus, the empty log, the connection area), so the app can paint it before
loading the codec, the mock server, the recording UI and the connection code;
``build_after_paint`` adds the log's ring and the shortcuts, ``build_rest`` (which runs it too)
the mock server's page, and ``build_side`` the profiles' page and the recording UI (the app
calls it once the first frames show: ``build_rest(side_later=True)``). Without ``later`` all
run at once.

Closing is asynchronous: the first close event is ignored, clients are stopped,
tasks cancelled and awaited and the mock server stopped, then the window closes
for real and ``closed`` resolves.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSplitter,
    QTabBar,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from inspector.profiles import Profile, ProfileError, ProfileStore, Subscription
from inspector.protocol.states import State
from inspector.qt.aio import Tasks
from inspector.qt.icons import tool_icon
from inspector.qt.latency.latency_plot import LatencyPlot
from inspector.qt.log.model import COL_CONN, COL_KIND
from inspector.qt.log.panel import LogPanel
from inspector.qt.log.payload_view import Trouble
from inspector.qt.restore_bar import RestoreBar
from inspector.qt.window_services import Document, document_widget

if TYPE_CHECKING:  # loaded at the first check (start-up time); it never imports this module
    import asyncio

    from inspector.mock.server import MockConfig
    from inspector.protocol.events import StateChanged
    from inspector.qt.about import AboutDialog, ShortcutsDialog
    from inspector.qt.conformance.check_view import CheckView
    from inspector.qt.recording.recording_ui import RecordingUi
    from inspector.qt.session.connection_tab import ConnectionTab

log = logging.getLogger("inspector.qt")
TITLE = "Realtime Inspector"
MESSAGE_MS = 5000    # a status message gives way to the connection state after this
ERROR_MS = 15000     # errors stay longer (they are also kept in ``errors`` and logged)
SIDE_WIDTH = 300
DEFAULT_SIZE = QSize(1500, 940)
SESSION_KEY = "session/connections"
DEMO_KEY = "session/demo"
NOTHING_CONNECTED_HINT = ("Nothing connected.\nChoose a profile under Profiles on the left and press Connect "
                          "(Ctrl+Return).\n“Local mock” with Demo traffic (Mock server tab) shows traffic at once.")
NO_FRAMES_HINT = "No frames yet.\nSubscribe to a topic in the connection's tab below."
_STATE_ICONS = {State.OPEN: "●", State.CONNECTING: "◌", State.WAITING: "◌", State.CLOSED: "○",
                State.STOPPED: "■", State.IDLE: "○"}


def session_profiles(tabs: Iterable[ConnectionTab]) -> list[str]:
    """The profiles of the connections not stopped, once each, in tab order."""
    return list(dict.fromkeys(t.profile.name for t in tabs if t.client.state is not State.STOPPED))


def _string_list(value: object) -> list[str]:
    """The JSON list of names saved under SESSION_KEY (a hand-edited value: what can be read)."""
    import json  # after the first paint (start-up time)

    try:
        names = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def freeze_startup_objects() -> None:
    """Call once the app is up: what exists then lives as long as the app. Frozen, it is
    out of the cyclic collector's full passes, which otherwise walk every module, class and
    widget on the GUI thread (tens of ms) again and again while a flood allocates.
    The collector runs again from here (start-up may have paused it: cli.main)."""
    gc.collect()
    gc.freeze()
    gc.enable()


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area


class DocumentWindow(QWidget):
    """A document (a recording, a check, a load run) in a top-level window of its own, beside the main one.
    Closing it stops the document first (as closing its tab does)."""

    def __init__(self, doc: Document, title: str, tasks: Tasks, actions: Iterable[QAction] = (),
                 open_file: Callable[[str], None] | None = None) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.doc = doc
        self.tasks = tasks
        self._closed = False
        self._open_file = open_file
        self.setWindowTitle(f"{title} — {TITLE}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # the main window's shortcuts work here too; they act on the document of the active window
        self.addActions(list(actions))
        self.setAcceptDrops(open_file is not None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        widget = document_widget(doc)
        layout.addWidget(widget)
        widget.show()

    def _dropped_files(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
        urls = event.mimeData().urls() if event.mimeData() is not None else []
        return [u.toLocalFile() for u in urls if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._open_file is not None and self._dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)  # type: ignore[arg-type]  # the same question for a move

    def dropEvent(self, event: QDropEvent) -> None:
        files = self._dropped_files(event)
        if self._open_file is None or not files:
            event.ignore()
            return
        event.acceptProposedAction()
        for f in files:  # each in its own document, as on the main window
            self._open_file(f)

    def close_now(self) -> None:
        """Close without stopping the document first (its owner has stopped it)."""
        self._closed = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        event.ignore()

        async def close() -> None:
            try:
                await self.doc.close_document()
            finally:
                self._closed = True
                self.close()
        try:
            self.tasks.spawn(close(), name=f"close {self.windowTitle()}")
        except RuntimeError:  # no event loop (tearing down): close at once
            self._closed = True
            event.accept()


class MainWindow(QMainWindow):
    def __init__(self, store: ProfileStore, settings: QSettings, mock_config: MockConfig | None = None,
                 log_cap: int = 1_000_000, recordings_dir: Path | None = None, later: bool = False) -> None:
        """``later``: build only what the first paint shows; ``build_rest`` does the rest."""
        super().__init__()
        self.setWindowTitle(TITLE)  # never a URL or token
        self.store = store
        self.settings = settings
        self.tasks = Tasks(on_error=self.report_error)
        self._ids = itertools.count(1)
        self._shutting_down = False
        self._shutdown_done = False
        self._session_saved = False
        self._proxies_opened = False
        self.closed: asyncio.Future[None] | None = None
        self.errors: list[str] = []
        # (action, key text or StandardKey name, its tip): set by _set_shortcuts, after the first paint
        self._keys: list[tuple[QAction, str, str]] = []

        self._mock_config = mock_config
        self._recordings_dir = recordings_dir
        self._built = False
        self._side_built = False
        self._close_requested = False  # a close asked for before build_rest: done once the loop runs
        self.recording: RecordingUi | None = None
        self.log_cap = log_cap
        self.log_panel = LogPanel(cap=log_cap, later=later)  # its ring and shortcuts with the rest (build_rest)
        self.latency_plot = LatencyPlot()
        self.conn_tabs = QTabWidget()
        self.conn_tabs.setObjectName("connectionTabs")
        self.conn_tabs.setTabsClosable(True)
        self.conn_tabs.setDocumentMode(True)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        # scrollable pages: the column can be narrower than its forms (small screens, big fonts)
        self.side_tabs.addTab(QWidget(), "Profiles")  # the profiles' page comes with the rest (build_rest)

        self.lower_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.lower_splitter.setObjectName("lowerSplitter")
        self.lower_splitter.addWidget(self.conn_tabs)
        self.lower_splitter.addWidget(self.latency_plot)
        self.center = QSplitter(Qt.Orientation.Vertical)
        self.center.setObjectName("centerSplitter")
        self.center.addWidget(self.log_panel)
        self.center.addWidget(self.lower_splitter)
        self.center.setStretchFactor(0, 3)
        self.center.setStretchFactor(1, 2)
        self.main = QSplitter(Qt.Orientation.Horizontal)
        self.main.setObjectName("mainSplitter")
        self.documents = QTabWidget()
        self.documents.setObjectName("documents")
        self.documents.setDocumentMode(True)
        self.documents.setTabsClosable(True)
        self.documents.setMovable(True)
        self.documents.setTabBarAutoHide(True)  # live traffic only: no tab bar at all
        self.documents.addTab(self.center, "Live")
        self.documents.setTabToolTip(0, "Live connections")
        self.documents.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)  # always there
        self.documents.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.documents.tabBar().customContextMenuRequested.connect(self._document_menu)
        self.document_windows: list[DocumentWindow] = []
        self.restore_bar = RestoreBar()
        self.restore_bar.reconnect.connect(self._reconnect_last_session)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.restore_bar)
        right_layout.addWidget(self.documents, 1)
        self.main.addWidget(self.side_tabs)
        self.main.addWidget(right)
        self.main.setStretchFactor(0, 0)
        self.main.setStretchFactor(1, 1)
        self.main.setCollapsible(1, False)
        self.center.setCollapsible(0, False)
        self.setCentralWidget(self.main)

        self.status_label = QLabel()
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.status_label, 1)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self._message_expired)
        self._showing_error = False
        self._about: AboutDialog | None = None
        self._shortcuts: ShortcutsDialog | None = None
        self._build_actions()
        self._build_menus()
        self.show_state()

        self.conn_tabs.tabCloseRequested.connect(self._close_tab)
        self.conn_tabs.currentChanged.connect(self._current_tab_changed)
        self.documents.tabCloseRequested.connect(self.close_document)
        self.documents.currentChanged.connect(self._document_changed)
        self._default_layout()
        self.restore_settings()
        self._update_empty_hint()
        if not later:
            self.build_rest()

    def build_rest(self, side_later: bool = False) -> None:
        """What the first paint does without: the passphrase prompts and the mock server's page,
        then (``build_side``) the profiles' page and the recording UI. ``side_later``: those wait
        for ``build_side`` (the app shows its first frames first). Once only."""
        if self._built:
            return
        self._built = True
        self.build_after_paint()
        from inspector.qt.mock.mock_panel import MockPanel  # loaded after the first paint (start-up time)
        from inspector.qt.session.passphrase import KeyPassphrases

        self.passphrases = KeyPassphrases(self)  # client keys' passphrases: memory only, this run
        self.mock_panel = MockPanel(self.tasks, self._mock_config)
        self.side_tabs.addTab(_scrolling(self.mock_panel), "Mock server")
        self.mock_panel.message.connect(self.show_message)
        if not side_later:
            self.build_side()
        if self._close_requested:
            QTimer.singleShot(0, self.close)

    def build_after_paint(self) -> None:
        """What waits for the first paint only: the log's ring (its module loads the codec) and the
        shortcuts (the key classes). The app runs it once the window has painted; ``build_rest`` runs
        it too. Once only."""
        self.log_panel.build_rest()
        if self._keys:
            self._set_shortcuts()

    def build_side(self) -> None:
        """The profiles' page (in place of its placeholder), the recording UI (its menu entries
        and the Record button), the Help menu's icons, the side column's size and page. Once only,
        after ``build_rest``."""
        if self._side_built or not self._built:
            return
        self._side_built = True
        # the style's Python class (many large enum classes): after the first frames, for two menu entries' icons
        from PySide6.QtWidgets import QStyle

        from inspector.qt.session.profiles_panel import ConnectionManager  # after the first frames (start-up time)

        for act, icon in ((self.shortcuts_action, QStyle.StandardPixmap.SP_DialogHelpButton),
                          (self.about_action, QStyle.StandardPixmap.SP_MessageBoxInformation)):
            act.setIcon(self.style().standardIcon(icon))

        self.manager = ConnectionManager(self.store)
        self.side_tabs.removeTab(0)
        self.side_tabs.insertTab(0, self.manager, "Profiles")  # it scrolls its form itself, under fixed actions
        self.side_tabs.setCurrentIndex(0)
        self.manager.connect_requested.connect(self.connect_profile)
        self.manager.check_requested.connect(self.check_server)
        self.manager.message.connect(self.show_message)
        self.mock_panel.started.connect(self.manager.set_mock_url)
        self.mock_panel.stopped.connect(lambda: self.manager.set_mock_url(None))
        self.manager.set_mock_url(self.mock_panel.url)  # the mock may be running already
        self.recording = self._attach_recording(self._recordings_dir)
        if self.recording is not None:
            for tab in self.tabs():  # the connections opened before it
                self.recording.connection_opened(tab)
        self._build_file_menu_end()
        if not isinstance(self.settings.value(f"splitters/{self.main.objectName()}"), QByteArray):
            self._fit_side_column()
        self._restore_side_tab()
        last = self.settings.value("lastProfile")
        if isinstance(last, str) and self.store.get(last) is not None:
            self.manager.select(last)

    def _default_layout(self) -> None:
        """Sizes for a first start; ``restore_settings`` replaces them with the user's."""
        size = QSize(DEFAULT_SIZE)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:  # leave room for panels and the title bar on small screens
            avail = screen.availableGeometry().size()
            size = size.boundedTo(QSize(avail.width() - 40, avail.height() - 60))
        self.resize(size)
        height = size.height() - 90  # menu, toolbar, status bar
        lower = max(180, min(320, height * 3 // 10))  # the connection tab scrolls below its form
        side = self._fit_side_column(size.width())
        center = size.width() - side
        self.lower_splitter.setSizes([center * 11 // 20, center * 9 // 20])
        self.center.setSizes([height - lower, lower])
        log_height = height - lower - 40  # the filter bar
        # the table gets what the detail pane does not need to show a frame (8 lines and its buttons)
        detail = max(log_height * 2 // 5 if height > 800 else log_height // 3, 8 * self.fontMetrics().height() + 16)
        self.log_panel.splitter.setSizes([log_height - detail, detail])
        hh = self.log_panel.view.horizontalHeader()
        hh.resizeSection(COL_KIND, 105)  # "UNSUBSCRIBE" with its icon fits
        hh.resizeSection(COL_CONN, 80)

    def _fit_side_column(self, width: int | None = None) -> int:
        """The side column's width for a first start: a small screen keeps most of its width for
        the log, the side pages their minimum (the mock server's page counts once it is built)."""
        width = self.width() if width is None else width
        widgets = (self.side_tabs.widget(i) for i in range(self.side_tabs.count()))
        pages = max((w.minimumSizeHint().width() for w in widgets if w is not None), default=0)
        # they scroll in a frame; a scroll bar's width is the style's extent (read off one the window has:
        # the style's own Python class is costly to make, and this runs before the first paint)
        pages += self.log_panel.view.verticalScrollBar().sizeHint().width() + 8
        side = min(SIDE_WIDTH, max(width * 3 // 10, pages))
        self.main.setSizes([side, width - side])
        return side

    def _attach_recording(self, directory: Path | None) -> RecordingUi | None:
        """Record / open / replay / export; it takes over the Record placeholder.

        A failure here costs that feature only: the inspector itself still starts.
        """
        from inspector.qt.recording.recording_ui import RecordingUi  # loaded after the first paint (start-up time)
        try:
            return RecordingUi(self, host=self, directory=directory)
        except Exception as exc:  # noqa: BLE001 - keep the app usable, say why
            self.report_error(f"recording is unavailable: {type(exc).__name__}: {exc}")
            return None

    def open_file(self, path: str | Path) -> None:
        if self.recording is None:
            self.report_error(f"cannot open {path}: recording is unavailable")
        else:
            self.recording.open_path(path)

    # ------------------------------------------------------------ actions and shortcuts
    def _action(self, text: str, shortcut: str | None, slot: Callable[..., object], tip: str = "",
                icon: QIcon | None = None) -> QAction:
        """``shortcut``: key text ("Ctrl+R"), or a ``QKeySequence.StandardKey`` name ("Find");
        set with the rest (``_set_shortcuts``): no key is pressed before the first paint, and the
        key classes' making is not on its way."""
        act = QAction(text, self)
        if icon is not None:
            act.setIcon(icon)
        act.setToolTip(tip or text)
        if shortcut is not None:
            self._keys.append((act, shortcut, tip or text))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _set_shortcuts(self) -> None:
        from PySide6.QtGui import QKeySequence

        for act, shortcut, tip in self._keys:
            standard = getattr(QKeySequence.StandardKey, shortcut, None)
            keys = QKeySequence(standard if standard is not None else shortcut)
            act.setShortcut(keys)
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.setToolTip(f"{tip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})")
        self._keys.clear()

    def _build_actions(self) -> None:
        self.connect_action = self._action("Connect", "Ctrl+Return", self._connect_selected,
                                           "Connect with the selected profile",
                                           tool_icon("connect"))
        self.reconnect_action = self._action("Reconnect now", "Ctrl+R", self._reconnect_current,
                                             icon=tool_icon("reconnect"))
        self.disconnect_action = self._action("Disconnect", "Ctrl+D", self._disconnect_current,
                                              icon=tool_icon("disconnect"))
        self.pause_action = self._action("Pause", "Ctrl+P", self._toggle_pause, "Pause/resume the log",
                                         tool_icon("pause"))
        self.pause_action.setCheckable(True)
        self.log_panel.pausedChanged.connect(self._paused_changed)
        self.log_panel.payloadTrouble.connect(self._payload_trouble)
        self.clear_action = self._action("Clear", "Ctrl+L", lambda: self.current_log_panel().clear(),
                                         "Clear the log", tool_icon("clear"))
        self.find_action = self._action("Find", "Find",
                                        lambda: self.current_log_panel().focus_filter(),
                                        "Find text in the log", tool_icon("find"))
        self.record_action = self._action("Record", "Ctrl+Shift+R", lambda: None,
                                          "Record every connection to a file",
                                          tool_icon("record"))
        self.record_action.setEnabled(False)  # RecordingUi makes it real
        # Keep's place in the toolbar until the session store (LiveStore) fills it: the first paint shows
        # the toolbar as it will be, not Record for a moment
        self.keep_slot_action = self._action("Keep", None, lambda: None, "Keep a span of the session",
                                             tool_icon("record"))
        self.keep_slot_action.setEnabled(False)
        self.quit_action = self._action("Quit", "Ctrl+Q", self.close,
                                        "Close the window (connections are closed cleanly)")
        self.side_action = self._action("Side panel", "Ctrl+B", self._toggle_side_panel,
                                        "Show or hide the profiles and mock server panel")
        self.side_action.setCheckable(True)
        self.side_action.setChecked(True)
        self.lower_action = self._action("Connection panel", "Ctrl+J", self._toggle_lower_panel,
                                         "Show or hide the connections and the latency graph under the log")
        self.lower_action.setCheckable(True)
        self.lower_action.setChecked(True)
        # their icons, the style's (a menu's entries: not in the first paint), come after the first frames (build_side)
        self.shortcuts_action = self._action("Keyboard shortcuts", "F1", self.show_shortcuts)
        self.about_action = self._action("About Realtime Inspector", None, self.show_about)
        # the recording UI adds its entries to this menu (see RecordingUi._build_actions)
        self.file_menu = self.menuBar().addMenu("&File")
        tb = QToolBar("Main")
        tb.setObjectName("mainToolBar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for act in (self.connect_action, self.reconnect_action, self.disconnect_action, None,
                    self.pause_action, self.clear_action, self.find_action, None, self.keep_slot_action):
            if act is None:
                tb.addSeparator()
            else:
                tb.addAction(act)
        self.addToolBar(tb)
        self._steady_pause_button(tb)
        self._update_actions()

    def _steady_pause_button(self, tb: QToolBar) -> None:
        """Pause becoming Resume must not shift the toolbar: its button fits the wider text."""
        button = tb.widgetForAction(self.pause_action)
        if button is None:
            return
        widths = []
        for text in ("Resume", "Pause"):
            self.pause_action.setText(text)
            widths.append(button.sizeHint().width())
        button.setMinimumWidth(max(widths))

    def _build_file_menu_end(self) -> None:
        """Below the recording UI's entries."""
        self.file_menu.addAction("Open load run…", self._open_load_run)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

    def _build_menus(self) -> None:
        menus = (("&Connection", (self.connect_action, self.reconnect_action, self.disconnect_action)),
                 ("&Log", (self.pause_action, self.clear_action, self.find_action)),
                 ("&View", (self.side_action, self.lower_action)),
                 ("&Help", (self.shortcuts_action, None, self.about_action)))
        for title, actions in menus:
            menu = self.menuBar().addMenu(title)
            for act in actions:
                if act is None:
                    menu.addSeparator()
                else:
                    menu.addAction(act)
            if title == "&Help":
                self.help_menu = menu

    def show_about(self) -> None:
        """Non-blocking: a slot must not spin a nested event loop under qasync."""
        from inspector.qt.about import AboutDialog  # the dialogs load when first opened (start-up time)
        if self._about is None:
            self._about = AboutDialog(self)
        self._about.open()
        self._about.raise_()

    def show_shortcuts(self) -> None:
        from inspector.qt.about import ShortcutsDialog
        if self._shortcuts is None:
            self._shortcuts = ShortcutsDialog(self)
        self._shortcuts.refresh()
        self._shortcuts.open()
        self._shortcuts.raise_()

    def _update_actions(self) -> None:
        has = self.current_tab() is not None
        self.reconnect_action.setEnabled(has)
        self.disconnect_action.setEnabled(has)

    def _update_empty_hint(self) -> None:
        """What an empty log says to do next."""
        self.log_panel.set_empty_text(NO_FRAMES_HINT if self.tabs() else NOTHING_CONNECTED_HINT)

    def _toggle_side_panel(self, visible: bool | None = None) -> None:
        visible = self.side_action.isChecked() if visible is None else visible
        self.side_action.setChecked(visible)
        self.side_tabs.setVisible(visible)

    def _toggle_lower_panel(self, visible: bool | None = None) -> None:
        visible = self.lower_action.isChecked() if visible is None else visible
        self.lower_action.setChecked(visible)
        self.lower_splitter.setVisible(visible)

    def _toggle_pause(self) -> None:
        panel = self.current_log_panel()
        panel.set_paused(not panel.paused)

    def _paused_changed(self, paused: bool) -> None:
        if self.sender() in (None, self.current_log_panel()):
            self._show_paused(paused)

    def _show_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume" if paused else "Pause")

    # ------------------------------------------------------------ documents
    def current_document(self) -> QWidget:
        """The live part (``center``) or an opened document: the one in a document's own
        window while that window is active."""
        active = QApplication.activeWindow()
        if isinstance(active, DocumentWindow) and active in self.document_windows:
            return document_widget(active.doc)
        return self.documents.currentWidget() or self.center

    def current_log_panel(self) -> LogPanel:
        """The log the log actions act on: the document's in view, else the live one."""
        doc = self.current_document()
        panel = doc.log_panel if isinstance(doc, Document) else None
        return panel if panel is not None else self.log_panel

    def add_document(self, doc: Document, title: str, tip: str = "") -> int:
        """Show ``doc`` as a document beside the live one, in view."""
        widget = document_widget(doc)
        panel = doc.log_panel
        if panel is not None:
            panel.pausedChanged.connect(self._paused_changed)
        index = self.documents.addTab(widget, title)
        self.documents.setTabToolTip(index, tip or title)
        self.documents.setCurrentIndex(index)
        return index

    def close_document(self, index: int) -> None:
        """Close a document (the live one stays); it is stopped, then deleted."""
        doc = self.documents.widget(index)
        if doc is None or not isinstance(doc, Document):  # none, or the live part (None first: mypy narrows)
            return
        title = self.documents.tabText(index)
        self.documents.removeTab(index)

        async def close() -> None:
            await doc.close_document()
            doc.deleteLater()
        self.tasks.spawn(close(), name=f"close {title}")

    def detach_document(self, index: int) -> DocumentWindow | None:
        """Move a document into a window of its own, to see it beside the live one."""
        doc = self.documents.widget(index)
        if doc is None or not isinstance(doc, Document):  # none, or the live part (None first: mypy narrows)
            return None
        title = self.documents.tabText(index)
        self.documents.removeTab(index)
        win = DocumentWindow(doc, title, self.tasks, self._document_actions(), self.open_file)
        self.document_windows.append(win)
        win.destroyed.connect(lambda _=None, w=win: self.document_windows.remove(w)
                              if w in self.document_windows else None)
        win.resize(min(1200, max(800, self.width() * 3 // 4)), max(560, self.height() * 3 // 4))
        win.show()
        return win

    def _document_actions(self) -> list[QAction]:
        """The shortcuts a recording's own window shares: the log's, Open/Export, help and quit."""
        shared = [self.pause_action, self.clear_action, self.find_action, self.shortcuts_action, self.quit_action]
        rec = self.recording
        if rec is not None:
            shared += [rec.open_action, rec.import_har_action, rec.export_log_action, rec.export_selection_action]
        return shared

    def _open_load_run(self) -> None:
        from inspector.qt.load.load_view import open_dialog  # load-run views load when first used
        open_dialog(self, window=self)

    def _document_menu(self, pos: QPoint) -> None:
        index = self.documents.tabBar().tabAt(pos)
        if index <= 0 or self.documents.widget(index) is self.center:
            return
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction("Open in its own window", lambda: self.detach_document(index))
        menu.addAction("Close", lambda: self.close_document(index))
        menu.popup(self.documents.tabBar().mapToGlobal(pos))

    def _document_changed(self, _index: int) -> None:
        self._show_paused(self.current_log_panel().paused)

    def current_tab(self) -> ConnectionTab | None:
        tabs = self.tabs()
        w = self.conn_tabs.currentWidget()
        return next((t for t in tabs if t is w), None)

    def _reconnect_current(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.reconnect_now()

    def _disconnect_current(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.disconnect_now()

    # ------------------------------------------------------------ connections
    def tabs(self) -> list[ConnectionTab]:
        if not self.conn_tabs.count():
            return []  # also: the connection code is not loaded before the first paint
        from inspector.qt.session.connection_tab import ConnectionTab
        widgets = (self.conn_tabs.widget(i) for i in range(self.conn_tabs.count()))
        return [w for w in widgets if isinstance(w, ConnectionTab)]

    def check_server(self, profile: Profile) -> CheckView | None:
        """A conformance run against the profile's server, as a document of its own."""
        from inspector.qt.conformance.launch import check_server
        return check_server(self, profile, self.recording)

    def connect_profile(self, profile: Profile) -> ConnectionTab | None:
        """Connect: show the profile's tab when it is already connected, else open one (in
        place of the profile's stopped tab, when it has one). The live part comes to the front."""
        self.documents.setCurrentWidget(self.center)
        from inspector.qt.session.connection_tab import open_tab_for
        tab = open_tab_for(self.tabs(), profile)
        if tab is None:
            return self.open_connection(profile, replacing=self._stopped_tab_of(profile))
        self.conn_tabs.setCurrentWidget(tab)
        self.show_message(f"{profile.name} is already connected as {tab.conn_id}: showing its tab "
                          "(duplicate the profile for a second connection)")
        return tab

    def _stopped_tab_of(self, profile: Profile) -> ConnectionTab | None:
        return next((t for t in self.tabs() if t.profile.name == profile.name
                     and t.client.state is State.STOPPED), None)

    def open_connection(self, profile: Profile, replacing: ConnectionTab | None = None) -> ConnectionTab | None:
        """Open a new connection tab for ``profile`` and start it (after asking for its key's
        passphrase, when it is encrypted: then None, and the tab opens once it is given).
        ``replacing``: a stopped tab whose place and connection id the new one takes."""
        needed = self.passphrases.needed(profile)
        if needed is not None:
            self.passphrases.ask(profile, needed, lambda: self.open_connection(profile, replacing))
            return None
        self.documents.setCurrentWidget(self.center)
        trust = None
        if profile.embedded_mock:
            try:
                url = self.mock_panel.start_server()
            except OSError:
                return None
            trust = self.mock_panel.ca_file  # its throwaway CA, when the panel serves wss://
        else:
            url = profile.url
        if profile.kind == "proxy":  # a Proxy profile: a proxy in a tab of its own (qt/proxy)
            from inspector.qt.proxy.proxy_tab import open_proxy_tab  # loaded when first used (start-up time)
            self._proxies_opened = True
            open_proxy_tab(profile, url, self.conn_tabs, self.log_panel.ingest_frames, self.show_message,
                           lambda name, lines: self._update_profile(name, "rules", list(lines), "rules"),
                           self.passphrases.password_for(profile))
            return None
        if replacing is not None and self.conn_tabs.indexOf(replacing) < 0:
            replacing = None  # closed meanwhile (a passphrase asked for)
        conn_id = replacing.conn_id if replacing is not None else f"c{next(self._ids)}"
        from inspector.qt.session.connection_tab import ConnectionTab  # loaded after the first paint
        try:
            tab = ConnectionTab(profile, url, conn_id, self.tasks, trust=trust,
                                key_password=self.passphrases.password_for(profile), data_dir=self._data_dir())
        except (ValueError, TypeError) as exc:
            self.report_error(f"cannot connect with {profile.name}: {exc}")
            return None
        tab.add_batch_sinks(self.log_panel.ingest_frames, self.latency_plot.ingest)
        self._apply_payloads(profile, tab)
        tab.add_event_sink(self.log_panel.ingest)  # connection events become log rows
        tab.state_view.text_changed.connect(lambda _text, t=tab: self._tab_text(t))
        tab.message.connect(self.show_message)
        tab.save_subscriptions.connect(self.save_profile_subscriptions)
        tab.save_ca_file.connect(self.save_profile_ca_file)
        tab.state_changed.connect(lambda ev, t=tab: self._tab_state(t, ev))
        title = f"○ {conn_id} · {profile.name}"
        if replacing is not None:
            index = self.conn_tabs.insertTab(self.conn_tabs.indexOf(replacing), tab, title)
            self._close_tab(self.conn_tabs.indexOf(replacing))
        else:
            index = self.conn_tabs.addTab(tab, title)
        self.conn_tabs.setCurrentIndex(index)
        self.settings.setValue("lastProfile", profile.name)
        tab.start()
        if self.recording is not None:
            self.recording.connection_opened(tab)
        self._update_actions()
        self.show_message(f"{conn_id}: connecting with profile {profile.name}")
        return tab

    def _current_tab_changed(self, _index: int) -> None:
        self._update_actions()
        self._update_empty_hint()
        if not self._message_timer.isActive():
            self.show_state()

    def _data_dir(self) -> Path | None:
        """The app's data folder: where the recordings folder is (None: the default)."""
        if self.recording is not None:
            return self.recording.recorder.directory.parent
        return self._recordings_dir.parent if self._recordings_dir is not None else None

    def save_profile_ca_file(self, name: str, path: str) -> None:
        if self._update_profile(name, "cacert", path, "CA file"):
            self.show_message(f"{name} now trusts the CA file {path}")

    def save_profile_subscriptions(self, name: str, subscriptions: list[Subscription]) -> None:
        if self._update_profile(name, "subscriptions", list(subscriptions), "subscriptions"):
            self.show_message(f"saved {len(subscriptions)} subscription(s) to profile {name}")

    def _connect_selected(self) -> None:
        self.build_side()  # a shortcut pressed before the profiles' page came
        self.manager.connect_current()

    def _update_profile(self, name: str, field: str, value: object, what: str) -> bool:
        """Set one field of a saved profile and save the profiles; False (said why) when it cannot be."""
        self.build_side()  # its page shows the change
        p = self.store.get(name)
        if p is None:
            self.report_error(f"no saved profile named {name!r}: save the profile first")
            return False
        old = getattr(p, field)
        setattr(p, field, value)
        try:
            p.validate()
            self.store.save()
        except (ProfileError, OSError) as exc:
            setattr(p, field, old)
            self.report_error(f"could not save the {what} of {name}: {exc}")
            return False
        self.manager.refresh(self.manager.current_name())
        return True

    def _tab_state(self, tab: ConnectionTab, ev: StateChanged) -> None:
        from inspector.protocol.describe import describe_state  # the codec's chain: after the first paint

        i = self.conn_tabs.indexOf(tab)
        if i >= 0:
            self.conn_tabs.setTabText(i, f"{_STATE_ICONS.get(ev.state, '?')} {tab.conn_id} · {tab.profile.name}")
            self.conn_tabs.setTabToolTip(i, describe_state(ev))
        # news about the connection in view beats an older message; an open connection
        # also ends an error shown before (it is kept in ``errors`` and the log)
        if tab is self.current_tab() and (not self._showing_error or ev.state is State.OPEN):
            self.show_state()

    def _tab_text(self, tab: ConnectionTab) -> None:
        """The header's text moved on (a countdown): the status bar, when it shows that state, follows."""
        if tab is self.current_tab() and not self._message_timer.isActive():
            self.show_state()

    def _close_tab(self, index: int) -> None:
        tab = next((t for t in self.tabs() if t is self.conn_tabs.widget(index)), None)
        if tab is None:
            return
        self.conn_tabs.removeTab(index)
        self._update_actions()

        async def close() -> None:
            await tab.shutdown()
            tab.deleteLater()
        self.tasks.spawn(close(), name=f"close {tab.conn_id}")

    # ------------------------------------------------------------ messages and errors
    def show_message(self, text: str) -> None:
        """A passing message; the connection state comes back after MESSAGE_MS."""
        if self._showing_error and self._message_timer.isActive():
            return  # an error stays until its time is up
        self._showing_error = False
        self.status_label.setStyleSheet("")
        self.status_label.setText(text)
        self._message_timer.start(MESSAGE_MS)

    def _apply_payloads(self, profile: Profile, tab: ConnectionTab) -> None:
        """The profile's contract and decoders read the EVENTs of this connection's rows."""
        if not profile.asyncapi and not profile.decoders:
            return
        from inspector.payloads.lens import build_lens  # contracts and decoders: after the first paint
        from inspector.protocol.events import PayloadTrouble

        try:
            lens = build_lens(profile.asyncapi, profile.decoders)
        except ValueError as exc:
            self.report_error(f"{tab.conn_id} · {profile.name}: {exc}")
            tab.show_payload_trouble(f"{exc} (its rows are not checked)")
            self.log_panel.ingest(PayloadTrouble(tab.conn_id, time.time(), f"{exc} (its rows are not checked)"))
            return
        self.log_panel.set_payloads(lens, tab.conn_id)
        if lens.contract is not None:
            tab.editor.set_contract_topics(lens.contract.topic_suggestions())

    def _payload_trouble(self, trouble: Trouble) -> None:
        """A connection's decoders fail at run time: the status bar and the connection's tab say so."""
        from inspector.protocol.events import PayloadTrouble  # the codec's module: after the first paint

        self.report_error(trouble.text())
        self.log_panel.ingest(PayloadTrouble(trouble.conn, time.time(), trouble.line()))  # a connection row
        for tab in self.tabs():
            if tab.conn_id == trouble.conn:
                tab.show_payload_trouble(trouble.line())

    def report_error(self, text: str) -> None:
        """Errors from slots and tasks: shown in the status bar and logged, never lost."""
        self.errors.append(text)
        log.error("%s", text)
        self._showing_error = True
        self.status_label.setStyleSheet("color: #d33;")
        self.status_label.setText(f"Error: {text}")
        self.status_label.setToolTip(text)
        self._message_timer.start(ERROR_MS)

    def _message_expired(self) -> None:
        self._showing_error = False
        self.show_state()

    def show_state(self) -> None:
        """The latest state of the connection in view (the resting text of the status bar)."""
        self._message_timer.stop()
        self._showing_error = False
        self.status_label.setStyleSheet("")
        self.status_label.setToolTip("")
        tab = self.current_tab()
        if tab is None:
            self.status_label.setText("Not connected: select a profile and press Connect (Ctrl+Return)")
            return
        state = tab.state_view.text() if tab.state_view.last is not None else "starting…"
        self.status_label.setText(f"{tab.conn_id} · {tab.profile.name}: {state}")

    # ------------------------------------------------------------ settings
    def restore_settings(self) -> None:
        """Restore what was saved; a value of the wrong type (a hand-edited file) is skipped."""
        s = self.settings
        restorers = [("geometry", self.restoreGeometry), ("windowState", self.restoreState),
                     ("splitters/logSplitter", self.log_panel.splitter.restoreState)]
        restorers += [(f"splitters/{sp.objectName()}", sp.restoreState) for sp in self._splitters()]
        for key, restore in restorers:
            value = s.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        if s.value("sidePanel") in ("false", False):
            self._toggle_side_panel(False)
        if s.value("lowerPanel") in ("false", False):
            self._toggle_lower_panel(False)
        # the side tab and the last profile come back with the side column's pages (build_rest)

    def _restore_side_tab(self) -> None:
        side = self.settings.value("sideTab")
        if side is not None:
            with contextlib.suppress(TypeError, ValueError):
                self.side_tabs.setCurrentIndex(int(side))

    def _splitters(self) -> tuple[QSplitter, ...]:
        """The window's own splitters, saved under their object names."""
        return (self.main, self.center, self.lower_splitter)

    async def _stop_proxies_async(self) -> None:
        if self._proxies_opened:
            from inspector.qt.proxy.proxy_tab import stop_proxy_tabs_async
            await stop_proxy_tabs_async(self.conn_tabs)

    def _stop_proxies(self) -> None:
        if self._proxies_opened:  # the proxy tabs' module is loaded only once one was opened
            from inspector.qt.proxy.proxy_tab import stop_proxy_tabs
            stop_proxy_tabs(self.conn_tabs)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("windowState", self.saveState())
        for sp in self._splitters():
            s.setValue(f"splitters/{sp.objectName()}", sp.saveState())
        s.setValue("splitters/logSplitter", self.log_panel.splitter.saveState())
        s.setValue("sideTab", self.side_tabs.currentIndex())
        s.setValue("sidePanel", self.side_action.isChecked())
        s.setValue("lowerPanel", self.lower_action.isChecked())
        if self._side_built and self.manager.current_name():
            s.setValue("lastProfile", self.manager.current_name())
        if not self._session_saved:  # the first save of a shutdown, while the connections still run
            import json

            s.setValue(SESSION_KEY, json.dumps(session_profiles(self.tabs())))  # JSON: an empty list survives
            s.setValue(DEMO_KEY, self.mock_panel.demo_check.isChecked())
        s.sync()
        if s.format() == QSettings.Format.IniFormat:
            with contextlib.suppress(OSError):
                os.chmod(s.fileName(), 0o600)  # like the profiles: readable only by the user

    # ------------------------------------------------------------ start and shutdown
    def last_profile(self) -> Profile | None:
        last = self.settings.value("lastProfile")
        p = self.store.get(last) if isinstance(last, str) else None
        return p

    def restore_session(self) -> bool:
        """Bring back the connections open when the app was last closed: the embedded mock's at
        once (its demo as it was), the others offered in a bar (starting the app should not
        reach a server or run a token command unasked). False: no session was saved."""
        names = self.settings.value(SESSION_KEY)
        if names is None:
            return False
        profiles = [p for p in (self.store.get(n) for n in _string_list(names)) if p is not None]
        local = [p for p in profiles if p.embedded_mock]
        if local and self.settings.value(DEMO_KEY) in ("true", True):
            self.mock_panel.demo_check.setChecked(True)
        for p in local:
            self.connect_profile(p)
        remote = [p.name for p in profiles if not p.embedded_mock]
        if remote:
            self.restore_bar.offer(remote)
        return True

    def _reconnect_last_session(self, names: list[str]) -> None:
        for name in names:
            p = self.store.get(name)
            if p is not None:
                self.connect_profile(p)

    async def shutdown(self) -> None:
        """Stop every client, cancel and await our tasks, stop the mock server."""
        import asyncio
        self.save_settings()
        self._session_saved = True
        tabs = self.tabs()
        if tabs:
            await asyncio.wait([asyncio.ensure_future(t.shutdown()) for t in tabs], timeout=5.0)
        widgets = (self.documents.widget(i) for i in range(self.documents.count()))
        docs: list[Document] = [d for d in widgets if d is not None and isinstance(d, Document)]
        docs += [win.doc for win in self.document_windows]
        closing = [asyncio.ensure_future(d.close_document()) for d in docs]
        if closing:  # a replay into the mock ends before the mock does
            await asyncio.wait(closing, timeout=5.0)
        if self.recording is not None:
            self.recording.shutdown()  # after the clients stopped: their last frames are in the file
        await self._stop_proxies_async()
        await self.tasks.cancel_all()
        self.log_panel.set_payloads(None)
        if self.mock_panel.running:
            await self.mock_panel.stop_async()

    def closeEvent(self, event: QCloseEvent) -> None:
        import asyncio
        if self._shutdown_done:
            event.accept()
            return
        self.build_side()  # closing saves what it shows (the profile selected)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no qasync loop (e.g. a test tearing down): close synchronously
            if not self._built:  # the app awaits the first paint: it closes the usual way once built
                self._close_requested = True
                event.ignore()
                return
            self.save_settings()
            self._stop_proxies()
            if self.mock_panel.running:
                self.mock_panel.stop_server()
            for win in list(self.document_windows):
                win.close_now()
            event.accept()
            return
        event.ignore()
        if self._shutting_down:
            return
        self._shutting_down = True
        self.show_message("closing…")

        async def run() -> None:
            try:
                await self.shutdown()
            except Exception as exc:  # noqa: BLE001 - close anyway
                log.error("shutdown failed: %s: %s", type(exc).__name__, exc)
            self._shutdown_done = True
            for win in list(self.document_windows):
                win.close_now()
            self.close()
            if self.closed is not None and not self.closed.done():
                self.closed.set_result(None)
        self._shutdown_task = loop.create_task(run())  # held: a task nobody references may be collected
