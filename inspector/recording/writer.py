"""RecordingWriter: append session events to a recording file, crash-safely.

Lines are buffered in memory and reach the file (one write syscall) at least every
``flush_interval`` seconds: on the write that finds the buffer older than that, from
a background flusher thread while writes stop coming, and on flush()/close(). After
a kill -9 every line already handed to the OS is in the file; at most the last
one can be torn, which the reader reports.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from inspector.private_files import open_private
from inspector.protocol.events import SessionEvent
from inspector.recording.format import E_END, RecordingError, dumps, event_line, make_header
from inspector.redact import redact_url

# under the 250 ms a record may wait for the file (bench/bench_flush_latency.py), with room for a late flusher tick
FLUSH_INTERVAL = 0.2


class RecordEncoder:
    """What every writer shares: the header (URL without its token) and record lines with
    connection ids as cached JSON strings. Nothing else is rewritten: what was captured is
    stored exactly."""

    def __init__(self, profile: str = "", url: str = "", created: float | None = None):
        self.header = make_header(profile=profile, url=redact_url(url) if url else "", created=created)
        self.start = self.header["created_epoch"]
        self._conn_json: dict[str, str] = {}

    def conn_json(self, conn: str) -> str:
        js = self._conn_json.get(conn)
        if js is None:
            js = self._conn_json[conn] = json.dumps(str(conn), ensure_ascii=True)
        return js

    def line(self, ev: SessionEvent) -> str:
        """The record line of ``ev``; TypeError for what is not a session event."""
        return event_line(ev, self.start, self.conn_json(ev.conn))


class RecordingWriter:
    """Write one recording. Use as a context manager or call close().

    ``url`` is stored without userinfo or token values; everything else is kept exactly.
    The file is created 0600: it holds full payloads.
    Write errors (disk full, ...) raise RecordingError from the next call.
    """

    def __init__(self, path: str | os.PathLike[str], profile: str = "", url: str = "", *,
                 flush_interval: float = FLUSH_INTERVAL,
                 background_flush: bool = True, created: float | None = None):
        self.path = Path(path)
        self._enc = RecordEncoder(profile, url, created)
        self.start = self._enc.start
        self._interval = flush_interval
        self._lock = threading.Lock()
        self._buf: list[str] = []
        self._error: str | None = None
        self._closed = False
        self.records = 0
        self.bytes_written = 0
        try:
            self._file = open_private(self.path, "wb", buffering=0)
        except OSError as exc:
            raise RecordingError(f"cannot create recording {self.path}: {exc.strerror or exc}") from None
        self._buf.append(dumps(self._enc.header) + "\n")
        self._last_flush = time.monotonic()
        self.flush()  # the header is on disk at once, so a crash always leaves a recognisable file
        self._stop = threading.Event()
        self._thread = None
        if background_flush:
            self._thread = threading.Thread(target=self._flusher, name="recording-flusher", daemon=True)
            self._thread.start()

    # --------------------------------------------------------------- writing

    def write_event(self, ev: SessionEvent) -> None:
        """Append one session event (a frame or a connection event)."""
        if self._error:
            raise RecordingError(self._error)
        if self._closed:
            raise RecordingError(f"recording {self.path} is closed")
        line = self._enc.line(ev)
        with self._lock:
            self._buf.append(line)
            self.records += 1
        if time.monotonic() - self._last_flush >= self._interval:
            self.flush()

    write = write_event

    def flush(self) -> None:
        """Hand every buffered line to the OS now."""
        with self._lock:
            self._flush_locked()
        if self._error:
            raise RecordingError(self._error)

    def _flush_locked(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buf or self._error:
            return
        data = "".join(self._buf).encode("ascii")
        self._buf.clear()
        try:
            view = memoryview(data)
            while view:  # a raw write may be partial
                n = self._file.write(view)
                view = view[n:]
            self.bytes_written += len(data)
        except (OSError, ValueError) as exc:
            self._error = f"cannot write recording {self.path}: {getattr(exc, 'strerror', None) or exc}"

    def _flusher(self) -> None:
        while not self._stop.wait(self._interval / 2):
            if time.monotonic() - self._last_flush >= self._interval:
                with self._lock:
                    if not self._closed:
                        self._flush_locked()

    @property
    def size(self) -> int:
        """Bytes in the file, including what is still buffered (for a recording indicator)."""
        with self._lock:
            return self.bytes_written + sum(len(line) for line in self._buf)

    @property
    def error(self) -> str | None:
        return self._error

    # --------------------------------------------------------------- closing

    def close(self) -> None:
        """Write the end marker, flush, fsync and close. Safe to call twice."""
        if self._closed:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if not self._error:
                end = {"t": round(time.time() - self.start, 6), "w": time.time(), "c": "", "e": E_END,
                       "records": self.records}
                self._buf.append(dumps(end) + "\n")
                self._flush_locked()
            self._closed = True
            try:
                if not self._error:
                    os.fsync(self._file.fileno())
            except OSError:
                pass
            self._file.close()
        if self._error:
            raise RecordingError(self._error)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RecordingWriter({str(self.path)!r}, records={self.records})"
