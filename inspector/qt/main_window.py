"""The main window: profiles and mock panel in a narrow column on the left; the
frame log (with its detail pane) takes most of the rest, above the connection tabs
(state + subscriptions) and the latency plot side by side.

The status bar shows the current connection's latest state; other messages replace it
for a few seconds, errors for longer.

Closing is asynchronous: the first close event is ignored, clients are stopped,
tasks cancelled and awaited and the mock server stopped, then the window closes
for real and ``closed`` resolves.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QColor, QGuiApplication, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QWidget,
)

from inspector.mock.server import MockConfig
from inspector.profiles import Profile, ProfileError, ProfileStore
from inspector.protocol.describe import describe_state
from inspector.protocol.events import State, StateChanged
from inspector.qt.about import AboutDialog, ShortcutsDialog
from inspector.qt.aio import Tasks
from inspector.qt.latency.latency_plot import LatencyPlot
from inspector.qt.log.model import COL_CONN, COL_KIND
from inspector.qt.log.panel import LogPanel
from inspector.qt.mock.mock_panel import MockPanel
from inspector.qt.session.connection_tab import ConnectionTab
from inspector.qt.session.profiles_panel import ConnectionManager

log = logging.getLogger("inspector.qt")
TITLE = "Realtime Inspector"
SP = QStyle.StandardPixmap
MESSAGE_MS = 5000    # a status message gives way to the connection state after this
ERROR_MS = 15000     # errors stay longer (they are also kept in ``errors`` and logged)
SIDE_WIDTH = 300
DEFAULT_SIZE = QSize(1500, 940)
_STATE_ICONS = {State.OPEN: "●", State.CONNECTING: "◌", State.WAITING: "◌", State.CLOSED: "○",
                State.STOPPED: "■", State.IDLE: "○"}


def freeze_startup_objects() -> None:
    """Call once the window is up: what exists then lives as long as the app. Frozen, it is
    out of the cyclic collector's full passes, which otherwise walk every module, class and
    widget on the GUI thread (tens of ms) again and again while a flood allocates."""
    gc.collect()
    gc.freeze()


def _scrolling(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return area


def record_icon() -> QIcon:
    """A red disc: what every recorder's Record button looks like."""
    pm = QPixmap(16, 16)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#dc2626"))
    p.drawEllipse(2, 2, 12, 12)
    p.end()
    return QIcon(pm)


