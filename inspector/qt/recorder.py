"""Record live connections to a file, with a status-bar indicator.

The recorder adds the writer's ``tap`` (a bare ``list.extend``) to each client,
because formatting a record in this process costs about as much as ingesting the
frame (a flood's rate fell by two thirds). A ProcessRecordingWriter formats and
writes them in a child process within about 50 ms. Recording "all" also takes
connections opened while it runs. A write error (disk full, sink gone) stops the recording and is reported
once, from the indicator's timer; it never reaches the client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from inspector.recording import RecordingError
from inspector.recording.format import SUFFIX
from inspector.recording.process_writer import ProcessRecordingWriter

INDICATOR_MS = 500  # ≈ 2 Hz


def default_directory() -> Path:
    return Path(platformdirs.user_data_dir("realtime-inspector")) / "recordings"


def timestamped_name(scope: str | None, now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return f"recording-{stamp}-{scope or 'all'}{SUFFIX}"


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} B"


@dataclass
class Source:
    """One connection to record: its id, its client (for listening), URL and profile."""

    conn_id: str
    client: object
    url: str = ""
    profile: str = ""
    secrets: tuple[str, ...] = ()


class Recorder(QObject):
    started = Signal(str)    # path
    stopped = Signal(str)    # path
    failed = Signal(str)     # one-line error

    def __init__(self, directory: Path | None = None, parent: QObject | None = None,
                 indicator_ms: int = INDICATOR_MS):
        super().__init__(parent)
        self.directory = Path(directory) if directory is not None else default_directory()
        self.writer: ProcessRecordingWriter | None = None
        self.scope: str | None = None  # None: every connection
        self._frames_done = 0  # frames of the last recording, once stopped
        self._clients: list[object] = []
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
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / timestamped_name(scope)
        first = sources[0] if sources else Source("", None)
        secrets = tuple(s for src in sources for s in src.secrets)
        self.writer = ProcessRecordingWriter(path, profile=first.profile, url=first.url, secrets=secrets)
        self.scope = scope
        for src in sources:
            self.attach(src)
        self._timer.start()
        self.update_indicator()
        self.indicator.show()
        self.started.emit(str(self.writer.path))
        return self.writer.path

    def attach(self, src: Source) -> None:
        """Listen to one more client (a connection opened while recording everything)."""
        if self.writer is None or src.client in self._clients:
            return
        if self.scope is not None and src.conn_id != self.scope:
            return
        self._clients.append(src.client)
        src.client.add_tap(self.writer.tap)

    def stop(self, report: bool = True) -> Path | None:
        """Stop listening, close the file (end marker, fsync); returns its path."""
        writer, self.writer = self.writer, None
        if writer is None:
            return None
        for client in self._clients:
            client.remove_tap(writer.tap)
        self._clients.clear()
        self._timer.stop()
        self.indicator.hide()
        try:
            writer.close()
        except RecordingError as exc:
            if report:
                self.failed.emit(str(exc))
        self._frames_done = writer.frames
        self.stopped.emit(str(writer.path))
        return writer.path

    @property
    def frames(self) -> int:
        """Frames recorded so far (handed to the writer's process), or in the last recording."""
        return self.writer.frames if self.writer is not None else self._frames_done

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
