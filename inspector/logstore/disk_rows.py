"""A session store's rows read one at a time, for the log's painted rows and detail pane.

``DiskRows`` answers what ``FrameStore`` answers for a row (time, connection, ..., summary)
for store row ``r`` of a ``SessionReader``: the block holding it is turned into numpy views
of its columns once (no copy: they view the mapped file) and the last few such blocks stay
at hand, so painting a screen of rows costs a lookup per cell, never a whole column. Bodies
not checked when written are checked when first summarised here; the verdict is kept
beside the file (which is never written by a reader).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from inspector.logstore import session_rows
from inspector.logstore.event_heads import NO_SEQ
from inspector.logstore.frame_store import (
    FLAG_BAD,
    FLAG_GAP_EXPECTED,
    FLAG_UNCHECKED,
    KIND_SESSION,
    Query,
    checked_flags,
    row_as_event,
    row_summary,
)
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.labels import name_of
from inspector.protocol.events import IN, OUT, SessionEvent
from inspector.protocol.frames import try_decode

if TYPE_CHECKING:
    from inspector.logstore.session_store.reader import SessionReader

_DIR_NAME = (OUT, IN, "")
_BLOCKS = 4         # blocks' column views kept (a screen of rows spans one or two)
_NOTES = 8192       # summaries and checked flags kept
_FIXED = ("t", "conn", "direction", "kind", "topic", "seq", "size", "gap", "flags")


class _Block:
    """One block's columns: numpy views of the fixed-width ones, the Arrow array of the bytes."""

    __slots__ = ("cols", "data", "start")

    def __init__(self, batch: Any, start: int) -> None:
        self.start = start
        self.cols = {name: batch.column(name).to_numpy() for name in _FIXED}
        self.data = batch.column("data")


class DiskRows:
    def __init__(self, reader: SessionReader) -> None:
        self.reader = reader
        self._blocks: OrderedDict[int, _Block] = OrderedDict()
        self._summaries: dict[int, str] = {}
        self._flags: dict[int, int] = {}  # rows whose bodies were checked here: their settled flags
        self.damage = ""  # what the first damaged block said (its rows are not shown)
        self._damaged: set[int] = set()

    def __len__(self) -> int:
        return len(self.reader)

    def refresh(self) -> int:
        """See the rows written since; how many rows there are now. Blocks never change once
        written, so the views kept stay good."""
        self.reader.refresh()
        return len(self.reader)

    def close(self) -> None:
        self._blocks.clear()
        self.reader.close()

    # ------------------------------------------------------------ one row

    def readable(self, r: int) -> bool:
        """Row ``r`` can be read: its block is whole (a damaged one is noted in ``damage``)."""
        k = self.reader.block_of(r)
        if k in self._damaged:
            return False
        if k in self._blocks:
            return True
        try:
            self._at(r)
        except StoreError as exc:
            self._damaged.add(k)
            self.damage = self.damage or str(exc)
            return False
        return True

    def _at(self, r: int) -> tuple[_Block, int]:
        reader = self.reader
        k = reader.block_of(r)
        blk = self._blocks.get(k)
        if blk is None:
            blk = self._blocks[k] = _Block(reader.batch(k), reader.block_start(k))
            if len(self._blocks) > _BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(k)
        return blk, r - blk.start

    def _value(self, name: str, r: int) -> Any:
        blk, j = self._at(r)
        return blk.cols[name][j]

    def t(self, r: int) -> float:
        return float(self._value("t", r))

    def conn(self, r: int) -> str:
        return name_of(self.reader.conns, int(self._value("conn", r)))

    def direction(self, r: int) -> str:
        return _DIR_NAME[int(self._value("direction", r))]

    def direction_code(self, r: int) -> int:
        return int(self._value("direction", r))

    def kind(self, r: int) -> int:
        return int(self._value("kind", r))

    def topic(self, r: int) -> str:
        return name_of(self.reader.topics, int(self._value("topic", r)))

    def seq(self, r: int) -> int | None:
        s = int(self._value("seq", r))
        return None if s == NO_SEQ else s

    def size(self, r: int) -> int:
        return int(self._value("size", r))

    def data(self, r: int) -> bytes:
        blk, j = self._at(r)
        out: bytes = blk.data[j].as_py()
        return out

    def gap(self, r: int) -> int | None:
        g = int(self._value("gap", r))
        return None if g == 0 else g

    def flags(self, r: int) -> int:
        settled = self._flags.get(r)
        return int(self._value("flags", r)) if settled is None else settled

    def gap_expected(self, r: int) -> bool:
        return bool(self.flags(r) & FLAG_GAP_EXPECTED)

    def undecodable(self, r: int) -> bool:
        flags = self.flags(r)
        if flags & FLAG_UNCHECKED:
            flags = self._note_flags(r, checked_flags(flags, try_decode(self.data(r))))
        return bool(flags & FLAG_BAD)

    def session_event(self, r: int) -> SessionEvent | None:
        return session_rows.row_event(self.data(r), self.t(r), self.conn(r))

    def summary(self, r: int) -> str:
        text = self._summaries.get(r)
        if text is not None:
            return text
        kind = self.kind(r)
        event = self.session_event(r) if kind == KIND_SESSION else None
        text, flags = row_summary(kind, self.data(r), self.flags(r), int(self._value("gap", r)), event)
        self._note_flags(r, flags)
        if len(self._summaries) >= _NOTES:
            self._summaries.clear()
        self._summaries[r] = text
        return text

    def event(self, r: int) -> SessionEvent:
        return row_as_event(self.kind(r), self.data(r), self.t(r), self.conn(r), self.direction_code(r))

    def _note_flags(self, r: int, flags: int) -> int:
        if len(self._flags) >= _NOTES:
            self._flags.clear()
        self._flags[r] = flags
        return flags

    # ------------------------------------------------------------ many rows

    def match_chunks(self, q: Query, start: int, stop: int) -> Iterator[tuple[int, int, np.ndarray[Any, Any]]]:
        """Store rows in ``[start, stop)`` that ``q`` keeps, in steps: (rows done, rows in all, the
        step's matching rows ascending). A caller shows progress from the first two and cancels
        by no longer iterating. ``store_scan`` selects, a readable block at a time; a damaged
        block's rows are not shown, so none of them is found."""
        from inspector.logstore.store_scan import match_chunks
        reader = self.reader
        start = max(start, 0)
        yield from match_chunks(reader, q, start, min(stop, len(reader)),
                                readable=lambda k: self.readable(reader.block_start(k)), block_chunks=True)