class MainWindow(QMainWindow):
    def __init__(self, store: ProfileStore, settings: QSettings, mock_config: MockConfig | None = None,
                 log_cap: int = 1_000_000, recordings_dir=None):
        super().__init__()
        self.setWindowTitle(TITLE)  # never a URL or token
        self.store = store
        self.settings = settings
        self.tasks = Tasks(on_error=self.report_error)
        self._ids = itertools.count(1)
        self._shutting_down = False
        self._shutdown_done = False
        self.closed: asyncio.Future | None = None
        self.errors: list[str] = []

        self.manager = ConnectionManager(store)
        self.mock_panel = MockPanel(self.tasks, mock_config)
        self.log_panel = LogPanel(cap=log_cap)
        self.latency_plot = LatencyPlot()
        self.conn_tabs = QTabWidget()
        self.conn_tabs.setObjectName("connectionTabs")
        self.conn_tabs.setTabsClosable(True)
        self.conn_tabs.setDocumentMode(True)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        # scrollable pages: the column can be narrower than its forms (small screens, big fonts)
        self.side_tabs.addTab(_scrolling(self.manager), "Profiles")
        self.side_tabs.addTab(_scrolling(self.mock_panel), "Mock server")

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
        self.main.addWidget(self.side_tabs)
        self.main.addWidget(self.center)
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
        self.recording = self._attach_recording(recordings_dir)
        self._build_menus()
        self.show_state()

        self.manager.connect_requested.connect(self.open_connection)
        self.manager.message.connect(self.show_message)
        self.mock_panel.message.connect(self.show_message)
        self.conn_tabs.tabCloseRequested.connect(self._close_tab)
        self.conn_tabs.currentChanged.connect(self._current_tab_changed)
        self._default_layout()
        self.restore_settings()

    def _default_layout(self) -> None:
        """Sizes for a first start; ``restore_settings`` replaces them with the user's."""
        size = QSize(DEFAULT_SIZE)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:  # leave room for panels and the title bar on small screens
            avail = screen.availableGeometry().size()
            size = size.boundedTo(QSize(avail.width() - 40, avail.height() - 60))
        self.resize(size)
        height = size.height() - 90  # menu, toolbar, status bar
        lower = max(230, min(320, height * 3 // 10))
        self.main.setSizes([SIDE_WIDTH, size.width() - SIDE_WIDTH])
        self.center.setSizes([height - lower, lower])
        self.lower_splitter.setSizes([size.width() - SIDE_WIDTH - 420, 420])
        log_height = height - lower - 40  # the filter bar
        self.log_panel.splitter.setSizes([log_height * 3 // 4, log_height // 4])
        hh = self.log_panel.view.horizontalHeader()
        hh.resizeSection(COL_KIND, 105)  # "UNSUBSCRIBE" with its icon fits
        hh.resizeSection(COL_CONN, 80)

    def _attach_recording(self, directory):
        """Record / open / replay / export; it takes over the Record placeholder.

        A failure here costs that feature only: the inspector itself still starts.
        """
        from inspector.qt.recording.recording_ui import RecordingUi  # it imports this window's helpers
        try:
            return RecordingUi(self, directory)
        except Exception as exc:  # noqa: BLE001 - keep the app usable, say why
            self.report_error(f"recording is unavailable: {type(exc).__name__}: {exc}")
            return None

    def open_file(self, path) -> None:
        if self.recording is None:
            self.report_error(f"cannot open {path}: recording is unavailable")
        else:
            self.recording.open_path(path)

    # ------------------------------------------------------------ actions and shortcuts
    def _icon(self, theme: str, fallback: QStyle.StandardPixmap) -> QIcon:
        """The desktop theme's icon where there is one, else Qt's built-in."""
        return QIcon.fromTheme(theme, self.style().standardIcon(fallback))

    def _action(self, text: str, shortcut, slot, tip: str = "", icon=None) -> QAction:
        act = QAction(text, self)
        if isinstance(icon, QIcon):
            act.setIcon(icon)
        elif icon is not None:
            act.setIcon(self.style().standardIcon(icon))
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setToolTip(f"{tip or text} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
                       if shortcut is not None else tip or text)
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        self.connect_action = self._action("Connect", "Ctrl+Return", self.manager.connect_current,
                                           "Connect with the selected profile",
                                           self._icon("network-connect", SP.SP_MediaPlay))
        self.reconnect_action = self._action("Reconnect now", "Ctrl+R", self._reconnect_current,
                                             icon=self._icon("view-refresh", SP.SP_BrowserReload))
        self.disconnect_action = self._action("Disconnect", "Ctrl+D", self._disconnect_current,
                                              icon=self._icon("network-disconnect", SP.SP_MediaStop))
        self.pause_action = self._action("Pause", "Ctrl+P", self._toggle_pause, "Pause/resume the log",
                                         self._icon("media-playback-pause", SP.SP_MediaPause))
        self.pause_action.setCheckable(True)
        self.log_panel.pausedChanged.connect(self._paused_changed)
        self.clear_action = self._action("Clear", "Ctrl+L", self.log_panel.clear, "Clear the log",
                                         self._icon("edit-clear-all", SP.SP_DialogResetButton))
        self.find_action = self._action("Find", QKeySequence.StandardKey.Find, self.log_panel.focus_filter,
                                        "Find text in the log", self._icon("edit-find", SP.SP_FileDialogContentsView))
        self.record_action = self._action("Record", "Ctrl+Shift+R", lambda: None,
                                          "Record every connection to a file",
                                          QIcon.fromTheme("media-record", record_icon()))
        self.record_action.setEnabled(False)  # RecordingUi makes it real
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
        self.shortcuts_action = self._action("Keyboard shortcuts", "F1", self.show_shortcuts,
                                             icon=SP.SP_DialogHelpButton)
        self.about_action = self._action("About Realtime Inspector", None, self.show_about,
                                         icon=SP.SP_MessageBoxInformation)
        # the recording UI adds its entries to this menu (see RecordingUi._build_actions)
        self.file_menu = self.menuBar().addMenu("&File")
        tb = QToolBar("Main")
        tb.setObjectName("mainToolBar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for act in (self.connect_action, self.reconnect_action, self.disconnect_action, None,
                    self.pause_action, self.clear_action, self.find_action, None, self.record_action):
            if act is None:
                tb.addSeparator()
            else:
                tb.addAction(act)
        self.addToolBar(tb)
        self._update_actions()

    def _build_menus(self) -> None:
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
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
        if self._about is None:
            self._about = AboutDialog(self)
        self._about.open()
        self._about.raise_()

    def show_shortcuts(self) -> None:
        if self._shortcuts is None:
            self._shortcuts = ShortcutsDialog(self)
        self._shortcuts.refresh()
        self._shortcuts.open()
        self._shortcuts.raise_()

    def _update_actions(self) -> None:
        has = self.current_tab() is not None
        self.reconnect_action.setEnabled(has)
        self.disconnect_action.setEnabled(has)

    def _toggle_side_panel(self, visible: bool | None = None) -> None:
        visible = self.side_action.isChecked() if visible is None else visible
        self.side_action.setChecked(visible)
        self.side_tabs.setVisible(visible)

    def _toggle_lower_panel(self, visible: bool | None = None) -> None:
        visible = self.lower_action.isChecked() if visible is None else visible
        self.lower_action.setChecked(visible)
        self.lower_splitter.setVisible(visible)

    def _toggle_pause(self) -> None:
        self.log_panel.set_paused(not self.log_panel.paused)

    def _paused_changed(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume" if paused else "Pause")

    def current_tab(self) -> ConnectionTab | None:
        w = self.conn_tabs.currentWidget()
        return w if isinstance(w, ConnectionTab) else None

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
        widgets = (self.conn_tabs.widget(i) for i in range(self.conn_tabs.count()))
        return [w for w in widgets if isinstance(w, ConnectionTab)]

    def open_connection(self, profile: Profile) -> ConnectionTab | None:
        """Open a new connection tab for ``profile`` and start it."""
        if profile.embedded_mock:
            try:
                url = self.mock_panel.start_server()
            except OSError:
                return None
        else:
            url = profile.url
        conn_id = f"c{next(self._ids)}"
        try:
            tab = ConnectionTab(profile, url, conn_id, self.tasks)
        except (ValueError, TypeError) as exc:
            self.report_error(f"cannot connect with {profile.name}: {exc}")
            return None
        tab.add_batch_sinks(self.log_panel.ingest_frames, self.latency_plot.ingest)
        tab.message.connect(self.show_message)
        tab.save_subscriptions.connect(self.save_profile_subscriptions)
        tab.state_changed.connect(lambda ev, t=tab: self._tab_state(t, ev))
        index = self.conn_tabs.addTab(tab, f"○ {conn_id} · {profile.name}")
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
        if not self._message_timer.isActive():
            self.show_state()

    def save_profile_subscriptions(self, name: str, subscriptions: list) -> None:
        p = self.store.get(name)
        if p is None:
            self.report_error(f"no saved profile named {name!r}: save the profile first")
            return
        old = p.subscriptions
        p.subscriptions = list(subscriptions)
        try:
            p.validate()
            self.store.save()
        except (ProfileError, OSError) as exc:
            p.subscriptions = old
            self.report_error(f"could not save the subscriptions of {name}: {exc}")
            return
        self.manager.refresh(self.manager.current_name())
        self.show_message(f"saved {len(subscriptions)} subscription(s) to profile {name}")

    def _tab_state(self, tab: ConnectionTab, ev: StateChanged) -> None:
        i = self.conn_tabs.indexOf(tab)
        if i >= 0:
            self.conn_tabs.setTabText(i, f"{_STATE_ICONS.get(ev.state, '?')} {tab.conn_id} · {tab.profile.name}")
            self.conn_tabs.setTabToolTip(i, describe_state(ev))
        if tab is self.current_tab() and not self._showing_error:
            self.show_state()  # news about the connection in view beats an older message

    def _close_tab(self, index: int) -> None:
        tab = self.conn_tabs.widget(index)
        if not isinstance(tab, ConnectionTab):
            return
        self.conn_tabs.removeTab(index)
        self._update_actions()

        async def close():
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
        ev = tab.state_view.last
        state = describe_state(ev) if ev is not None else "starting…"
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
        side = s.value("sideTab")
        if side is not None:
            try:
                self.side_tabs.setCurrentIndex(int(side))
            except (TypeError, ValueError):
                pass
        last = s.value("lastProfile")
        if isinstance(last, str) and self.store.get(last) is not None:
            self.manager.select(last)

    def _splitters(self) -> tuple[QSplitter, ...]:
        """The window's own splitters, saved under their object names."""
        return (self.main, self.center, self.lower_splitter)

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
        if self.manager.current_name():
            s.setValue("lastProfile", self.manager.current_name())
        s.sync()
        if s.format() == QSettings.Format.IniFormat:
            try:
                os.chmod(s.fileName(), 0o600)  # like the profiles: readable only by the user
            except OSError:
                pass

    # ------------------------------------------------------------ start and shutdown
    def last_profile(self) -> Profile | None:
        last = self.settings.value("lastProfile")
        p = self.store.get(last) if isinstance(last, str) else None
        return p

    async def shutdown(self) -> None:
        """Stop every client, cancel and await our tasks, stop the mock server."""
        self.save_settings()
        tabs = self.tabs()
        if tabs:
            await asyncio.wait([asyncio.ensure_future(t.shutdown()) for t in tabs], timeout=5.0)
        if self.recording is not None:
            self.recording.shutdown()  # after the clients stopped: their last frames are in the file
        await self.tasks.cancel_all()
        if self.mock_panel.running:
            await self.mock_panel.stop_async()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shutdown_done:
            event.accept()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no qasync loop (e.g. a test tearing down): close synchronously
            self.save_settings()
            if self.mock_panel.running:
                self.mock_panel.stop_server()
            event.accept()
            return
        event.ignore()
        if self._shutting_down:
            return
        self._shutting_down = True
        self.show_message("closing…")

        async def run():
            try:
                await self.shutdown()
            except Exception as exc:  # noqa: BLE001 - close anyway
                log.error("shutdown failed: %s: %s", type(exc).__name__, exc)
            self._shutdown_done = True
            self.close()
            if self.closed is not None and not self.closed.done():
                self.closed.set_result(None)
        loop.create_task(run())
