"""Every row of the log, wherever it is kept: the newest in the ring, the rest in the session store.

``LogRows`` reads like ``FrameStore`` (``first_number``, ``index_of``, ``t(i)``, ``summary(i)``,
``match`` ...; index 0 is the oldest row shown) and is what the log's model, detail pane,
copy and export read. Rows the ring holds whole come from the ring; older ones from the
memory-mapped store (``DiskRows``), read a painted row at a time.

Numbers. Frame numbers are 1-based and never reused. Store row ``r`` is frame number
``r + offset``: ``offset`` is 1 when the log has never been cleared (store row 0 is frame 1).
Clearing the log starts its numbers again at 1 while the store, which keeps the whole
session, goes on counting: the rows from before the clear stay on disk (and in a kept
session) but are no longer part of the log, so ``offset`` becomes 1 minus the rows the store
had then.

Memory. With a live session attached (``attach_live``) the ring is bounded: at most
``RING_ROWS`` rows, of which only the newest ``RING_BYTES`` of frame bytes are held; older
bytes are given up (``FrameStore.evict_data``) once the store has them readable, never
before, so a row is always in one place or the other. ``maintain`` (the owner calls it
from its flush timer) sees the rows written since, and trims. If the store stops writing
(a full disk) the ring goes back to its full size and the log to the ring alone: rows the
store holds stay readable while they join up with the ring's.

An opened session folder is shown from the store alone (``attach_file``), ``limit`` rows of
it (a replay's playhead), with an empty ring.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from inspector.logstore.disk_rows import DiskRows
from inspector.logstore.frame_store import KIND_SESSION, KIND_TEXT, FrameStore, Query
from inspector.protocol.events import SessionEvent

if TYPE_CHECKING:
    from inspector.logstore.live_session import LiveSession
    from inspector.logstore.session_store.reader import SessionReader

RING_ROWS = 262_144           # rows the ring keeps while a store backs it
RING_BYTES = 64 * 1024 * 1024  # frame bytes it keeps of them (the newest)
REFRESH_S = 0.1               # how often ``maintain`` looks for rows written since


class LogRows:
    def __init__(self, ring: FrameStore, clock: Callable[[], float] = time.monotonic) -> None:
        self.ring = ring
        self.disk: DiskRows | None = None
        self.session: LiveSession | None = None
        self.offset = 1                  # the frame number of store row 0
        self.limit: int | None = None    # an opened file: store rows shown (None: all)
        self.ring_rows = RING_ROWS
        self.ring_bytes = RING_BYTES
        self._full_cap = ring.cap
        self._clock = clock
        self._refreshed_at = -REFRESH_S
        self._file_sessions: npt.NDArray[np.int64] = np.empty(0, np.int64)

    # ------------------------------------------------------------ sources

    def attach_live(self, session: LiveSession, ring_rows: int = RING_ROWS, ring_bytes: int = RING_BYTES) -> None:
        """Back the ring with ``session``'s store (attached to the ring already): from now on the
        ring keeps ``ring_rows`` rows and ``ring_bytes`` of their bytes."""
        self.session = session
        self.offset = self.ring.end_number - session.rows_put
        self.ring_rows, self.ring_bytes = ring_rows, ring_bytes
        self._full_cap = self.ring.cap
        self.ring.set_cap(min(self.ring.cap, ring_rows))

    def attach_file(self, reader: SessionReader, session_rows: npt.NDArray[np.int64], limit: int | None = 0) -> None:
        """Show an opened session folder from its store, its first ``limit`` rows (None: all);
        ``session_rows`` are its connection-event rows (ascending), for the frame count."""
        self.disk = DiskRows(reader)
        self.offset = 1
        self.limit = limit
        self._file_sessions = session_rows

    @property
    def backed(self) -> bool:
        """A live session's store keeps the rows the ring gives up."""
        return self.session is not None and not self.session.error

    def clear(self) -> None:
        """After the ring was cleared: numbers start again at 1 (the store's rows stay on disk)."""
        if self.session is not None:
            self.offset = 1 - self.session.rows_put
        elif self.disk is not None:
            self.limit = 0

    def maintain(self, now: bool = False) -> bool:
        """See the store's newest rows and bound the ring (every ``REFRESH_S`` at most, unless
        ``now``). True when rows became readable from the store (rows shown blank meanwhile can
        be painted)."""
        session = self.session
        if session is None:
            return False
        at = self._clock()
        if not now and at - self._refreshed_at < REFRESH_S:
            return False
        self._refreshed_at = at
        if session.error:
            if self.ring.cap < self._full_cap:
                self.ring.set_cap(self._full_cap)  # the ring alone again, as without a store
            return False
        grew = self._see_disk(session)
        if self.disk is not None:
            on_disk = self.offset + len(self.disk)
            self.ring.evict_data(min(on_disk, self.ring.number_holding(self.ring_bytes)))
        return grew

    def _see_disk(self, session: LiveSession) -> bool:
        """Open the session's store, or see its new rows. A store that cannot be read (taken
        away under the app) is looked at again next time; the ring keeps what it has meanwhile."""
        from inspector.logstore.session_store.errors import StoreError
        writer = session.writer
        try:
            if self.disk is None:
                if session.folder is None or writer is None or not writer.blocks:
                    return False
                from inspector.logstore.session_store.reader import SessionReader
                self.disk = DiskRows(SessionReader(session.folder))
                return len(self.disk) > 0
            before = len(self.disk)
            if writer is not None and writer.rows_written > before:
                self.disk.refresh()
        except StoreError:
            return False
        return len(self.disk) > before

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()
            self.disk = None

    # ------------------------------------------------------------ where a number is

    @property
    def _disk_end(self) -> int:
        """One past the newest number the store can give."""
        if self.disk is None:
            return self.offset
        n = len(self.disk)
        return self.offset + (n if self.limit is None else min(n, self.limit))

    @property
    def _split(self) -> int:
        """The first number whose whole row the ring holds (the end when it holds none)."""
        ring = self.ring
        return ring.data_from if len(ring) else max(ring.end_number, self._disk_end)

    @property
    def first_number(self) -> int:
        """Number of the oldest row shown."""
        ring = self.ring
        lo = max(self.offset, 1)
        if self.backed:  # rows not written yet are the store's in a moment: none is lost
            return min(lo, ring.first_number) if len(ring) else lo
        if self.disk is None or self._disk_end < (ring.first_number if len(ring) else self._disk_end):
            return ring.first_number  # the ring alone, as without a store
        return min(lo, self._split)

    @property
    def end_number(self) -> int:
        return max(self.ring.end_number, self._disk_end)

    @property
    def dropped(self) -> int:
        """Rows older than the oldest shown that the log no longer has."""
        return self.first_number - 1

    def __len__(self) -> int:
        return self.end_number - self.first_number

    def index_of(self, number: int) -> int | None:
        """The index of a row that can be read now (None: gone, or not written yet)."""
        first = self.first_number
        if not first <= number < self.end_number:
            return None
        if number >= self._split:
            return number - first
        if number < self._disk_end and self.disk is not None and self.disk.readable(number - self.offset):
            return number - first
        return None

    def number(self, i: int) -> int:
        first = self.first_number
        n = self.end_number - first
        if not -n <= i < n:
            raise IndexError(f"row index {i} out of range ({n} rows)")
        return first + i % n

    def _where(self, i: int) -> tuple[DiskRows | None, int]:
        """(None, ring index) or (the store, store row) for index ``i``."""
        ring = self.ring
        if self.disk is None and self.session is None:  # the ring alone: its own indexes (asked per cell)
            return None, i
        number = self.number(i)
        if number >= (ring.data_from if len(ring) else self._split):
            j = ring.index_of(number)
            if j is not None:
                return None, j
        if self.disk is not None and self.offset <= number < self._disk_end:
            return self.disk, number - self.offset
        raise IndexError(f"row {number} is not readable yet")

    # ------------------------------------------------------------ one row

    def t(self, i: int) -> float:
        disk, j = self._where(i)
        return self.ring.t(j) if disk is None else disk.t(j)

    def conn(self, i: int) -> str:
        disk, j = self._where(i)
        return self.ring.conn(j) if disk is None else disk.conn(j)

    def direction(self, i: int) -> str:
        disk, j = self._where(i)
        return self.ring.direction(j) if disk is None else disk.direction(j)

    def kind(self, i: int) -> int:
        disk, j = self._where(i)
        return self.ring.kind(j) if disk is None else disk.kind(j)

    def topic(self, i: int) -> str:
        disk, j = self._where(i)
        return self.ring.topic(j) if disk is None else disk.topic(j)

    def seq(self, i: int) -> int | None:
        disk, j = self._where(i)
        return self.ring.seq(j) if disk is None else disk.seq(j)

    def size(self, i: int) -> int:
        disk, j = self._where(i)
        return self.ring.size(j) if disk is None else disk.size(j)

    def data(self, i: int) -> bytes:
        disk, j = self._where(i)
        return self.ring.data(j) if disk is None else disk.data(j)

    def is_text(self, i: int) -> bool:
        return self.kind(i) == KIND_TEXT

    def is_session(self, i: int) -> bool:
        return self.kind(i) == KIND_SESSION

    def session_event(self, i: int) -> SessionEvent | None:
        disk, j = self._where(i)
        return self.ring.session_event(j) if disk is None else disk.session_event(j)

    def undecodable(self, i: int) -> bool:
        disk, j = self._where(i)
        return self.ring.undecodable(j) if disk is None else disk.undecodable(j)

    def gap(self, i: int) -> int | None:
        disk, j = self._where(i)
        return self.ring.gap(j) if disk is None else disk.gap(j)

    def gap_expected(self, i: int) -> bool:
        disk, j = self._where(i)
        return self.ring.gap_expected(j) if disk is None else disk.gap_expected(j)

    def summary(self, i: int) -> str:
        disk, j = self._where(i)
        return self.ring.summary(j) if disk is None else disk.summary(j)

    def event(self, i: int) -> SessionEvent:
        disk, j = self._where(i)
        return self.ring.event(j) if disk is None else disk.event(j)

    def events_of(self, numbers: npt.NDArray[np.int64]) -> RowEvents:
        """The rows numbered ``numbers`` (ascending) as events, for a writer on another thread: the
        ring's rows are taken now (the ring changes under a live log), the store's are read while
        iterating, by a reader of its own, so an export of millions of rows holds none of them."""
        numbers = np.asarray(numbers, np.int64)
        ring = self.ring
        cut = ring.data_from if len(ring) else self._split
        older = numbers[numbers < cut]
        folder = self.disk.reader.folder if self.disk is not None else None
        store_rows = older[(older >= self.offset) & (older < self._disk_end)] - self.offset
        newer = ring_events(ring, numbers[numbers >= cut])
        return RowEvents(folder, store_rows if folder is not None else older[:0], newer)

    # ------------------------------------------------------------ the whole log

    @property
    def conns(self) -> list[str]:
        names = self.ring.conns
        if self.disk is not None and self.session is None:
            names += [c for c in self.disk.reader.conns if c not in names]
        return names

    @property
    def topics(self) -> list[str]:
        names = self.ring.topics
        if self.disk is not None and self.session is None:
            names += [t for t in self.disk.reader.topics if t and t not in names]
        return names

    @property
    def frame_count(self) -> int:
        """Frames shown (rows that are not connection events)."""
        if self.disk is None or self.first_number >= self._split:
            return self.ring.frame_count
        if self.session is not None:  # every row since the clear is shown: the ring counted them all
            return len(self) - self.ring.sessions_added
        return len(self) - int(np.searchsorted(self._file_sessions, self._disk_end - self.offset))

    def rows_on_disk(self, lo: int, hi: int) -> int:
        """How many rows of [lo, hi) a ``match`` reads from the store (the rest: from the ring)."""
        lo = max(lo, self.first_number)
        return max(0, min(hi, self._split, self._disk_end) - lo) if self.disk is not None else 0

    def match(self, q: Query, lo: int | None = None, hi: int | None = None) -> npt.NDArray[np.int64]:
        """Numbers (ascending) of rows in [lo, hi) that ``q`` keeps: the store's part scanned
        to the end here (``match_chunks`` is the same in steps), then the ring's."""
        parts = [numbers for _, _, numbers in self.match_chunks(q, lo, hi)]
        return np.concatenate(parts) if parts else np.empty(0, np.int64)

    def match_chunks(self, q: Query, lo: int | None = None, hi: int | None = None
                     ) -> Iterator[tuple[int, int, npt.NDArray[np.int64]]]:
        """``match`` a part at a time: (rows done, rows in all, the part's numbers ascending).
        The store's rows come a block at a time, the ring's a few milliseconds at a time
        (``FrameStore.match_chunks``); a caller shows progress and cancels by no longer iterating.
        Where a row is read from is looked at again between parts: while a live log runs, the
        ring gives up the bytes of rows the store has meanwhile (they are read from the store)."""
        first, end = self.first_number, self.end_number
        lo = first if lo is None else max(lo, first)
        hi = end if hi is None else min(hi, end)
        if hi <= lo:
            return
        total, pos, said = hi - lo, lo, 0  # said: the rows done the last part said
        while pos < hi:
            split = self._split
            disk_hi = min(hi, split, self._disk_end)
            if self.disk is not None and pos < disk_hi:
                for done, _, rows in self.disk.match_chunks(q, pos - self.offset, disk_hi - self.offset):
                    said = pos - lo + done
                    yield said, total, rows.astype(np.int64) + self.offset
                pos = disk_hi
            elif pos < split:  # rows neither the store's yet nor the ring's any longer: none to read
                pos = min(hi, split)
            else:
                start, pos = pos, hi
                for done, _, numbers in self.ring.match_chunks(q, start, hi):
                    said = start - lo + done
                    yield said, total, numbers
                    if start + done < hi and self._split > start + done:
                        pos = start + done
                        break
        if said < total:
            yield total, total, np.empty(0, np.int64)


