"""Desktop app start-up: QApplication, the main window painted on Qt's own loop, then the
qasync loop, the rest of the window, the embedded mock and the first connection;
``--self-test`` for CI and screenshots.

What runs before the first paint imports only what that paint shows: asyncio, qasync,
numpy, the session store and the connection code load once the window is on screen
(tests/qt/test_startup_modules.py holds the list)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from inspector.lazy_module import load_now
from inspector.private_files import make_private_dir
from inspector.profiles import LOCAL_MOCK, Profile, ProfileError, ProfileStore, local_mock_profile
from inspector.qt.first_paint import exit_after_paint_requested, print_modules_and_exit, wait_for_first_paint
from inspector.qt.log.model import COL_TOPIC
from inspector.qt.main_window import MainWindow, freeze_startup_objects
from inspector.qt.resource_paths import icon_path
from inspector.redact import install_on_root, scrub

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("inspector.qt")
SELF_TEST_TIMEOUT = 30.0
SELF_TEST_FRAMES = 100
SCREENSHOT_RTTS = 4       # a screenshot shows a few points on the latency graph, not one
FREEZE_FALLBACK_MS = 3000  # a first connection that shows no frame by then: start-up is over anyway
AFTER_FIRST_FRAME_MS = 250  # the rest of start-up (tens of ms) comes once the first rows are seen


class AppOptions:
    """The app's own command-line options (declared in cli/main.py), typed. A plain class, as
    ``Shown``: a dataclass is made by writing and compiling its methods, on the way to the first paint."""

    __slots__ = ("debug", "open_file", "screenshot", "self_test", "store_budget")

    def __init__(self, debug: bool = False, self_test: bool = False, screenshot: str | None = None,
                 store_budget: int | None = None, open_file: str | None = None) -> None:
        self.debug = debug
        self.self_test = self_test
        self.screenshot = screenshot
        self.store_budget = store_budget
        self.open_file = open_file

    @classmethod
    def from_namespace(cls, ns: argparse.Namespace) -> AppOptions:
        given = vars(ns)  # FILE is declared only when the first argument is not a command
        return cls(debug=ns.debug, self_test=ns.self_test, screenshot=ns.screenshot, store_budget=ns.store_budget,
                   open_file=given.get("open_file"))


def run_app(args: AppOptions) -> int:
    """Entry point of ``realtime-inspector`` without a subcommand."""
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_on_root()
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
        app.setStyle(STYLE)
    else:
        app = QApplication([sys.argv[0], *_qt_args()])
    app.setApplicationName("realtime-inspector")
    app.setOrganizationName("realtime-inspector")
    app.setDesktopFileName("realtime-inspector")  # ties windows to the .desktop entry (Wayland app id)
    if icon_path().is_file():
        app.setWindowIcon(QIcon(str(icon_path())))
    app.setQuitOnLastWindowClosed(False)  # the window closes itself after an async shutdown
    apply_style(app)
    shown = show_window(args)
    try:
        if exit_after_paint_requested():
            print_modules_and_exit()
        # the log's ring (with the codec it loads) and the shortcuts: once painted, before any event
        # can reach the window
        shown.window.build_after_paint()
        return _run_loop(app, _main(args, shown))
    finally:
        gc.enable()  # paused for start-up (cli.main): on again, however start-up ended
        shown.close()


class Shown:
    """The main window, painted; with what start-up found on the way."""

    __slots__ = ("scratch", "window")

    def __init__(self, window: MainWindow, scratch: tempfile.TemporaryDirectory[str] | None) -> None:
        self.window = window
        self.scratch = scratch  # --self-test: profiles and layout live here

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()


def show_window(args: AppOptions) -> Shown:
    """The main window's first paint, on Qt's own loop: nothing of asyncio, qasync, numpy, the
    mock or the connection code is loaded yet, nor the profiles read (``_main`` does the rest)."""
    # the self-test leaves no trace: profiles and layout live in a scratch folder
    scratch = tempfile.TemporaryDirectory(prefix="realtime-inspector-self-test-") if args.self_test else None
    store = ProfileStore(scratch.name if scratch else None)
    window = MainWindow(store, open_settings(store), later=True)
    window.show()
    wait_for_first_paint(window)
    return Shown(window, scratch)


def _run_loop(app: QApplication, main: Coroutine[Any, Any, int]) -> int:
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        code: int = loop.run_until_complete(main)
        return code
    finally:
        with contextlib.suppress(Exception):  # nothing more to do on the way out
            loop.close()
        asyncio.set_event_loop(None)


def _qt_args() -> list[str]:
    # the style named as Qt starts: QApplication.setStyle returns the style, and its Python class
    # (with many large enum classes) costs more than the rest of the window's set-up
    return ["-style", STYLE]


# ---------------------------------------------------------------- style
STYLE = "Fusion"
THEME_ENV = "REALTIME_INSPECTOR_THEME"  # "dark" or "light" overrides the system's scheme


def apply_style(app: QApplication) -> None:
    """A light or dark palette following the system's colour scheme, for the Fusion style (STYLE)."""
    forced = os.environ.get(THEME_ENV, "").strip().lower()

    def update(*_args: object) -> None:
        if forced in ("dark", "light"):
            dark = forced == "dark"
        else:
            dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        app.setPalette(dark_palette() if dark else light_palette())

    update()
    QGuiApplication.styleHints().colorSchemeChanged.connect(update)


