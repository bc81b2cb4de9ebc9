"""The live log's rows, written to a session store as they enter the log.

``LiveSession.attach`` makes a ``FrameStore`` hand each batch it takes (its new columns,
as ``FrameStore._put`` has them) to ``put``: whole batches, no Python per row. The session
folder and its writer are made at the first batch, on the writes' thread, which loads
pyarrow there: the caller's thread (the GUI's) goes on meanwhile, its batches waiting in
memory (up to ``early_limit`` bytes, then ``put`` waits) until a later ``put`` or ``tick``
hands them to the writer. The owner calls ``tick`` from a timer while ``pending``
(``on_pending`` says when to start it) and ``close`` when the session ends (once; again
does nothing).

The file writes themselves, nearly all of the cost, are done by a thread of their own
(``sink_thread``) unless ``threaded`` is False. Its queue is bounded by bytes: when the disk
falls behind, ``put`` waits for it (ingest goes at the disk's speed, no row is dropped and
the memory held stays bounded); a failed write ends every wait.

A writer that fails (a full disk, an unwritable folder) is reported once through
``on_error`` (on the caller's thread, at a ``put``, ``tick``, ``flush`` or ``close``); the log
carries on in memory and later batches are dropped from the store.
Clearing the log restarts its label ids; the store's ids never restart, so the session
maps the log's ids onto its own then.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.labels import LabelTable
from inspector.redact import redact_url

if TYPE_CHECKING:
    from inspector.logstore.frame_store import FrameStore
    from inspector.logstore.session_store.kept_spans import KeptSpans
    from inspector.logstore.session_store.writer import SessionWriter
    from inspector.logstore.sink_thread import SinkThread

# rows that may wait in memory while the writer is made (as many as the writes' queue holds)
EARLY_LIMIT = 32 * 1024 * 1024
T, CONN, DIRECTION, KIND, TOPIC, SEQ, SIZE, GAP, FLAGS = 0, 1, 2, 3, 4, 5, 6, 7, 8  # FrameStore._columns order


class _IdMap:
    """The log's label ids -> the session's, following one list of the log's names."""

    def __init__(self, table: LabelTable) -> None:
        self.table = table
        self.source: list[str] | None = None
        self.ids = np.zeros(0, np.int64)
        self.identity = True  # the log's ids are the session's: no mapping needed

    def follow(self, names: list[str]) -> None:
        if names is not self.source:  # the log was cleared: its ids start again
            self.source = names
            self.ids = np.zeros(0, np.int64)
        known = len(self.ids)
        if len(names) > known:
            new = [self.table.intern(name) for name in names[known:]]
            self.ids = np.concatenate([self.ids, np.asarray(new, np.int64)])
            self.identity = self.identity and new == list(range(known, len(names)))

    def apply(self, column: Any) -> Any:
        return column if self.identity else self.ids[np.asarray(column)]


