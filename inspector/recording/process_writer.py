"""ProcessRecordingWriter: record with the formatting done in a child process (sink.py).

The desktop app records while it ingests a flood; formatting each record line in the
app's process would cost as much again as the ingest (see sink.py). Here the hot
path is ``tap``, a bare ``list.extend`` that a client (``add_tap``) hands each
received message as ``(conn, t, data)`` and anything else as ``(None, None, event)``;
a feeder thread every 50 ms slices what came in into columns (no per-frame Python)
and pickles them, and a pipe thread writes the bytes to the sink without the GIL. Data reaches
the file within about 50 ms plus the sink's formatting time; if the app dies, the
sink still writes everything it was handed, then stops at EOF.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import inspector
from inspector.private_files import create_private
from inspector.protocol.events import OUT, FrameSeen, SessionEvent
from inspector.recording.format import E_END, RecordingError, dumps
from inspector.recording.frame_text import Column
from inspector.recording.sink import LENGTH, FramesPart, Part
from inspector.recording.writer import RecordEncoder

FEED_INTERVAL = 0.05

T = TypeVar("T")


def _column(values: list[T], n: int) -> list[T] | tuple[T]:
    first = values[0]
    return (first,) if values.count(first) == n else values


def sink_command() -> list[str]:
    """How to start the sink: this interpreter with the module, or the frozen app's hidden flag."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--recording-sink"]
    return [sys.executable, "-m", "inspector.recording.sink"]