def light_palette() -> QPalette:
    """Fusion's own light palette, made as its style makes it (``standardPalette()``; a test checks they
    are equal): read from the style, it would make the style's Python class before the first paint (see
    _qt_args). Every role of every group is set, whatever the system's theme says."""
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    window, black, white = QColor(239, 239, 239), QColor(0, 0, 0), QColor(255, 255, 255)
    mid, dark = window.darker(130), window.darker(150)
    shadow = dark.darker(135)
    p = QPalette(black, window, window.lighter(150), dark, mid, black, white)
    p.setColor(role.Midlight, mid.lighter(110))
    p.setColor(role.Button, window)
    p.setColor(role.Shadow, shadow)
    p.setColor(role.HighlightedText, white)
    p.setColor(role.PlaceholderText, QColor(0, 0, 0, 128))
    for text in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, text, QColor(190, 190, 190))
    p.setColor(group.Disabled, role.Base, window)
    p.setColor(group.Disabled, role.Dark, QColor(209, 209, 209).darker(110))
    p.setColor(group.Disabled, role.Shadow, shadow.lighter(150))
    blue, grey = QColor(48, 140, 198), QColor(145, 145, 145)
    for g, colour in ((group.Active, blue), (group.Inactive, blue), (group.Disabled, grey)):
        p.setColor(g, role.Highlight, colour)
        p.setColor(g, role.Accent, colour)
    return p


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(45, 45, 48), QColor(225, 225, 225)
    for role, colour in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
                         (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
                         (QPalette.ColorRole.ToolTipBase, window), (QPalette.ColorRole.ToolTipText, text),
                         (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
                         (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.BrightText, QColor("red")),
                         (QPalette.ColorRole.Link, QColor(90, 160, 255)),
                         (QPalette.ColorRole.Highlight, QColor(45, 110, 200)),
                         (QPalette.ColorRole.HighlightedText, QColor("white")),
                         (QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140))):
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


# ---------------------------------------------------------------- configuration
def open_settings(store: ProfileStore) -> QSettings:
    """Window layout lives beside the profiles, in the same 0700 folder."""
    try:
        make_private_dir(store.directory)
    except OSError as exc:  # an unwritable home: run anyway, the layout is just not kept
        log.warning("cannot create %s: %s", store.directory, exc.strerror or exc)
    return QSettings(str(store.directory / "ui.ini"), QSettings.Format.IniFormat)


def load_profiles(store: ProfileStore) -> str | None:
    """Load profiles; on a broken file keep it aside and start from the defaults. Returns a warning."""
    try:
        store.load()
    except ProfileError as exc:
        aside = store.path.with_name(f"{store.path.name}.broken-{int(time.time())}")
        try:
            os.replace(store.path, aside)
            where = f"; kept as {aside.name}"
        except OSError:
            where = "; saving profiles will replace that file"
        store.reset_defaults()
        return f"profiles could not be loaded ({exc}){where}"
    if store.get(LOCAL_MOCK) is None and not any(p.embedded_mock for p in store):
        store.add(local_mock_profile())
    return None


