"""The live log's rows, written to a session store as they enter the log.

``LiveSession.attach`` makes a ``FrameStore`` hand each batch it takes (its new columns,
as ``FrameStore._put`` has them) to ``put``: whole batches, no Python per row. The session
folder and its writer are made at the first batch, so pyarrow is loaded only then. The
owner calls ``tick`` from a timer while ``pending`` (``on_pending`` says when to start it)
and ``close`` when the session ends.

The file writes themselves, nearly all of the cost, are done by a thread of their own
(``sink_thread``) unless ``threaded`` is False.

A writer that fails (a full disk, an unwritable folder) is reported once through
``on_error``; the log carries on in memory and later batches are dropped from the store.
Clearing the log restarts its label ids; the store's ids never restart, so the session
maps the log's ids onto its own then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.labels import LabelTable
from inspector.redact import redact_url

if TYPE_CHECKING:
    from inspector.logstore.frame_store import FrameStore
    from inspector.logstore.session_store.writer import SessionWriter
    from inspector.logstore.sink_thread import SinkThread

T, CONN, DIRECTION, KIND, TOPIC, SEQ, GAP, FLAGS = 0, 1, 2, 3, 4, 5, 7, 8  # FrameStore._columns order


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
                 writer_options: dict[str, Any] | None = None, threaded: bool = True) -> None:
        self.data_dir = Path(data_dir)
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
    def pending(self) -> bool:
        """Rows handed over and not yet written (a ``tick`` will write them in time)."""
        w = self._writer
        return w is not None and not w.error and w.rows_written + w.rows_dropped < self.rows_put

    def put(self, columns: Sequence[Any], data: Sequence[bytes], conns: list[str], topics: list[str]) -> None:
        """A batch of the log's rows: its columns in ``FrameStore`` order, the rows' bytes,
        and the log's label lists the conn and topic columns index."""
        if self.error or not len(data):
            return
        writer = self._writer or self._open()
        if writer is None:
            return
        from inspector.logstore.session_store.schema import Rows
        self._conns.follow(conns)
        self._topics.follow(topics)
        was_pending = self.pending
        self.rows_put += len(data)
        writer.append(Rows(t=columns[T], conn=self._conns.apply(columns[CONN]), direction=columns[DIRECTION],
                           kind=columns[KIND], topic=self._topics.apply(columns[TOPIC]), seq=columns[SEQ],
                           flags=columns[FLAGS], data=data, gap=columns[GAP]),
                      self._conns.table.names, self._topics.table.names)
        self._check()
        if not was_pending and self.pending:
            self._on_pending()

    def mark(self, **changes: Any) -> None:
        """Change the session's ``session.json`` (``kept``, ``name``): now, or once it exists."""
        self._marks.update(changes)
        if self.folder is not None:
            from inspector.logstore.session_store.layout import update_meta
            update_meta(self.folder, **changes)

    @property
    def kept(self) -> bool:
        return self._marks.get("kept") is True

    def tick(self) -> None:
        if self._writer is not None:
            self._writer.tick()
            self._check()

    def drain(self) -> None:
        """Wait until the bytes handed to the files are in them (the writes' thread is idle)."""
        if self._sink_thread is not None:
            self._sink_thread.wait_for(lambda: None)

    def close(self) -> None:
        """Write what is left and close the session (it may be pruned from now on)."""
        if self._writer is not None:
            self._writer.close()
        if self._sink_thread is not None:
            self._sink_thread.stop()
        self._check()

    def _open(self) -> SessionWriter | None:
        from inspector.logstore.session_store.layout import create_session, update_meta
        from inspector.logstore.session_store.writer import SessionWriter, open_sink
        from inspector.logstore.sink_thread import SinkThread
        options = dict(self._writer_options)
        if self._threaded:
            self._sink_thread = SinkThread()
            options["opener"] = self._sink_thread.opener(options.get("opener", open_sink))
        try:
            self.folder = create_session(self.data_dir, **self._meta)
            if self._marks:
                update_meta(self.folder, **self._marks)
            self._writer = SessionWriter(self.folder, **options)
        except (OSError, StoreError) as exc:
            if self._sink_thread is not None:
                self._sink_thread.stop()
                self._sink_thread = None
            self._fail(str(exc) if isinstance(exc, StoreError) else
                       f"cannot write the session in {self.data_dir}: {exc.strerror or exc}")
            return None
        return self._writer

    def _check(self) -> None:
        if self.error or self._writer is None:
            return
        failed = self._sink_thread.error if self._sink_thread is not None else None
        if self._writer.error:
            self._fail(self._writer.error + "; the session carries on in memory only")
        elif failed is not None:
            self._fail(f"session store stopped writing: {failed.strerror or failed} ({self.folder}); "
                       "the session carries on in memory only")

    def _fail(self, text: str) -> None:
        self.error = text
        self._on_error(text)
