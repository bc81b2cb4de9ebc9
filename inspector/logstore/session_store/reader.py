"""SessionReader: open a session folder at once and read any row of it.

Opening reads the block index and the labels, never the rows: the row count and where each
block lies are known at once. The data file is memory-mapped; a block is read (and checked
whole: Arrow's full validation) only when a row of it is asked for, and the last few stay at
hand. A torn tail (a writer killed mid-batch) is tolerated: complete batches past the index
are found by reading their headers, and ``note`` says how many rows were recovered and how
many bytes lost. Anything unreadable raises ``StoreError`` with one line, never another error.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from inspector.logstore.session_store import block_index, labels
from inspector.logstore.session_store.block_index import Block
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.labels import id_of, name_of
from inspector.logstore.session_store.layout import DATA_FILE, INDEX_FILE, LABELS_FILE
from inspector.logstore.session_store.schema import COLUMNS, DATA, SCHEMA, Row

_ARROW_ERRORS = (pa.ArrowException, OSError, EOFError, ValueError, IndexError)
_CACHED_BLOCKS = 8
Predicate = Callable[[Any], "np.ndarray[Any, Any]"]  # a record batch -> its rows' boolean mask


class SessionReader:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DATA_FILE
        self.blocks: list[Block] = []
        self.note = ""
        self.lost_bytes = 0
        self.conns: list[str] = []
        self.topics: list[str] = []
        self._starts: list[int] = [0]  # first row of each block, then the row count
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._map: Any = None
        self._buf: Any = None
        self.refresh()

    # ------------------------------------------------------------------ opening

    def refresh(self) -> None:
        """(Re)read the index, labels and data size: a session still being written shows its new rows."""
        try:
            mm = pa.memory_map(str(self.path))
            size = mm.size()
            buf = mm.read_buffer(size)
        except _ARROW_ERRORS as exc:
            raise StoreError(f"cannot open {self.path}: {_line(exc)}") from exc
        try:
            data_start = _schema_end(buf, self.path)
        except StoreError:
            mm.close()  # not a session's data file: its map is not kept
            raise
        raw_index = _read_optional(self.folder / INDEX_FILE)
        decoded = block_index.decode(raw_index, data_start)
        blocks = []
        for b in decoded.blocks:
            if b.end > size:
                break
            blocks.append(b)
        indexed = len(blocks)
        blocks += _scan(buf, blocks[-1].end if blocks else data_start)
        self.conns, self.topics = labels.decode(_read_optional(self.folder / LABELS_FILE))
        if self._map is not None:
            self._map.close()
        self._map, self._buf, self.blocks = mm, buf, blocks
        self._starts = [0]
        for b in blocks:
            self._starts.append(self._starts[-1] + b.rows)
        self._cache.clear()
        end = blocks[-1].end if blocks else data_start
        # an index listing blocks past the data's end (the writer writes data first) means the data was cut
        listed_end = decoded.blocks[-1].end if decoded.blocks else data_start
        self.lost_bytes = max(size, listed_end) - end
        self.note = ""
        if self.lost_bytes or decoded.damaged or len(blocks) > indexed:
            self.note = f"recovered {len(self)} rows, lost {self.lost_bytes} bytes"

    def close(self) -> None:
        self._cache.clear()
        self._buf = None
        if self._map is not None:
            self._map.close()
            self._map = None

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ rows

    def __len__(self) -> int:
        return self._starts[-1]

    def block_of(self, i: int) -> int:
        """The block holding row ``i``."""
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} of {len(self)}")
        return bisect.bisect_right(self._starts, i) - 1

    def block_start(self, k: int) -> int:
        """The first row of block ``k``."""
        return self._starts[k]

    def batch(self, k: int) -> Any:
        """Block ``k`` as a checked Arrow record batch (its arrays view the mapped file)."""
        rb = self._cache.get(k)
        if rb is not None:
            self._cache.move_to_end(k)
            return rb
        b = self.blocks[k]
        try:
            rb = pa.ipc.read_record_batch(pa.ipc.read_message(self._buf.slice(b.offset, b.length)), SCHEMA)
            rb.validate(full=True)
        except _ARROW_ERRORS as exc:
            raise StoreError(f"{self.path}: block {k} at byte {b.offset} is damaged ({_line(exc)})") from exc
        if rb.num_rows != b.rows:
            raise StoreError(f"{self.path}: block {k} at byte {b.offset} holds {rb.num_rows} rows, not {b.rows}")
        self._cache[k] = rb
        if len(self._cache) > _CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return rb

    def row(self, i: int) -> Row:
        k = self.block_of(i)
        rb = self.batch(k)
        j = i - self._starts[k]
        values = [rb.column(c)[j].as_py() for c in range(len(COLUMNS))]
        values[1] = name_of(self.conns, values[1])
        values[4] = name_of(self.topics, values[4])
        return Row(*values)

    def rows(self, start: int, stop: int) -> list[Row]:
        return [self.row(i) for i in range(max(start, 0), min(stop, len(self)))]

    def table(self, start: int = 0, stop: int | None = None) -> Any:
        """Rows ``[start, stop)`` as an Arrow table (zero-copy slices of the blocks)."""
        stop = len(self) if stop is None else min(stop, len(self))
        parts = []
        for k, lo, hi in self._spans(max(start, 0), stop):
            parts.append(self.batch(k).slice(lo, hi - lo))
        return pa.Table.from_batches(parts, schema=SCHEMA)

    def column(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray[Any, Any]:
        """A fixed-width column's values ``[start, stop)`` as a numpy array."""
        if name == DATA or name not in COLUMNS:
            raise ValueError(f"{name!r} is not a fixed-width column")
        col = self.table(start, stop).column(name)
        out: np.ndarray[Any, Any] = col.to_numpy()
        return out

    def _spans(self, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        """(block, first, end) row ranges within blocks covering ``[start, stop)``."""
        i = start
        while i < stop:
            k = self.block_of(i)
            lo = i - self._starts[k]
            hi = min(stop, self._starts[k + 1]) - self._starts[k]
            yield k, lo, hi
            i = self._starts[k] + hi

    # ------------------------------------------------------------------ selections

    def scan(self, predicate: Predicate) -> Iterator[tuple[int, np.ndarray[Any, Any]]]:
        """Per block: (rows scanned so far, the numbers of the block's rows ``predicate`` keeps).
        A caller shows progress from the first and cancels by no longer iterating."""
        for k in range(len(self.blocks)):
            hits: np.ndarray[Any, Any] = np.flatnonzero(predicate(self.batch(k))) + self._starts[k]
            yield self._starts[k + 1], hits

    def match(self, predicate: Predicate) -> np.ndarray[Any, Any]:
        found = [hits for _, hits in self.scan(predicate)]
        return np.concatenate(found) if found else np.zeros(0, np.int64)

    def where(self, *, topic: str | None = None, kind: int | None = None, conn: str | None = None,
              text: str = "", ignore_case: bool = True) -> Predicate:
        """A predicate for ``scan``: every given condition holds. ``text`` is looked for in the raw bytes."""
        equal = {name: value for name, value in (("topic", None if topic is None else id_of(self.topics, topic)),
                                                 ("kind", kind),
                                                 ("conn", None if conn is None else id_of(self.conns, conn)))
                 if value is not None}
        pattern = ("(?i)" if ignore_case else "") + re.escape(text) if text else ""
        import pyarrow.compute as pc  # type: ignore[import-untyped]  # a search's own: not loaded to open

        def test(rb: Any) -> np.ndarray[Any, Any]:
            mask = np.ones(rb.num_rows, bool)
            for name, value in equal.items():  # the columns' own memory, no copy
                mask &= rb.column(name).to_numpy() == value
            if pattern:  # RE2 over the bytes: faster than a plain substring search, either case
                mask &= pc.match_substring_regex(rb.column(DATA), pattern).to_numpy(zero_copy_only=False)
            return mask
        return test


def _schema_end(buf: Any, path: Path) -> int:
    """Where the first batch starts: just past the stream's schema, which must be ours."""
    reader = pa.BufferReader(buf)
    try:
        schema = pa.ipc.read_schema(pa.ipc.read_message(reader))
    except _ARROW_ERRORS as exc:
        raise StoreError(f"{path} is not a session store file ({_line(exc)})") from exc
    if not schema.equals(SCHEMA, check_metadata=False):
        raise StoreError(f"{path} is a different Arrow layout, not a session store file")
    end: int = reader.tell()
    return end


def _scan(buf: Any, pos: int) -> list[Block]:
    """Complete batches from ``pos`` on that the index does not name (its entry torn or missing)."""
    found = []
    reader = pa.BufferReader(buf)
    while pos < buf.size:
        reader.seek(pos)
        try:
            msg = pa.ipc.read_message(reader)
            rb = pa.ipc.read_record_batch(msg, SCHEMA)
            rb.validate(full=True)
        except _ARROW_ERRORS:
            break
        end = reader.tell()
        if not rb.num_rows:
            break
        t = rb.column("t")
        found.append(Block(pos, end - pos, rb.num_rows, t[0].as_py(), t[rb.num_rows - 1].as_py()))
        pos = end
    return found


def _read_optional(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