# ---------------------------------------------------------------- main
async def _main(args: AppOptions, shown: Shown) -> int:
    """On the qasync loop, the window painted: the rest of it, the session store, the first connection."""
    import asyncio

    from inspector.profiles import default_data_dir
    from inspector.qt.live_store import LiveStore

    loop = asyncio.get_running_loop()
    self_test = args.self_test
    window = shown.window
    warning = load_profiles(window.store)  # the profiles' page shows them (build_side)
    opening = bool(args.open_file)
    window.build_rest(side_later=not opening)  # a file opens in the recording UI: it comes at once
    load_now()  # numpy, here on the GUI thread, before any other thread can be the first to read it
    window.closed = loop.create_future()
    live = LiveStore(window, shown.scratch.name if shown.scratch else default_data_dir(), args.store_budget)
    old_hook = sys.excepthook
    _install_error_handlers(loop, window)
    _close_on_signals(window)
    try:
        if warning:
            window.report_error(warning)
        # a file to open under --self-test connects nothing; else the last session back, and a first
        # start connects the local mock with its demo
        if (self_test and opening) or (not self_test and window.restore_session()):
            first = None
        else:
            first = _first_profile(window, self_test)
        if first is not None:
            window.mock_panel.demo_check.setChecked(True)
            window.open_connection(first)
        opened_at = time.perf_counter()
        if args.open_file:
            window.open_file(args.open_file)
        if window.tabs():  # once the connections' client and mock modules are loaded too
            _finish_at_first_frame(window)
        elif opening:
            _finish_after_open(window)
        else:
            _finish_start(window)
        if self_test:
            from inspector.qt.open_self_test import run_open_self_test
            code = (await run_open_self_test(window, SELF_TEST_TIMEOUT, opened_at) if opening
                    else await run_self_test(window, args.screenshot))
            window.close()
            await window.closed
            return code
        await window.closed
        return 0
    finally:
        live.close()
        sys.excepthook = old_hook


def _finish_at_first_frame(window: MainWindow) -> None:
    """Soon after the log shows its first frame, or after FREEZE_FALLBACK_MS without one: the
    profiles' page and the recording UI (``build_side``), then ``freeze_startup_objects``, when
    what start-up makes is all there. The first frames come sooner for it."""
    model = window.log_panel.model
    timer = QTimer(window)
    timer.setSingleShot(True)

    def finish() -> None:
        timer.stop()
        timer.timeout.disconnect(finish)
        model.rowsInserted.disconnect(rows_in)
        QTimer.singleShot(AFTER_FIRST_FRAME_MS, window, lambda: _finish_start(window, live=True))

    def rows_in(*_args: object) -> None:
        if window.log_panel.frame_count() > 0:
            finish()

    model.rowsInserted.connect(rows_in)
    timer.timeout.connect(finish)
    timer.start(FREEZE_FALLBACK_MS)


def _finish_after_open(window: MainWindow) -> None:
    """``_finish_start`` once the file opened at start shows (or failed), not while it opens: its
    full collection of start-up's objects holds the GUI thread for tens of ms."""
    ui = window.recording
    if ui is None:
        _finish_start(window)
        return

    def finish(*_args: object) -> None:
        ui.opened.disconnect(finish)
        ui.open_failed.disconnect(finish)
        QTimer.singleShot(AFTER_FIRST_FRAME_MS, window, lambda: _finish_start(window))

    ui.opened.connect(finish)
    ui.open_failed.connect(finish)


def _finish_start(window: MainWindow, live: bool = False) -> None:
    window.build_side()
    freeze_startup_objects()
    if live:  # round trips come: the graph's module, off the GUI thread (not while a file opens: it
        from inspector.qt.latency.latency_plot import prefetch_plotting  # would hold the GIL then)
        prefetch_plotting()


def _first_profile(window: MainWindow, self_test: bool) -> Profile | None:
    """The profile to connect at start: the last one if it uses the embedded mock.

    Remote profiles are selected but not connected automatically: starting the app
    should not silently run token commands or reach production servers.
    """
    if self_test:
        return local_mock_profile()
    last = window.last_profile()
    if last is None:
        return window.store.get(LOCAL_MOCK) or next((p for p in window.store if p.embedded_mock), None)
    return last if last.embedded_mock else None


