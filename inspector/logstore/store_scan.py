"""A log filter or search run over a session store, a chunk of rows at a time (no Qt here).

``match_chunks`` keeps the rows a ``frame_store.Query`` keeps, by the very rules the in-memory
ring's ``FrameStore.match`` uses (the functions ``frame_store`` shares), and yields them chunk
by chunk with the rows done so far: a caller shows progress and cancels by no longer iterating.
The file's blocks are read through the reader's memory map, a block or a part of one at a time;
the query's names are mapped to the store's label ids once.

Free text is looked for in each chunk's bytes at once (``BodySearch``): an ASCII needle by
Arrow's substring kernel over the data column; any other in the column's values, one
contiguous buffer, by ``bytes.find``, or copied, lower-cased in one pass and searched with one
regex pass, each hit's row found from the column's offsets (``np.searchsorted``). A text
search's chunks are smaller than a filter's (a pass over their bytes takes a few ms; a
filter's a few µs a block).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from inspector.logstore import scan_pace
from inspector.logstore.frame_store import (
    FLAG_BAD,
    KIND_SESSION,
    Query,
    bad_bodies,
    field_mask,
    row_summary,
    summary_rows,
    text_needle,
    topic_ids,
    topic_text_mask,
    unchecked_rows,
)
from inspector.logstore.session_rows import row_event
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import DATA

CHUNK_ROWS = 262_144     # rows per chunk of a filter: a few ms
TEXT_CHUNK_ROWS = 16_384  # rows per chunk of a text search: a few ms for ~100 B rows
Chunk: TypeAlias = tuple[int, int, "npt.NDArray[np.int64]"]  # rows done, rows in all, matching rows
MatchChunks: TypeAlias = Callable[[], Iterator[Chunk]]  # what a runner runs: a scan not yet started
_Mask: TypeAlias = "npt.NDArray[np.bool_]"
_SEPARATOR = 0xFF


def match_chunks(reader: SessionReader, query: Query, start: int = 0, stop: int | None = None, *,
                 chunk_rows: int | None = None, check_bodies: bool = False,
                 readable: Callable[[int], bool] | None = None, block_chunks: bool = False) -> Iterator[Chunk]:
    """``(rows done, rows in all, store rows in the chunk that ``query`` keeps, ascending)`` for
    the reader's rows ``[start, stop)``, a chunk of at most ``chunk_rows`` at a time (default:
    ``TEXT_CHUNK_ROWS`` for a text search, else ``CHUNK_ROWS``); the last chunk says rows done ==
    rows in all.

    ``check_bodies``: decode EVENTs the log read by their head only (stored with
    FLAG_UNCHECKED), as the ring does on its first search, so that one whose body turns out
    undecodable matches on its "undecodable: ..." summary too. A JSON parse of every such body
    the rest of the query keeps: slow (microseconds a row); without it those rows match on
    their topic and bytes, which every other row matches on as the ring does.

    ``readable(k)``: False skips block ``k`` (a damaged one: its rows count as done, none is
    found); without it a damaged block raises ``StoreError`` when the scan reaches it.
    ``block_chunks``: a chunk also ends where a block does.

    A text search that Arrow's kernel answers (``BodySearch.ARROW``) runs that kernel for the
    next few chunks on worker threads (it lets go of the GIL), while this thread, the caller's,
    reads the blocks and applies the rest of the query: the reader is used on this thread alone.
    """
    size = chunk_rows or (TEXT_CHUNK_ROWS if query.text else CHUNK_ROWS)
    stop = len(reader) if stop is None else min(stop, len(reader))
    start = max(0, start)
    total = max(0, stop - start)
    rules = _Rules(reader, query, check_bodies)
    cut = _pieces(reader, start, stop, size, readable, block_chunks)
    pieces: Iterator[_Piece | None] = (_ahead(cut, rules.body.hits) if query.text and rules.body.way == BodySearch.ARROW
                                       else cut)
    done, pending, said = 0, 0, 0  # said: the rows done the last chunk said
    found: list[npt.NDArray[np.int64]] = []
    try:
        for piece in pieces:
            if piece is None:  # searched ahead, not ready: no progress (what is found waits for its chunk)
                yield said, total, np.zeros(0, np.int64)
                continue
            lo, n, rb, hit, last = piece
            if isinstance(rb, StoreError):
                raise rb
            if rb is not None:
                found.append(rules.rows(rb, hit) + lo)
            done += n
            pending += n
            if pending >= size or done == total or last:
                yield done, total, _joined(found)
                found, pending, said = [], 0, done
    finally:  # stopped early (closed): the search threads end now, not when the collector finds this frame
        if isinstance(pieces, Generator):
            pieces.close()
    if not total:
        yield 0, 0, np.zeros(0, np.int64)


# (first row, rows, the record batch of them (None: skipped; an error: unreadable), its text hits if found
# ahead, whether it ends its block)
_Piece: TypeAlias = "tuple[int, int, Any, _Mask | None, bool]"
AHEAD_CHUNKS = 8    # chunks whose text hits are sought ahead of the one being taken
SEARCH_THREADS = 2  # threads seeking them: a core each on a 2-core machine


def _pieces(reader: SessionReader, start: int, stop: int, size: int,
            readable: Callable[[int], bool] | None, block_chunks: bool) -> Iterator[_Piece]:
    """The rows ``[start, stop)`` in pieces that never cross a block, cut where a chunk of
    ``size`` rows ends (and, ``block_chunks``, where a block ends: the piece says so)."""
    first, pending = 0, 0
    for k, block in enumerate(list(reader.blocks)):  # the blocks as they are now: a live session grows
        end = first + block.rows
        lo = max(start, first)
        if lo < min(stop, end) and readable is not None and not readable(k):
            n = min(stop, end) - lo
            yield lo, n, None, None, block_chunks
            pending = 0 if block_chunks or pending + n >= size else pending + n
            lo = end
        while lo < min(stop, end):
            hi = min(stop, end, lo + size - pending)
            try:
                rb: Any = reader.batch(k).slice(lo - first, hi - lo)
            except StoreError as exc:  # raised where the scan reaches it, not where it is read ahead
                rb = exc
            last = block_chunks and hi == end
            yield lo, hi - lo, rb, None, last
            pending = 0 if last or pending + hi - lo >= size else pending + hi - lo
            lo = hi
        first = end
        if first >= stop:
            break


def _ahead(pieces: Iterator[_Piece], hits: Callable[[Any], _Mask]) -> Iterator[_Piece | None]:
    """``pieces`` with their text ``hits`` found on worker threads (the scan's own, gone with
    it), ``AHEAD_CHUNKS`` ahead. None: the next piece's hits are not found yet, and the one
    taking them would rather not wait (``scan_pace``)."""
    pool = ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix="text-search")
    queue: deque[tuple[int, int, Any, Future[_Mask] | None, bool]] = deque()
    more = True
    try:
        while True:
            while more and len(queue) <= AHEAD_CHUNKS:
                piece = next(pieces, None)
                if piece is None:
                    more = False
                    break
                lo, n, rb, _, last = piece
                work = rb is not None and not isinstance(rb, StoreError)
                queue.append((lo, n, rb, pool.submit(hits, rb.column(DATA)) if work else None, last))
            if not queue:
                return
            future = queue[0][3]
            pace = scan_pace.current.get()
            if future is not None and pace is not None and not future.done():
                pace.behind = True
                yield None
                continue
            lo, n, rb, future, last = queue.popleft()
            yield lo, n, rb, None if future is None else future.result(), last
    finally:  # at the end, or stopped early (cancelled): what is still queued is not needed
        pool.shutdown(wait=True, cancel_futures=True)  # a chunk or two: then no thread holds the file's pages


def _joined(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros(0, np.int64)


@dataclass
class _Rules:
    """One query, its names turned into this store's label ids once."""

    reader: SessionReader
    query: Query
    check_bodies: bool

    def __post_init__(self) -> None:
        q, reader = self.query, self.reader
        self.conn_id = reader.conns.index(q.conn) if q.conn in reader.conns else -1
        self.topics = topic_ids(reader.topics, q.topic) if q.topic else []
        self.needle, self.raw = text_needle(q.text) if q.text else ("", b"")
        self.body = BodySearch(self.raw)

    def rows(self, rb: Any, hit: _Mask | None = None) -> npt.NDArray[np.int64]:
        """Rows of the record batch ``rb`` the query keeps (0 = its first); ``hit``: its bytes'
        text hits (``BodySearch.hits``), when found already."""
        q = self.query
        col = _Columns(rb)
        mask = field_mask(q, col("kind"), col("direction"), col("conn"), col("topic"), self.conn_id, self.topics)
        if q.text:
            mask = self._text(rb, col, mask, hit)
        if mask is None:
            return np.arange(rb.num_rows, dtype=np.int64)
        return np.flatnonzero(mask).astype(np.int64)

    def _text(self, rb: Any, col: _Columns, pre: _Mask | None, hit: _Mask | None) -> _Mask:
        """``FrameStore._text_mask`` over a record batch: bytes, topic name, then summaries."""
        data = rb.column(DATA)
        if hit is None:
            hit = self.body.hits(data)
        hit |= topic_text_mask(self.reader.topics, self.needle, col("topic"))
        flags = col("flags")
        if self.check_bodies:
            unchecked = np.flatnonzero(unchecked_rows(flags, hit, pre))
            if len(unchecked):
                bad = np.asarray(bad_bodies([data[int(j)].as_py() for j in unchecked]), bool)
                flags = flags.copy()
                flags[unchecked[bad]] |= FLAG_BAD
        kind = col("kind")
        for j in np.flatnonzero(summary_rows(kind, flags, hit, pre)).tolist():
            if self.needle in self._summary(rb, j, int(kind[j]), int(flags[j])).lower():
                hit[j] = True
        return hit if pre is None else (hit & pre)

    def _summary(self, rb: Any, j: int, kind: int, flags: int) -> str:
        data: bytes = rb.column(DATA)[j].as_py()
        session = None
        if kind == KIND_SESSION:
            conn = int(rb.column("conn")[j].as_py())
            name = self.reader.conns[conn] if conn < len(self.reader.conns) else f"#{conn}"
            session = row_event(data, rb.column("t")[j].as_py(), name)
        return row_summary(kind, data, flags, int(rb.column("gap")[j].as_py()), session)[0]


