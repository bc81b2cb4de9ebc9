"""One opened recording (or HAR) as a document of its own: its log with detail pane, its
latency graph and its timeline, apart from the live log, so seeking it never touches
live traffic. It can also play its server events into the embedded mock (what
``mock --replay`` does), for live connections to receive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QToolButton, QVBoxLayout, QWidget

from inspector.mock.replay import play
from inspector.qt import icons
from inspector.qt.aio import Tasks
from inspector.qt.latency.latency_plot import LatencyPlot
from inspector.qt.log.model import COL_CONN
from inspector.qt.log.panel import LogPanel
from inspector.qt.mock.mock_panel import MockPanel
from inspector.qt.recording.replay_panel import ReplayPanel
from inspector.recording import RecordingError

PREPARED_ROWS = 64  # rows formatted before a built document first shows (a tall window's worth)
PREPARE_S = 0.004   # of them a step: as many as this much of the GUI thread formats (the first reads its block)

if TYPE_CHECKING:  # a recording's columns load when a file is opened
    from inspector.logstore.recording_source import PreparedRecording
    from inspector.logstore.store_document import StoreDocument
    from inspector.mock.server import MockServer


async def _play_into(server: MockServer, events: list[tuple[float, dict[str, Any]]], speed: float,
                     done: concurrent.futures.Future[int]) -> None:
    """On the mock's loop: play, and hand the outcome to ``done`` (awaited on the GUI's loop)."""
    try:
        n = await play(server, events, speed=speed)
    except BaseException as exc:
        if not done.done():
            with contextlib.suppress(concurrent.futures.InvalidStateError):  # the GUI side gave up first
                done.cancel() if isinstance(exc, asyncio.CancelledError) else done.set_exception(exc)
        raise
    with contextlib.suppress(concurrent.futures.InvalidStateError):
        done.set_result(n)


class RecordingView(QWidget):
    message = Signal(str)
    error = Signal(str)
    mock_replay_finished = Signal(int)  # events delivered

    def __init__(self, rec: PreparedRecording | StoreDocument, tasks: Tasks, mock_panel: MockPanel | None = None,
                 log_cap: int = 1_000_000, parent: QWidget | None = None, *, staged: bool = False) -> None:
        """``staged``: only the frame is made: ``build_steps()`` makes the rest, a piece a step (the
        caller runs it to its end, a step a turn of the event loop, before showing the view)."""
        super().__init__(parent)
        self.recording = rec
        self.tasks = tasks
        self.mock_panel = mock_panel
        self._log_cap = log_cap
        self._mock_task: asyncio.Task[None] | None = None
        self._mock_stop: Callable[[], None] | None = None  # cancels the play task on the mock's loop
        if not staged:
            for _ in self.build_steps():
                pass

    def build_steps(self) -> Iterator[None]:
        """The log, the latency graph, the replay bar, then the file's rows in the log: each a few
        ms of the GUI thread, with a pause (``yield``) between them."""
        rec, mock_panel = self.recording, self.mock_panel
        from inspector.proxy.pair_names import recorded_pairs  # a proxy's recording: rows say which side sent
        recorded_pairs(rec.header, list(rec.labels))
        self.log_panel = LogPanel(cap=max(self._log_cap, rec.frame_count), staged=True)  # a file is shown whole
        yield from self.log_panel.build_steps()
        yield
        self.latency_plot = LatencyPlot()
        yield
        self.replay = ReplayPanel(self.log_panel, self.latency_plot)
        self.replay.message.connect(self.message)
        self.replay.name_label.hide()  # the document's tab or window title names the file
        self.replay.slider.setMinimumWidth(160)

        self.mock_button = QToolButton()
        self.mock_button.setText("Play into mock")
        self.mock_button.setToolTip("Start the embedded mock server and play this recording's server events to "
                                    "the connections subscribed there, at the chosen speed")
        self.mock_button.clicked.connect(self.toggle_mock_replay)
        self.mock_button.setEnabled(mock_panel is not None)
        if mock_panel is not None:
            mock_panel.stopped.connect(self.stop_mock_replay)  # its loop is gone: nothing more will play

        # The replay bar asks for no width of its own: a document opened in a narrow window must not
        # narrow the side column (and paint the whole window again); its right end is cut instead.
        self.bar_box = bar_box = QWidget()
        bar_box.setMinimumWidth(1)
        bar = QHBoxLayout(bar_box)
        bar.setContentsMargins(0, 2, 4, 2)
        bar.addWidget(self.replay, 1)
        bar.addWidget(self.mock_button)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("recordingSplitter")
        self.splitter.addWidget(self.log_panel)
        self.splitter.addWidget(self.latency_plot)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar_box)
        layout.addWidget(self.splitter, 1)
        self.splitter.setSizes([3000, 1000])  # the log gets most of a new window, as the stretch says
        yield
        self.replay.load(rec, show_all=True)
        self._fit_connection_column()
        if self.log_panel.following:  # the newest rows will be in view: formatted a few at a time
            yield from self._prepare_rows()
        yield
        self.ensurePolished()  # its widgets' style, here rather than in the turn that shows it

    def paint_steps(self) -> Iterator[None]:
        """A built document shown with its updates off (``setUpdatesEnabled(False)``) is painted a
        piece a turn of the event loop, the caller pausing at each ``yield``: the log's table first,
        then the rest (the filter bar, detail pane, replay bar and graph). Each is a few ms."""
        panel = self.log_panel
        rest = [w for w in panel.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if w is not panel.splitter]
        rest += [panel.detail, self.latency_plot, self.bar_box]
        for w in rest:
            w.setUpdatesEnabled(False)
        self.setUpdatesEnabled(True)
        yield
        for w in rest:
            w.setUpdatesEnabled(True)

    def _prepare_rows(self, clock: Callable[[], float] = time.perf_counter) -> Iterator[None]:
        """Format the newest ``PREPARED_ROWS`` rows, newest first, a step of ``PREPARE_S`` at a time:
        a row's cost varies with its body and the machine's load, so a step counts time, not rows."""
        model = self.log_panel.model
        end = model.rowCount()
        first = max(0, end - PREPARED_ROWS)
        if end > first:  # the kinds' brushes and icons (the Qt enums PySide makes at their first use)
            yield
            for kind in (*icons.KIND_COLOURS, -1):
                icons.kind_brush(kind)
                icons.kind_icon(kind)
        while end > first:
            yield
            t0 = clock()
            while end > first and clock() - t0 < PREPARE_S:
                model.prepare(end - 1, end)
                end -= 1

    def _fit_connection_column(self) -> None:
        """A recording's connections are named after the file: show the names whole (within reason)."""
        names = self.log_panel.rows.conns
        if names:
            fm = self.log_panel.view.fontMetrics()
            width = max(fm.horizontalAdvance(n) for n in names[:50]) + 16
            header = self.log_panel.view.horizontalHeader()
            header.resizeSection(COL_CONN, max(header.sectionSize(COL_CONN), min(width, 24 * fm.averageCharWidth())))

    @property
    def title(self) -> str:
        return self.recording.name

    # ------------------------------------------------------------ into the mock

    @property
    def mock_replaying(self) -> bool:
        return self._mock_task is not None and not self._mock_task.done()

    def toggle_mock_replay(self) -> None:
        if self.mock_replaying:
            self.stop_mock_replay()
        else:
            self.start_mock_replay()

    def start_mock_replay(self) -> asyncio.Task[None] | None:
        if self.mock_panel is None or self.mock_replaying:
            return None
        self._mock_task = self.tasks.spawn(self._mock_replay(self.replay.speed), name=f"replay {self.title}")
        self.mock_button.setText("Stop mock replay")
        return self._mock_task

    def stop_mock_replay(self) -> None:
        if self._mock_task is not None:
            self._mock_task.cancel()

    async def _mock_replay(self, speed: float) -> None:
        loop = asyncio.get_running_loop()
        name = self.title
        try:
            try:
                from inspector.logstore.store_source import open_any
                from inspector.recording.server_events import server_events_of
                path = self.recording.path  # a session store folder as well as a recording
                events = await loop.run_in_executor(None, lambda: server_events_of(open_any(path)))
            except (RecordingError, OSError) as exc:
                self.error.emit(f"cannot replay {name} into the mock: {exc}")
                return
            if not events:
                self.message.emit(f"{name} holds no server events to replay")
                return
            panel = self.mock_panel
            assert panel is not None  # start_mock_replay runs this only with a mock panel
            try:
                url = panel.start_server()
            except OSError:
                return  # the mock panel has said why
            thread = panel.server_thread
            assert thread is not None  # start_server just set it, on this thread
            done: concurrent.futures.Future[int] = concurrent.futures.Future()

            # on the mock's loop; a tuple, so ``call`` does not await the task
            def begin() -> tuple[asyncio.Task[None]]:
                return (asyncio.ensure_future(_play_into(thread.server, events, speed, done)),)
            (task,) = await loop.run_in_executor(None, thread.call, begin)

            def stop_replay() -> None:
                with contextlib.suppress(RuntimeError):  # the mock stopped meanwhile, and its replay with it
                    thread.call(task.cancel)
            self._mock_stop = stop_replay
            self.message.emit(f"{name}: playing {len(events):,} server events into the mock at {url} "
                              "once a client subscribes")
            try:
                delivered = await asyncio.wrap_future(done)
            except asyncio.CancelledError:
                stop, self._mock_stop = self._mock_stop, None
                await loop.run_in_executor(None, stop)
                self.message.emit(f"{name}: mock replay stopped")
                raise
            self.message.emit(f"{name}: mock replay finished, {delivered:,} event deliveries")
            self.mock_replay_finished.emit(delivered)
        finally:
            self._mock_stop = None
            self.mock_button.setText("Play into mock")

    # ------------------------------------------------------------ closing

    async def close_document(self) -> None:
        """Stop playback and any mock replay, and wait for the replay to end."""
        self.replay.pause()
        task = self._mock_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=5)