class LiveSession:
    def __init__(self, data_dir: str | os.PathLike[str], *, on_error: Callable[[str], None],
                 on_pending: Callable[[], None] = lambda: None, profile: str = "", url: str = "",
                 writer_options: dict[str, Any] | None = None, threaded: bool = True,
                 folder: str | os.PathLike[str] | None = None,
                 carry_on: str = "the session carries on in memory only",
                 early_limit: int = EARLY_LIMIT, queue_bytes: int | None = None,
                 open_at_tick: bool = False) -> None:
        """``folder``: a session folder made already (``layout.create_session_at``) to write
        instead of a new one in ``data_dir``'s sessions. ``carry_on`` ends a failure's line:
        what goes on without the store. ``early_limit``: bytes of rows that may wait while the
        writer is being made (beyond it ``put`` waits for the writer); ``queue_bytes``: the bound
        of the writes' queue (``sink_thread.MAX_QUEUED_BYTES`` by default). ``open_at_tick``: the
        first ``tick`` (or ``flush``, ``close``...) starts making the writer, not the first batch:
        pyarrow then loads after the caller has shown its first rows, not beside them."""
        self._carry_on = carry_on
        self.data_dir = Path(data_dir)
        self._given = None if folder is None else Path(folder)
        self.folder: Path | None = None
        self.error = ""
        self.rows_put = 0
        self._on_error = on_error
        self._on_pending = on_pending
        self._meta: dict[str, Any] = {"profile": profile, "url": redact_url(url)}
        self._marks: dict[str, Any] = {}
        self._writer_options = writer_options or {}
        self._writer: SessionWriter | None = None
        self._threaded = threaded
        self._sink_thread: SinkThread | None = None
        self._spans: KeptSpans | None = None
        self._closed = False
        # made off this thread (``_start_open``); the batches that come meanwhile wait in ``_early``
        self._opening: threading.Event | None = None
        self._made: tuple[Path, SessionWriter] | OSError | StoreError | None = None
        self._early: list[tuple[Any, ...]] = []
        self._early_bytes = 0
        self._early_limit = early_limit
        self._queue_bytes = queue_bytes
        self._open_at_tick = open_at_tick
        self._conns = _IdMap(LabelTable())
        self._topics = _IdMap(LabelTable())

    def attach(self, store: FrameStore) -> None:
        store.row_sink = self.put

    @staticmethod
    def detach(store: FrameStore) -> None:
        store.row_sink = None

    @property
    def writer(self) -> SessionWriter | None:
        return self._writer

    @property
    def waiting_bytes(self) -> int:
        """Bytes of rows held here while the writer is being made."""
        return self._early_bytes

    @property
    def writes(self) -> SinkThread | None:
        """The thread doing the file writes (None: not started, or not threaded)."""
        return self._sink_thread

    @property
    def pending(self) -> bool:
        """Rows handed over and not yet in the files (a ``tick`` writes them in time, and sees
        a write the writes' thread failed)."""
        if self.error:
            return False
        w = self._writer
        if w is None:
            return bool(self._early)
        writes = self._sink_thread
        unseen = writes is not None and (writes.queued_bytes > 0 or writes.error is not None)
        return not w.error and (w.rows_written + w.rows_dropped < self.rows_put or unseen)

    def put(self, columns: Sequence[Any], data: Sequence[bytes], conns: list[str], topics: list[str]) -> None:
        """A batch of the log's rows: its columns in ``FrameStore`` order, the rows' bytes,
        and the log's label lists the conn and topic columns index. The columns and the sequence
        of bytes are kept as they are until written (the caller does not change them)."""
        if self.error or self._closed or not len(data):
            return
        self._conns.follow(conns)
        self._topics.follow(topics)
        was_pending = self.pending
        self.rows_put += len(data)
        batch = (columns[T], self._conns.apply(columns[CONN]), columns[DIRECTION], columns[KIND],
                 self._topics.apply(columns[TOPIC]), columns[SEQ], columns[FLAGS], data, columns[GAP], columns[SIZE])
        if self._writer is None:  # the writer is being made (off this thread): the batch waits for it
            self._early.append(batch)
            self._early_bytes += int(np.sum(columns[SIZE]))
            over = self._early_bytes > self._early_limit
            if over or not self._open_at_tick or self._opening is not None:
                self._start_open()
                self._adopt(wait=over)
        else:
            self._append(batch)
        self._check()
        if not was_pending and self.pending:
            self._on_pending()

    def _append(self, batch: tuple[Any, ...]) -> None:
        from inspector.logstore.session_store.schema import Rows  # pyarrow: loaded by now (the writer is made)
        assert self._writer is not None
        t, conn, direction, kind, topic, seq, flags, data, gap, size = batch
        self._writer.append(Rows(t=t, conn=conn, direction=direction, kind=kind, topic=topic, seq=seq, flags=flags,
                                 data=data, gap=gap, size=size), self._conns.table.names, self._topics.table.names)

    def mark(self, **changes: Any) -> None:
        """Change the session's ``session.json`` (``kept``, ``kept_spans``, ``name``): now, or once it exists."""
        self._marks.update(changes)
        if self.folder is not None:
            from inspector.logstore.session_store.layout import update_meta
            update_meta(self.folder, **changes)

    @property
    def kept(self) -> bool:
        """Kept whole (``kept``) or in part (a kept span)."""
        return self._marks.get("kept") is True or self.has_spans

    @property
    def spans(self) -> KeptSpans:
        if self._spans is None:  # made on first use: the bookkeeping is not needed before the window paints
            from inspector.logstore.session_store.kept_spans import KeptSpans
            self._spans = KeptSpans()
        return self._spans

    @property
    def has_spans(self) -> bool:
        """Any span kept (or being kept), without making the bookkeeping."""
        return self._spans is not None and bool(self._spans.spans)

    def _mark_spans(self) -> None:
        from inspector.logstore.session_store.kept_spans import META_KEY
        self.mark(**{META_KEY: self.spans.to_meta()})

    def keep_from(self, first: int | None = None) -> None:
        """Keep the rows from session row ``first`` on (default: the next row to arrive) until
        ``keep_until_now``; ``session.json`` says so at once (``kept_spans``)."""
        self.spans.start(self.rows_put + 1 if first is None else first)
        self._mark_spans()

    def keep_until_now(self) -> None:
        """End the span being kept at the last row handed over."""
        if self.spans.keeping:
            self.spans.stop(self.rows_put)
            self._mark_spans()

    def session_number(self, log_number: int, log_end: int) -> int:
        """The session row of the log's frame ``log_number``, the log's next number being ``log_end``:
        every row the log took reached the session, the newest last (a cleared log numbers from 1 again)."""
        return self.rows_put - (log_end - 1) + log_number

    def flush(self) -> None:
        """Every row handed over written to the files now."""
        self._adopt(wait=True)
        if self._writer is not None:
            self._writer.flush()
            self.drain()
            self._check()

    def tick(self) -> None:
        self._adopt(wait=False)
        if self._writer is not None:
            self._writer.tick()
            self._check()

    def drain(self) -> None:
        """Wait until the bytes handed to the files are in them (the writes' thread is idle)."""
        self._adopt(wait=True)
        if self._sink_thread is not None:
            self._sink_thread.wait_for(lambda: None)

    def close(self) -> None:
        """Write what is left and close the session (it may be pruned from now on). Again: nothing."""
        if self._closed:
            return
        self.keep_until_now()
        self._adopt(wait=True)
        self._closed = True
        if self._writer is not None:
            self._writer.flush()
            self.drain()
            self._check()  # a write the thread failed: the writer cuts its files back while it can
            self._writer.close()
        if self._sink_thread is not None:
            self._sink_thread.stop()
        self._check()

    def open(self) -> SessionWriter | None:
        """Make the session's folder and writer now (the first batch starts it otherwise) and
        wait for them; None when that failed (``on_error`` has said why)."""
        if not self._closed:
            self._start_open()
            self._adopt(wait=True)
        return self._writer

    def _start_open(self) -> None:
        """Start making the folder and the writer: on the writes' thread, which loads pyarrow
        there, so the caller's thread (the GUI's) never waits for it; here when not threaded."""
        if self._opening is not None or self._writer is not None or self.error:
            return
        self._opening = threading.Event()
        if not self._threaded:
            self._make_writer(None)
            return
        from inspector.logstore.sink_thread import SinkThread
        self._sink_thread = thread = SinkThread() if self._queue_bytes is None else \
            SinkThread(max_bytes=self._queue_bytes)
        thread.post(lambda: self._make_writer(thread))

    def _make_writer(self, thread: SinkThread | None) -> None:
        assert self._opening is not None
        try:
            from inspector.logstore.session_store.layout import create_session
            from inspector.logstore.session_store.writer import SessionWriter, open_sink
            options = dict(self._writer_options)
            if thread is not None:
                options["opener"] = thread.opener(options.get("opener", open_sink))
            folder = self._given or create_session(self.data_dir, **self._meta)
            self._made = (folder, SessionWriter(folder, **options))
        except (OSError, StoreError) as exc:
            self._made = exc
        finally:
            self._opening.set()

    def _adopt(self, *, wait: bool) -> None:
        """Take the writer once it is made (``wait``: wait for it) and hand it the rows that
        came meanwhile; a failure is reported as the writer's own would be."""
        if self._opening is None and self._early and not self.error:  # held back (``open_at_tick``)
            self._start_open()
        opening = self._opening
        if self._writer is not None or opening is None or self.error:
            return
        if not (opening.wait() if wait else opening.is_set()):
            return
        made = self._made
        if isinstance(made, BaseException):
            if self._sink_thread is not None:
                self._sink_thread.stop()
                self._sink_thread = None
            self._early.clear()
            self._fail(str(made) if isinstance(made, StoreError) else
                       f"cannot write the session in {self._given or self.data_dir}: {made.strerror or made}")
            return
        assert made is not None
        self.folder, self._writer = made
        if self._marks:
            from inspector.logstore.session_store.layout import update_meta
            update_meta(self.folder, **self._marks)
        early, self._early, self._early_bytes = self._early, [], 0
        for batch in early:
            self._append(batch)

    def _check(self) -> None:
        if self.error or self._writer is None:
            return
        failed = self._sink_thread.error if self._sink_thread is not None else None
        if failed is not None:
            self._writer.abandon(failed)  # the writer cuts its files back to the last whole block
        if self._writer.error:
            self._fail(f"{self._writer.error}; {self._carry_on}")

    def _fail(self, text: str) -> None:
        self.error = text
        self._on_error(text)