class ProcessRecordingWriter:
    """Write one recording through a sink process; same interface as RecordingWriter.

    ``tap`` is the cheapest way in (for ``RealtimeClient.add_tap``: never raises,
    never blocks); ``write_event`` checks for errors first. Errors (sink gone, disk full)
    show in ``error`` and raise RecordingError from write_event, flush and close.
    """

    def __init__(self, path: str | os.PathLike[str], profile: str = "", url: str = "", *,
                 flush_interval: float = FEED_INTERVAL,
                 created: float | None = None, command: list[str] | None = None):
        self.path = Path(path)
        self._enc = RecordEncoder(profile, url, created)
        self.start = self._enc.start
        self._interval = flush_interval
        try:
            os.close(create_private(self.path))  # create it here, so a bad path fails at once and in one line
        except OSError as exc:
            raise RecordingError(f"cannot create recording {self.path}: {exc.strerror or exc}") from None
        self._items: list[Any] = []  # flat triples: (conn, t, data) of a received message, (None, None, event)
        self.tap = self._items.extend
        self._feed_lock = threading.Lock()
        self._cond = threading.Condition()
        self._handed = 0       # records handed to the sink
        self.frames = 0        # frames among them
        self.bytes_written = 0  # as the sink reports
        self.feed_cpu = 0.0     # CPU seconds the feeder thread spent packing (benchmarks report it)
        self._synced = self._sync_seq = 0
        self._error: str | None = None
        self._closing = self._closed = self._eof = False
        env = dict(os.environ)
        if not getattr(sys, "frozen", False):  # the sink imports this package, wherever it lives
            root = str(Path(inspector.__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen([*(command or sink_command()), str(self.path), repr(self.start)],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except OSError as exc:
            raise RecordingError(f"cannot start the recording process: {exc.strerror or exc}") from None
        assert self._proc.stdin is not None and self._proc.stdout is not None  # both are PIPE
        self._to_sink, self._from_sink = self._proc.stdin, self._proc.stdout
        self._reader = threading.Thread(target=self._read_reports, name="recording-reports", daemon=True)
        self._reader.start()
        with contextlib.suppress(OSError):  # a bigger pipe: fewer wake-ups of the writer thread (Linux; fine without)
            fcntl.fcntl(self._to_sink.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        self._outq: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="recording-pipe", daemon=True)
        self._writer.start()
        self._send([("L", dumps(self._enc.header) + "\n")])
        self._stop = threading.Event()
        self._feeder = threading.Thread(target=self._feed_loop, name="recording-feeder", daemon=True)
        self._feeder.start()

    # --------------------------------------------------------------- writing

    def write_event(self, ev: SessionEvent) -> None:
        """Append one session event (a frame or a connection event)."""
        if self._error:
            raise RecordingError(self._error)
        if self._closing:
            raise RecordingError(f"recording {self.path} is closed")
        self._items.extend((None, None, ev))

    def write_columns(self, labels: list[str], conns: Column, ts: Column, outs: Column, texts: Column,
                      datas: Sequence[bytes]) -> None:
        """Append frames given as columns, in order after everything written or tapped so far.

        ``datas`` the frames' bytes; ``ts`` their wall times (floats: a list, ``array('d')`` or
        numpy array); ``conns`` indices into ``labels`` (the connection ids), ``outs`` and
        ``texts`` bools: each a sequence with a value per frame, or a 1-tuple for all of them.
        The app's recorder hands over what its log store already holds this way: no Python
        per frame on this side; the pickle goes to the sink at once (no feeder wait)."""
        if self._error:
            raise RecordingError(self._error)
        if self._closing:
            raise RecordingError(f"recording {self.path} is closed")
        if not len(datas):
            return
        table = {i: self._enc.conn_json(label) for i, label in enumerate(labels)}
        self._feed([("F", table, conns, ts, outs, texts, datas)], frames=len(datas))

    @property
    def records(self) -> int:
        return self._handed + len(self._items) // 3

    @property
    def sink_pid(self) -> int:
        return self._proc.pid

    @property
    def size(self) -> int:
        return self.bytes_written

    @property
    def error(self) -> str | None:
        return self._error

    def flush(self, timeout: float = 10.0) -> None:
        """Hand everything so far to the sink and wait until it is in the file."""
        with self._cond:
            self._sync_seq += 1
            seq = self._sync_seq
        self._feed([("S", seq)])
        with self._cond:
            self._cond.wait_for(lambda: self._synced >= seq or self._error or self._eof, timeout)
        if self._error:
            raise RecordingError(self._error)

    # --------------------------------------------------------------- feeding the sink

    def _part(self, conns: Sequence[str], ts: list[float], outs: Sequence[bool], texts: Sequence[bool],
              datas: list[bytes]) -> FramesPart:
        # columns; one that holds a single value (one connection, one direction) goes as a 1-tuple
        self.frames += len(ts)
        return ("F", {c: self._enc.conn_json(c) for c in set(conns)}, conns, ts, outs, texts, datas)

    def _frames_part(self, seg: Sequence[FrameSeen]) -> FramesPart:
        # list comprehensions, not map(attrgetter): on slotted events they cost half as much
        n = len(seg)
        dirs = _column([e.direction for e in seg], n)
        return self._part(_column([e.conn for e in seg], n), [e.t for e in seg],
                          (dirs[0] == OUT,) if len(dirs) == 1 else [d == OUT for d in dirs],
                          _column([e.text for e in seg], n), [e.data for e in seg])

    def _events_parts(self, batch: list[Any]) -> list[Part]:
        """Parts for a run of SessionEvents (write_event, a tap's other events: whatever it was given)."""
        types = list(map(type, batch))
        if types.count(FrameSeen) == len(batch):
            return [self._frames_part(batch)]
        parts: list[Part] = []
        run = 0
        for i, kind in enumerate(types):
            if kind is FrameSeen:
                continue
            if i > run:
                parts.append(self._frames_part(batch[run:i]))
            # not a session event: nothing to record (raising would end the feeder thread)
            with contextlib.suppress(TypeError, AttributeError):
                parts.append(("L", self._enc.line(batch[i])))
            run = i + 1
        if run < len(batch):
            parts.append(self._frames_part(batch[run:]))
        return parts

    def _pack(self, items: list[Any]) -> list[Part]:
        """Parts, in order, for flat triples (see ``_items``): runs of what a tap gave (binary
        messages received) as columns as they are, and the events between them."""
        conns, ts, datas = items[0::3], items[1::3], items[2::3]
        first, n = conns[0], len(conns)
        if first is not None and conns.count(first) == n:  # a flood on one connection; count compares
            return [self._part((first,), ts, (False,), (False,), datas)]  # identity first: fast
        parts: list[Part] = []
        i = 0
        while i < n:
            try:
                j = conns.index(None, i)
            except ValueError:
                j = n
            if j > i:
                parts.append(self._part(_column(conns[i:j], j - i), ts[i:j], (False,), (False,), datas[i:j]))
            k = j
            while k < n and conns[k] is None:
                k += 1
            if k > j:
                parts.extend(self._events_parts(datas[j:k]))
            i = k
        return parts

    def _feed(self, extra: list[Part] | None = None, frames: int = 0) -> None:
        """Hand over what was tapped so far, then ``extra`` parts (holding ``frames`` frames)."""
        with self._feed_lock:
            m = len(self._items)  # whole triples: a tap's extend is one step under the GIL
            if not m and not extra:
                return
            items = self._items[:m]
            del self._items[:m]  # what came meanwhile stays
            parts = self._pack(items) if m else []
            del items  # the events die now, not after a slow write
            self._handed += m // 3 + frames
            self.frames += frames
            self._send(parts + (extra or []))

    def _send(self, parts: list[Part]) -> None:
        """Pickle ``parts`` and queue them for the pipe writer thread (never blocks on the sink)."""
        if self._error or not parts:
            return
        buf = io.BytesIO()
        buf.write(bytes(LENGTH.size))
        pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: half the cost, and these lists hold no cycles
        pickler.dump(parts)
        data = buf.getbuffer()
        LENGTH.pack_into(data, 0, len(data) - LENGTH.size)
        self._outq.put(data)

    def _write_loop(self) -> None:
        fd = self._to_sink.fileno()
        while True:
            data = self._outq.get()
            if data is None:
                return
            try:
                view = memoryview(data)
                while view:  # one syscall per pipe-full, without the GIL
                    view = view[os.write(fd, view):]
            except OSError:
                self._fail_soon("the recording process ended unexpectedly")
                return

    def _fail_soon(self, text: str) -> None:
        # the sink's own "e ..." report says more; give it a moment to arrive
        with self._cond:
            self._cond.wait_for(lambda: self._error or self._eof, 2.0)
            if not self._error:
                self._error = f"{text} ({self.path})"
            self._cond.notify_all()

    def _feed_loop(self) -> None:
        while not self._stop.wait(self._interval):
            t = time.thread_time()
            self._feed()
            self.feed_cpu += time.thread_time() - t
            if self._error:
                return

    def _read_reports(self) -> None:
        for raw in self._from_sink:
            kind, _, rest = raw.decode("ascii", "replace").strip().partition(" ")
            with self._cond:
                if kind == "w":
                    self.bytes_written = int(rest.split()[0])
                elif kind == "s":
                    self._synced = int(rest)
                elif kind == "e" and not self._error:
                    self._error = rest
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            if not self._closing and not self._error:
                self._error = f"the recording process ended unexpectedly ({self.path})"
            self._cond.notify_all()

    # --------------------------------------------------------------- closing

    def close(self, timeout: float = 30.0) -> None:
        """Hand over the rest and the end marker; the sink writes, fsyncs and exits. Safe twice."""
        if self._closed:
            return
        self._closing = True
        self._stop.set()
        self._feeder.join()
        records = self.records
        end = {"t": round(time.time() - self.start, 6), "w": time.time(), "c": "", "e": E_END, "records": records}
        self._feed([("L", dumps(end) + "\n")])
        self._outq.put(None)
        self._writer.join()
        with contextlib.suppress(OSError):
            self._to_sink.close()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
            self._error = self._error or f"the recording process did not finish ({self.path})"
        self._reader.join(5)
        self._from_sink.close()
        self._closed = True
        if self._error:
            raise RecordingError(self._error)

    def kill(self) -> None:
        """Stop the sink at once (tests, and an app that must quit now)."""
        self._proc.kill()

    def __enter__(self) -> ProcessRecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProcessRecordingWriter({str(self.path)!r}, records={self.records})"