Rows = FrameStore | LogRows  # what a log reads: its ring alone, or every row of a session


class RowEvents:
    """Events for some of a log's rows: the store's part read when iterated (any thread), then the ring's."""

    def __init__(self, folder: Path | None, store_rows: npt.NDArray[np.int64], ring_events: list[SessionEvent]) -> None:
        self.folder = folder
        self.store_rows = store_rows
        self.ring_events = ring_events

    def __len__(self) -> int:
        return len(self.store_rows) + len(self.ring_events)

    def __iter__(self) -> Iterator[SessionEvent]:
        if len(self.store_rows) and self.folder is not None:
            from inspector.logstore.session_store.reader import SessionReader

            with SessionReader(self.folder) as reader:
                disk = DiskRows(reader)
                for r in self.store_rows.tolist():
                    yield disk.event(r)
        yield from self.ring_events



def ring_events(ring: FrameStore, numbers: npt.NDArray[np.int64]) -> list[SessionEvent]:
    """The ring's rows numbered ``numbers`` (those it still holds) as events."""
    out = []
    for n in numbers.tolist():
        j = ring.index_of(n)
        if j is not None:
            out.append(ring.event(j))
    return out


def row_events(rows: Rows, numbers: npt.NDArray[np.int64]) -> RowEvents:
    """``LogRows.events_of``, for a log of the ring alone as well."""
    if isinstance(rows, LogRows):
        return rows.events_of(numbers)
    return RowEvents(None, np.zeros(0, np.int64), ring_events(rows, np.asarray(numbers, np.int64)))