class _Columns:
    """A record batch's fixed-width columns as numpy views of its buffers, each made once."""

    def __init__(self, rb: Any) -> None:
        self._rb = rb
        self._cols: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        col = self._cols.get(name)
        if col is None:
            col = self._cols[name] = self._rb.column(name).to_numpy()
        return col


class BodySearch:
    """Rows of an Arrow binary array whose bytes, ASCII letters lower-cased, contain ``raw``
    (``frame_store.text_needle``: a lower-cased needle's UTF-8).

    ARROW, for an ASCII needle (most): Arrow's substring kernel ignoring case (RE2, no copy, no
    Python per row or match), which in binary data folds ASCII letters only, as ``bytes.lower``
    does (the tests pin that). Any other needle three ways, one answer, each chunk taking the
    way the chunk before it found best. FIND while the needle is rare: ``bytes.find`` jumps from
    one occurrence of its longest run of bytes that lower-casing leaves alone (not a letter) to
    the next, over the bytes as they are, and checks each where the whole needle would lie.
    REGEX (an all-letter needle, or too many occurrences to check one by one): a lower-cased
    copy, one regex pass, at most one match a row. ROWS once most rows match: the same copy,
    searched a row at a time by Arrow's substring kernel, which costs no Python per match.
    """

    ARROW, FIND, REGEX, ROWS = "arrow", "find", "regex", "rows"

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.lower = raw != raw.upper()  # only a needle with letters needs the bytes lower-cased
        runs = re.findall(rb"[^a-z]+", raw)
        self.anchor = max(runs, key=len) if runs else b""
        self.at = raw.find(self.anchor) if runs else 0
        self.way = self.ARROW if raw.isascii() else self.FIND if self.anchor else self.REGEX
        self.pattern = re.compile(re.escape(raw) + b"[^\\xff]*")

    def hits(self, data: Any) -> _Mask:
        n = len(data)
        if not n:
            return np.zeros(0, bool)
        if self.way == self.ARROW:
            found = pc.match_substring(data, self.raw.decode("ascii"), ignore_case=True)
            if found.null_count:  # a null row matches nothing
                found = found.fill_null(False)
            return np.asarray(found.to_numpy(zero_copy_only=False), bool)
        offsets = np.frombuffer(data.buffers()[1], np.int32)[data.offset:data.offset + n + 1].astype(np.int64)
        base = int(offsets[0])
        offsets -= base
        values = memoryview(data.buffers()[2])[base:base + int(offsets[-1])]
        if self.way == self.FIND:
            hit = self._find(bytes(values), offsets, budget=max(64, n // 64))
            if hit is not None:
                return hit
            self.way = self.REGEX
        blob = bytearray(values)
        if self.lower:
            blob = blob.lower()
        if self.way == self.ROWS:
            return self._rows(blob, offsets)
        hit = self._regex(blob, offsets)
        if np.count_nonzero(hit) > n // 4:
            self.way = self.ROWS
        return hit

    def _find(self, blob: bytes, offsets: npt.NDArray[np.int64], budget: int) -> _Mask | None:
        """The FIND way; None when the anchor turns up more than ``budget`` times."""
        raw, anchor, at, size = self.raw, self.anchor, self.at, len(self.raw)
        hit = np.zeros(len(offsets) - 1, bool)
        pos = blob.find(anchor)
        while pos >= 0:
            budget -= 1
            if budget < 0:
                return None
            start = pos - at
            row = int(np.searchsorted(offsets, pos, side="right")) - 1
            first, end = int(offsets[row]), int(offsets[row + 1])
            if first <= start and start + size <= end and blob[start:start + size].lower() == raw:
                hit[row] = True
                pos = blob.find(anchor, end)  # this row is found: on to the next
            else:
                pos = blob.find(anchor, pos + 1)
        return hit

    def _rows(self, blob: bytearray, offsets: npt.NDArray[np.int64]) -> _Mask:
        """The ROWS way, over the lower-cased copy ``blob``."""
        rows = pa.Array.from_buffers(pa.binary(), len(offsets) - 1,
                                     [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(blob)])
        found = pc.match_substring(rows, self.raw.decode("utf-8")).to_numpy(zero_copy_only=False)
        return np.asarray(found, bool)

    def _regex(self, blob: bytearray, offsets: npt.NDArray[np.int64]) -> _Mask:
        """The REGEX way, over the lower-cased copy ``blob`` (whose rows' first bytes it overwrites)."""
        raw = self.raw
        hit = np.zeros(len(offsets) - 1, bool)
        view = np.frombuffer(blob, np.uint8)
        firsts, sizes = offsets[:-1], np.diff(offsets)
        # Matches at a row's first byte, found before the separator below takes its place.
        rows = np.flatnonzero(sizes >= len(raw))
        rows = rows[view[firsts[rows]] == raw[0]]
        for k in range(1, len(raw)):
            rows = rows[view[firsts[rows] + k] == raw[k]]
        hit[rows] = True
        # 0xFF (never in UTF-8, so never in the needle) over each row's first byte: no match
        # crosses rows, and the greedy tail ends each match at its row's end (or at a 0xFF in
        # it), so a row gives one match, or a few, however dense the needle (the ring joins its
        # rows with NUL for the same effect).
        view[firsts[sizes > 0]] = _SEPARATOR
        starts = np.fromiter((m.start() for m in self.pattern.finditer(blob)), np.int64)
        hit[np.searchsorted(offsets, starts, side="right") - 1] = True
        return hit
