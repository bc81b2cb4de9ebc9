"""Record live connections to a file, with a status-bar indicator.

Formatting a record in this process would cost about as much as ingesting the frame
(a flood's rate fell by two thirds), so a ProcessRecordingWriter formats and writes
in a child process. In the app the recorder takes frames from the log panel: each
flush (≈ 25 Hz) hands it the batch the store just took, and it passes the store's
new columns on as they are, with no Python per frame at all. Connection events come
from each tab (never a frame) and are placed among the frames by where the log's
pending batch stood when they happened, so the file keeps the order they were seen
in. Without a log panel (tests, tools) it taps the clients instead (``add_tap``).
Recording "all" also takes connections opened while it runs. A write error (disk
full, sink gone) stops the recording and is reported once, from the indicator's
timer; it never reaches the client.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from inspector.logstore import disk_budget
from inspector.logstore.frame_store import KIND_TEXT
from inspector.private_files import make_private_dir
from inspector.profiles import default_data_dir
from inspector.recording import RecordingError
from inspector.recording.format import SUFFIX

if TYPE_CHECKING:
    from inspector.client.engine import RealtimeClient
    from inspector.logstore.frame_store import TailColumns
    from inspector.protocol.events import FrameSeen, SessionEvent
    from inspector.qt.log.panel import LogPanel
    from inspector.qt.session.connection_tab import ConnectionTab
    from inspector.recording.process_writer import ProcessRecordingWriter

INDICATOR_MS = 500  # ≈ 2 Hz


def default_directory() -> Path:
    return default_data_dir() / "recordings"


def timestamped_name(scope: str | None, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return f"recording-{stamp}-{scope or 'all'}{SUFFIX}"


def human_size(n: float) -> str:
    return disk_budget.human_size(n, 1000)


@dataclass
class Source:
    """One connection to record: its id, its client, URL and profile, and its tab in the
    window (events come from the tab, frames from the log) if it has one."""

    conn_id: str
    client: RealtimeClient
    url: str = ""
    profile: str = ""
    tab: ConnectionTab | None = None


def _close(writer: ProcessRecordingWriter) -> str | None:
    """Close a writer; its error as one line, if any."""
    try:
        writer.close()
    except RecordingError as exc:
        return str(exc)
    return None


def _one_or_all(flags: np.ndarray) -> tuple[bool] | np.ndarray:
    """A bool column as the writer takes it: a 1-tuple when every row has the same value."""
    if flags.all():
        return (True,)
    return flags if flags.any() else (False,)


class Recorder(QObject):
    started = Signal(str)    # path
    stopped = Signal(str)    # path, once the file is complete
    failed = Signal(str)     # one-line error
    _closed = Signal(object, object, bool)  # from a closing thread: writer, error or None, report

    def __init__(self, directory: Path | None = None, parent: QObject | None = None,
                 indicator_ms: int = INDICATOR_MS, log_panel: LogPanel | None = None) -> None:
        super().__init__(parent)
        self.directory = Path(directory) if directory is not None else default_directory()
        self.log_panel = log_panel
        self.writer: ProcessRecordingWriter | None = None
        self.scope: str | None = None  # None: every connection
        self.last_frames = 0  # frames of the last recording, once its file is complete
        self._sources: list[Source] = []
        self._logged: set[str] = set()  # conn ids whose frames come from the log panel
        self._held: list[tuple[int, SessionEvent]] = []  # (pending frames before it, event) until the next flush
        self._skip = 0  # frames pending in the log when recording started: not ours
        self.flush_cpu = 0.0  # CPU seconds spent handing over flushed batches (benchmarks report it)
        self._closers: list[threading.Thread] = []
        self._closed.connect(self._finished)  # queued: the slot runs in this object's thread
        self.indicator = QLabel()
        self.indicator.setObjectName("recordingIndicator")
        self.indicator.setStyleSheet("color: #dc2626; font-weight: bold")
        self.indicator.hide()
        self._timer = QTimer(self)
        self._timer.setInterval(indicator_ms)
        self._timer.timeout.connect(self.update_indicator)

    @property
    def active(self) -> bool:
        return self.writer is not None

    @property
    def path(self) -> Path | None:
        return self.writer.path if self.writer is not None else None

    # ------------------------------------------------------------ start and stop

    def start(self, sources: list[Source], scope: str | None = None, path: str | Path | None = None) -> Path:
        """Record ``sources`` (for scope None, later ones come through ``attach``). RecordingError on failure."""
        if self.writer is not None:
            raise RecordingError(f"already recording to {self.writer.path.name}")
        if path is None:
            if self.directory == default_directory():
                make_private_dir(self.directory.parent)  # the app's data folder is ours too
            make_private_dir(self.directory)
            path = self.directory / timestamped_name(scope)
        profile, url = (sources[0].profile, sources[0].url) if sources else ("", "")
        from inspector.recording.process_writer import ProcessRecordingWriter  # loads with the first recording
        self.writer = ProcessRecordingWriter(path, profile=profile, url=url)
        self.scope = scope
        if self.log_panel is not None:
            self._skip = self.log_panel.pending_count
            self._held = []
            self.log_panel.add_flush_hook(self._on_flush)
        for src in sources:
            self.attach(src)
        self._timer.start()
        self.update_indicator()
        self.indicator.show()
        self.started.emit(str(self.writer.path))
        return self.writer.path

    def attach(self, src: Source) -> None:
        """Record one more connection (one opened while recording everything)."""
        if self.writer is None or any(s.client is src.client for s in self._sources):
            return
        if self.scope is not None and src.conn_id != self.scope:
            return
        self._sources.append(src)
        if self.log_panel is not None and src.tab is not None:
            self._logged.add(src.conn_id)
            src.tab.add_event_sink(self._on_event)
        else:
            src.client.add_tap(self.writer.tap)

    def stop(self, report: bool = True, wait: bool = True) -> Path | None:
        """Stop recording and close the file (the rest, end marker, fsync); returns its path.

        Nothing is recorded after this returns. ``wait`` False: the file is finished in a
        thread and ``stopped`` (or ``failed``) is emitted, in this thread, once it is complete."""
        if self.writer is None:
            return None
        if self.log_panel is not None:
            if self.log_panel.pending_count:
                self.log_panel.flush()  # what came in before Stop is recorded
            self.log_panel.remove_flush_hook(self._on_flush)
        writer, self.writer = self.writer, None
        for src in self._sources:
            if src.conn_id in self._logged and src.tab is not None:
                src.tab.remove_event_sink(self._on_event)
            else:
                src.client.remove_tap(writer.tap)
        self._sources.clear()
        self._logged.clear()
        self._held = []
        self._timer.stop()
        self.indicator.hide()
        if wait:
            self._finished(writer, _close(writer), report)
        else:  # the sink may still be writing a backlog: never make the window wait for it
            def close() -> None:
                self._closed.emit(writer, _close(writer), report)
            thread = threading.Thread(target=close, name="recording-close", daemon=True)
            self._closers = [t for t in self._closers if t.is_alive()] + [thread]
            thread.start()
        return writer.path

    def _finished(self, writer: ProcessRecordingWriter, error: str | None, report: bool) -> None:
        if error and report:
            self.failed.emit(error)
        self.last_frames = writer.frames
        self.stopped.emit(str(writer.path))

    def wait_closed(self, timeout: float = 30.0) -> None:
        """Wait for recordings stopped in the background to be complete (before quitting)."""
        for thread in self._closers:
            thread.join(timeout)
        self._closers = []

    # ------------------------------------------------------------ from the log panel

    def _on_event(self, ev: SessionEvent) -> None:
        """A tab's connection event: written now if no frame waits in the log, else after them."""
        if self.writer is None or self.log_panel is None:  # the hooks come only with a log panel
            return
        pending = self.log_panel.pending_count
        if pending <= self._skip and not self._held:
            self._write_event(ev)
        else:
            self._held.append((pending, ev))

    def _write_event(self, ev: SessionEvent) -> None:
        if self.writer is None:
            return
        with contextlib.suppress(RecordingError):  # the indicator's timer reports it and stops
            self.writer.write_event(ev)

    def _on_flush(self, batch: list[FrameSeen], stored: bool) -> None:
        """The log's batch, in the store (``stored``) or about to be dropped; events held for it go
        between its frames where they happened."""
        writer, panel = self.writer, self.log_panel
        if writer is None or panel is None:
            return
        t0 = time.thread_time()
        n = len(batch)  # the oldest n pending frames: events held for later ones wait on
        skip = min(self._skip, n)
        self._skip -= skip
        held = [(pos, ev) for pos, ev in self._held if pos <= n]
        self._held = [(pos - n, ev) for pos, ev in self._held if pos > n]
        cols = (panel.store.tail_columns(len(batch)), panel.store.conns) if stored else None
        try:
            at = skip
            for pos, ev in held:
                if pos > at:
                    self._write_frames(writer, batch, cols, at, pos)
                    at = pos
                writer.write_event(ev)
            if at < len(batch):
                self._write_frames(writer, batch, cols, at, len(batch))
        except RecordingError:
            pass  # the indicator's timer reports it and stops
        self.flush_cpu += time.thread_time() - t0

    def _write_frames(self, writer: ProcessRecordingWriter, batch: list[FrameSeen],
                      cols: tuple[TailColumns, list[str]] | None, a: int, b: int) -> None:
        """Frames a..b of the batch that belong to this recording: as the store's columns, or
        (not stored) one by one."""
        logged = self._logged
        if cols is None:
            for ev in batch[a:b]:
                if ev.conn in logged:
                    writer.write_event(ev)
            return
        (t, conn, direction, kind, datas), labels = cols
        ids = np.frombuffer(conn, np.uint16)[a:b]
        first, last = int(ids.min()), int(ids.max())
        sel = None
        conns: tuple[int, ...] | np.ndarray
        if first == last:  # one connection: the usual flood
            if labels[first] not in logged:
                return
            conns = (first,)
        else:
            ok = np.isin(ids, [i for i, label in enumerate(labels) if label in logged])
            if not ok.all():
                sel = np.flatnonzero(ok)
                if not len(sel):
                    return
                ids = ids[sel]
            conns = ids
        ts = np.frombuffer(t, np.float64)[a:b]
        outs = np.frombuffer(direction, np.int8)[a:b] == 0
        texts = np.frombuffer(kind, np.int16)[a:b] == KIND_TEXT
        datas = datas[a:b]
        if sel is not None:
            ts, outs, texts = ts[sel], outs[sel], texts[sel]
            datas = [datas[i] for i in sel.tolist()]
        writer.write_columns(labels, conns, ts, _one_or_all(outs), _one_or_all(texts), datas)

    @property
    def frames(self) -> int:
        """Frames recorded so far (handed to the writer's process), or in the last recording."""
        return self.writer.frames if self.writer is not None else self.last_frames

    def _fail(self, text: str) -> None:
        path = self.stop(report=False)  # closing fails the same way: say it once
        self.failed.emit(f"recording stopped: {text}" if path is None else f"recording {path.name} stopped: {text}")

    # ------------------------------------------------------------ indicator

    def indicator_text(self) -> str:
        w = self.writer
        if w is None:
            return ""
        who = "all connections" if self.scope is None else self.scope
        return f"● REC {who} · {self.frames:,} frames · {human_size(w.size)}"

    def update_indicator(self) -> None:
        if self.writer is not None and self.writer.error:
            self._fail(self.writer.error)
            return
        self.indicator.setText(self.indicator_text())
        if self.writer is not None:
            self.indicator.setToolTip(f"Recording to {self.writer.path}")