def _close_on_signals(window: MainWindow) -> None:
    """Ctrl+C / SIGTERM close the window the normal way (async shutdown, settings saved)."""
    def handler(_signum: int, _frame: FrameType | None) -> None:
        QTimer.singleShot(0, window.close)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or unsupported here
            signal.signal(sig, handler)


def _install_error_handlers(loop: asyncio.AbstractEventLoop, window: MainWindow) -> None:
    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        text = context.get("message", "error")
        if exc is not None:
            text = f"{text}: {type(exc).__name__}: {exc}"
        window.report_error(scrub(text))

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        log.debug("unhandled exception:\n%s", scrub("".join(traceback.format_exception(exc_type, exc, tb))))
        window.report_error(scrub(f"{exc_type.__name__}: {exc}"))

    loop.set_exception_handler(loop_handler)
    sys.excepthook = excepthook


# ---------------------------------------------------------------- self-test
async def _settle_for_screenshot(window: MainWindow, deadline: float) -> None:
    """A picture worth showing: a few round trips on the graph and a frame open in the detail pane."""
    import asyncio

    plot = window.latency_plot
    while (time.monotonic() < deadline - 5  # noqa: ASYNC110 - the plot's figures have no event to wait on
           and not any(plot.stats(c)["count"] >= SCREENSHOT_RTTS for c in plot.connections)):
        await asyncio.sleep(0.1)
    plot.redraw()
    await asyncio.sleep(0.3)  # let the log flush and repaint once more
    # Select a frame in view, just before the grab (which paints at once; selecting stops
    # Follow, so the rows stay put): the newest orders EVENT (a JSON body with some depth)
    # if one is among the last rows, else a recent frame.
    log_panel = window.log_panel
    model = log_panel.model
    rows = model.rowCount()
    pick = next((r for r in range(rows - 1, max(-1, rows - 12), -1)
                 if str(model.index(r, COL_TOPIC).data()).startswith("orders.")), rows - 3)
    if pick >= 0:
        log_panel.view.selectionModel().setCurrentIndex(
            model.index(pick, COL_TOPIC),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        log_panel.detail.tree.expandAll()


async def run_self_test(
        window: MainWindow, screenshot: str | None,
        timeout: float = SELF_TEST_TIMEOUT,  # noqa: ASYNC109 - all steps' budget; running out is exit 1
) -> int:
    """Wait for each step in turn; 0 when all pass within ``timeout`` seconds."""
    import asyncio

    from inspector.protocol.events import State, SubState

    deadline = time.monotonic() + timeout
    steps: list[tuple[str, Callable[[], bool]]] = [
        ("embedded mock server running", lambda: window.mock_panel.running),
        ("connection open", lambda: any(t.client.state is State.OPEN for t in window.tabs())),
        ("subscriptions active", lambda: any(
            t.client.subscriptions and all(s.state is SubState.ACTIVE for s in t.client.subscriptions.values())
            for t in window.tabs())),
        (f"at least {SELF_TEST_FRAMES} frames in the log",
         lambda: window.log_panel.frame_count() >= SELF_TEST_FRAMES),
        ("at least one round trip on the latency graph",
         lambda: any(window.latency_plot.stats(c)["count"] >= 1 for c in window.latency_plot.connections)),
    ]
    for name, check in steps:
        while not check():
            if window.errors:
                print(f"self-test failed: {window.errors[0]}", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"self-test failed: timed out after {timeout:g} s waiting for: {name}", file=sys.stderr)
                return 1
            await asyncio.sleep(0.05)
        print(f"self-test: {name}: ok", flush=True)
    if screenshot:
        await _settle_for_screenshot(window, deadline)
        path = Path(screenshot)
        if not window.grab().save(str(path), "PNG"):
            print(f"self-test failed: could not save the screenshot to {path}", file=sys.stderr)
            return 1
        print(f"self-test: screenshot saved to {path}", flush=True)
    tab = window.tabs()[0]
    print(f"self-test: passed ({window.log_panel.frame_count()} frames, "
          f"RTT p50 {window.latency_plot.stats(tab.conn_id)['p50']:.1f} ms)", flush=True)
    return 0
