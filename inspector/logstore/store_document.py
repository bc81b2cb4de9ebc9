"""A session folder opened for the log: shown from the store where it lies, nothing loaded.

``open_document`` is what the app opens a file with: a session folder becomes a
``StoreDocument`` (its rows read from the memory-mapped store by ``LogRows`` as they are
painted), anything else (``.rirec``, HAR, pcapng) is prepared as before
(``recording_source.prepare``: read whole, into the log's ring). Opening a folder reads the
block index, then two narrow columns: ``kind`` (where the connection events are, for the
latency plot and the frame count) and ``t`` (the replay's timeline). A store's rows are its
records, one for one, and keep the connection names they were written with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from inspector.logstore import session_rows
from inspector.logstore.frame_store import KIND_SESSION
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.store_source import StoreRecording, store_folder
from inspector.protocol.events import SessionEvent

if TYPE_CHECKING:
    from inspector.logstore.log_rows import LogRows
    from inspector.logstore.recording_source import PreparedRecording
    from inspector.logstore.session_store.reader import SessionReader


class StoreDocument:
    source = "store"

    def __init__(self, folder: Path) -> None:
        self.recording = rec = StoreRecording(folder)
        self.reader = reader = rec.reader
        self.path = folder
        self.name = folder.name
        self.header = rec.header
        self.truncated = rec.truncated
        self.warning = rec.warning
        self.labels = list(reader.conns)
        url = str(rec.header.get("url") or "")
        self.conn_urls = {c: url for c in reader.conns}
        kinds, highs, damage = [], [], []
        for k, block in enumerate(reader.blocks):  # a block's columns view the mapped file: nothing copied
            try:
                batch = reader.batch(k)
            except StoreError as exc:  # its rows are not shown; the rest are
                damage.append(str(exc))
                highs.append(block.t_last)
                continue
            kinds.append(np.flatnonzero(batch.column("kind").to_numpy() == KIND_SESSION) + reader.block_start(k))
            highs.append(float(batch.column("t").to_numpy().max()))
        if damage:
            more = f" (and {len(damage) - 1} more damaged blocks)" if len(damage) > 1 else ""
            self.warning = "; ".join(filter(None, [self.warning, damage[0] + more]))
        self.session_rows: npt.NDArray[np.int64] = (np.concatenate(kinds) if kinds else np.empty(0)).astype(np.int64)
        self.events: dict[int, SessionEvent] = {}
        for r in self.session_rows.tolist():
            row = reader.row(r)
            ev = session_rows.row_event(row.data, row.t, row.conn)
            if ev is not None:
                self.events[r] = ev
        self.offsets = StoreOffsets(reader, highs)

    def __len__(self) -> int:
        return len(self.reader)

    @property
    def row_count(self) -> int:
        """Log rows in all (frames and connection events)."""
        return len(self.reader)

    @property
    def frame_count(self) -> int:
        return len(self.reader) - len(self.session_rows)

    def frames_until(self, k: int) -> int:
        """Frames among records [0, k)."""
        return k - int(np.searchsorted(self.session_rows, k))

    def show_rows(self, rows: LogRows, _a: int, b: int) -> None:
        """Show records [0, b) in the log (it shows [0, a) already): the store's rows up to ``b``."""
        if rows.disk is None:
            rows.attach_file(self.reader, self.session_rows)
        rows.limit = b

    def events_between(self, a: int, b: int) -> list[SessionEvent]:
        lo, hi = np.searchsorted(self.session_rows, [a, b])
        return [self.events[r] for r in self.session_rows[lo:hi].tolist() if r in self.events]

    def status(self) -> str:
        conns = len(self.labels)
        text = f"{self.name}: session, {self.frame_count:,} frames, {conns} connection{'s' if conns != 1 else ''}"
        if self.warning:
            text += " · " + self.warning.removeprefix(f"{self.name}: ")
        return text

    def close(self) -> None:
        self.recording.close()


class StoreOffsets:
    """The replay timeline of a store's rows: seconds from the first row, never going back,
    as ``recording_source`` gives a recording's (``np.maximum.accumulate`` of the times), but
    worked out a block at a time when asked (from the blocks' maxima, read at open), not for
    every row at open. What ``replay.Timeline`` asks of its offsets."""

    def __init__(self, reader: SessionReader, highs: list[float]) -> None:
        """``highs``: each block's latest time."""
        self.reader = reader
        self._t0 = reader.blocks[0].t_first if reader.blocks else 0.0
        self._ends = np.maximum.accumulate(np.asarray(highs, np.float64)) - self._t0 if highs else np.empty(0)
        self._block: tuple[int, npt.NDArray[np.float64]] | None = None

    def __len__(self) -> int:
        return len(self.reader)

    def _offsets_of(self, k: int) -> npt.NDArray[np.float64]:
        if self._block is None or self._block[0] != k:
            t = self.reader.batch(k).column("t").to_numpy() - self._t0
            if k:
                t[0] = max(t[0], self._ends[k - 1])
            self._block = (k, np.maximum.accumulate(t))
        return self._block[1]

    def __getitem__(self, i: int) -> float:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"row {i} of {n}")
        i %= n
        if i == n - 1:  # the end (a timeline's duration): the blocks' maxima say it, no block read
            return float(self._ends[-1])
        if i == 0:
            return 0.0
        k = self.reader.block_of(i)
        return float(self._offsets_of(k)[i - self.reader.block_start(k)])

    def searchsorted(self, offset: float, side: str = "left") -> int:
        """The first row at (``side`` "left") or after ``offset``."""
        ends = self._ends
        k = int(np.searchsorted(ends, offset, side="left" if side == "left" else "right"))
        if k >= len(ends):
            return len(self)
        within = np.searchsorted(self._offsets_of(k), offset, side="left" if side == "left" else "right")
        return self.reader.block_start(k) + int(within)


def open_document(path: str | os.PathLike[str]) -> StoreDocument | PreparedRecording:
    """A session folder as a StoreDocument; a recording, HAR or capture prepared as before."""
    folder = store_folder(path)
    if folder is not None:
        return StoreDocument(folder)
    from inspector.logstore.recording_source import prepare
    return prepare(path)
