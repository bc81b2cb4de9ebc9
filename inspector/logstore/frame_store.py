"""A bounded, compact store of every frame the log has seen (no Qt here).

One ring of parallel ``array`` columns plus a list of the raw ``bytes``; labels
(connections, topics) are interned to small ints. When the ring is full the
oldest frame is overwritten and ``dropped`` grows. Frame numbers are global and
1-based, so a number keeps meaning the same frame after older ones drop.
Selections over many rows (``match``) run on numpy views of the columns.
"""

from __future__ import annotations

import re
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from inspector.lazy_module import lazy_module
from inspector.logstore import session_rows
from inspector.logstore.event_heads import NO_SEQ, HeadFields, head_columns

# the kind values and the view's query live apart: the app's empty log is built before this module loads
from inspector.logstore.query import KIND_EMPTY as KIND_EMPTY
from inspector.logstore.query import KIND_SESSION as KIND_SESSION
from inspector.logstore.query import KIND_TEXT as KIND_TEXT
from inspector.logstore.query import Query as Query
from inspector.protocol import gaps
from inspector.protocol.describe import CONNECTION_KIND
from inspector.protocol.events import IN, OUT, FrameSeen, SessionEvent
from inspector.protocol.frames import (  # the codec's own, used in bulk
    JSON_DECODER,
    TEXT_FRAME_ERROR,
    DecodeError,
    Event,
    Frame,
    Subscribe,
    Unsubscribe,
    is_event_body,
    try_decode,
)
from inspector.protocol.heads import read_head
from inspector.protocol.kinds import Kind, kind_name

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:  # an empty log needs no numpy: the window paints before it loads
    np = lazy_module("numpy")

_NO_GAP = 0
_DIR_CODE = {OUT: 0, IN: 1}
SESSION_DIRECTION = 2  # a connection event's row: neither sent nor received
FLAG_BAD = 1             # undecodable
FLAG_GAP_EXPECTED = 2    # the gap is on a filtered subscription
FLAG_UNCHECKED = 4       # an EVENT read from its head only: the body is checked when first needed
_DIR_NAME = (OUT, IN, "")
_SUMMARY_CACHE = 4096
_TEXT_CHUNK = 65536  # frames joined per regex pass when searching text
STEP_S = 0.004       # ``match_chunks``: the time one step aims at
FIRST_STEP = 2048    # rows in its first step, before any cost is measured
# One row as the frame-by-frame path builds it: t, conn, direction, kind, topic, seq, size, gap, flags, data.
_Row: TypeAlias = tuple[float, int, int, int, int, int, int, int, int, bytes]
_Mask: TypeAlias = "npt.NDArray[np.bool_]"

# The newest rows as columns: (t, conn, direction, kind, data).
TailColumns: TypeAlias = tuple["array[float]", "array[int]", "array[int]", "array[int]", list[bytes]]


def kind_label(kind: int) -> str:
    """Display name for a stored kind value."""
    if kind == KIND_EMPTY:
        return "EMPTY"
    if kind == KIND_TEXT:
        return "TEXT"
    if kind == KIND_SESSION:
        return CONNECTION_KIND
    return kind_name(kind)


class FrameStore:
    def __init__(self, cap: int = 1_000_000) -> None:
        if cap < 1:
            raise ValueError("cap must be at least 1")
        self.cap = cap
        # -- session store hook: gets every batch of new rows (logstore.live_session), or None
        self.row_sink: Callable[[list[Any], Sequence[bytes], list[str], list[str]], None] | None = None
        self.clear()

    # ------------------------------------------------------------ writing

    def clear(self) -> None:
        self._t = array("d")
        self._conn = array("H")
        self._dir = array("b")
        self._kind = array("h")
        self._topic = array("i")     # index into _topics, 0 = no topic
        self._seq = array("q")
        self._size = array("i")
        self._gap = array("q")       # seq jump (0 = none)
        self._flags = array("b")     # FLAG_BAD, FLAG_GAP_EXPECTED, FLAG_UNCHECKED
        self._data: list[bytes] = []
        self._head = 0               # physical index of the oldest frame once full
        self.dropped = 0
        self._conns: list[str] = []
        self._conn_ids: dict[str, int] = {}
        self._topics: list[str] = [""]
        self._topic_ids: dict[str, int] = {"": 0}
        self._seq_gaps = gaps.SeqGaps()  # keyed by (conn, topic) ids
        self._summaries: dict[int, str] = {}
        self._session_numbers: list[int] = []  # numbers of connection-event rows, ascending
        self.sessions_added = 0      # connection-event rows since the last clear, dropped ones too
        self._data_from = 1          # rows numbered below this have given up their bytes (``evict_data``)

    def append(self, ev: FrameSeen) -> None:
        self.extend((ev,))

    def extend(self, events: Iterable[FrameSeen]) -> None:
        """Append many frames: the one way received and sent frames enter the store.

        A batch of only EVENTs goes in as numpy columns (``_extend_events``, the flood path);
        any other batch a row at a time (``_row``). Both read a frame alike: an EVENT the sender
        did not decode (``frame`` None) by its head only (``FrameSeen.head``, else ``read_head``),
        its body checked later (``FLAG_UNCHECKED``) when the row is painted, summarised or searched.
        """
        if type(events) is not list:
            events = list(events)
        if not events or self._extend_events(events):
            return
        rows: list[_Row] = []
        add = rows.append
        conn_ids = self._conn_ids
        row = self._row
        last_conn, ci = None, 0
        for ev in events:
            conn = ev.conn
            if conn is not last_conn:
                known = conn_ids.get(conn)
                ci = self._label_id(conn_ids, self._conns, conn) if known is None else known
                last_conn = conn
            add(row(ev, ci, 0 if ev.direction == OUT else 1))
        cols = list(zip(*rows, strict=True))
        self._put([array(col.typecode, values) for col, values in zip(self._columns(), cols, strict=False)], cols[9])
        if len(self._summaries) > _SUMMARY_CACHE:
            self._summaries.clear()

    def add_session(self, ev: SessionEvent) -> None:
        """A connection event as a row of its own (``session_rows.is_row``). Rare, so one row at
        a time, beside the frame paths rather than in them."""
        if not session_rows.is_row(ev):
            return
        data = session_rows.row_bytes(ev)
        ci = self._label_id(self._conn_ids, self._conns, ev.conn)
        ti = self._label_id(self._topic_ids, self._topics, session_rows.row_topic(ev))
        row = (ev.t, ci, SESSION_DIRECTION, KIND_SESSION, ti, NO_SEQ, len(data), _NO_GAP, 0)
        self._put([array(col.typecode, (v,)) for col, v in zip(self._columns(), row, strict=True)], [data])
        self._session_numbers.append(self.end_number - 1)
        self.sessions_added += 1

    def _event_row(self, t: float, ci: int, d: int, kind: int, topic: str, type_: str, seq: int | None,
                   flags: int, data: bytes) -> _Row:
        ti = self._topic_ids.get(topic)
        if ti is None:
            ti = self._label_id(self._topic_ids, self._topics, topic)
        gap = _NO_GAP
        if seq is None or not NO_SEQ < seq < 2**63:  # no seq, or one no column holds
            seq = NO_SEQ
        elif type_ == "message":
            gap, expected = self._seq_gaps.message((ci, ti), seq)
            if expected:
                flags |= FLAG_GAP_EXPECTED
        return (t, ci, d, kind, ti, seq, len(data), gap, flags, data)

    def _extend_events(self, events: list[FrameSeen]) -> bool:
        """The flood path: a batch of only EVENTs (decoded by the client, or not and read by
        the client or ``read_head``) goes in as numpy columns, without a row tuple or seq lookup
        per frame; the same rows as ``_row`` gives them. False = not such a batch, nothing done.
        Kept for bench/bench_log.py's "log path (ingest+flush)" line and bench/bench_flood.py's."""
        n = len(events)
        if n < VECTOR_MIN or any([e.text for e in events]):
            return False
        datas = [e.data for e in events]
        if set(map(type, datas)) != _ONLY_BYTES:
            return False
        frames = [e.frame for e in events]
        undecoded = frames.count(None)
        read: Sequence[HeadFields | None] = [e.head for e in events]  # the heads the client read already
        if undecoded == n:
            flags = np.full(n, FLAG_UNCHECKED, np.int8)
        elif undecoded + list(map(type, frames)).count(Event) == n:
            flags = np.array([f is None for f in frames], np.int8) * np.int8(FLAG_UNCHECKED)
        else:
            return False
        if read.count(None):  # ``_head_of`` written out: no call per frame
            read = [f if type(f) is Event else h if h is not None else read_head(d) if f is None else None
                    for f, h, d in zip(frames, read, datas, strict=True)]
        heads = [h for h in read if h is not None]
        if len(heads) != n:
            return False
        lens = np.fromiter(map(len, datas), np.int64, n)
        if not lens.all():
            return False
        local_topic, seq, is_msg, topic_names = head_columns(heads)
        t = [e.t for e in events]
        conns = [e.conn for e in events]
        dirs = [e.direction for e in events]
        if conns.count(conns[0]) == n:
            conn = np.full(n, self._label_id(self._conn_ids, self._conns, conns[0]), np.uint16)
        else:
            conn = np.fromiter((self._label_id(self._conn_ids, self._conns, c) for c in conns), np.uint16, n)
        ids = np.array([self._label_id(self._topic_ids, self._topics, name) for name in topic_names], np.int32)
        topic = ids[local_topic]
        outs = dirs.count(OUT)
        direction = (np.zeros(n, np.int8) if outs == n else np.ones(n, np.int8) if not outs
                     else np.fromiter((0 if d == OUT else 1 for d in dirs), np.int8, n))
        gap = np.zeros(n, np.int64)
        self._gaps(conn, topic, seq, is_msg, gap, flags)
        self._put([np.array(t, np.float64), conn, direction, np.full(n, Kind.EVENT, np.int16), topic, seq, lens, gap,
                   flags], datas)
        if len(self._summaries) > _SUMMARY_CACHE:
            self._summaries.clear()
        return True

    def _gaps(self, conn: npt.NDArray[np.uint16], topic: npt.NDArray[np.int32], seq: np.ndarray, is_msg: np.ndarray,
              gap: npt.NDArray[np.int64], flags: npt.NDArray[np.int8]) -> None:
        """Seq jumps of the batch's messages per (connection, topic), carried on from earlier
        batches, exactly as the frame-by-frame path finds them."""
        rows = np.flatnonzero(is_msg & (seq != NO_SEQ))
        if not len(rows):
            return
        tracker = self._seq_gaps
        key = conn[rows].astype(np.int64) << 32 | topic[rows].astype(np.int64)
        for k in np.unique(key).tolist():
            sub = rows[key == k]
            s = seq[sub]
            pair = (k >> 32, k & 0xFFFFFFFF)
            prev = np.empty_like(s)
            prev[1:] = s[:-1]
            prev[0] = tracker.before(pair, int(s[0]))
            jump = gaps.jump(prev, s)
            gap[sub] = jump
            flags[sub[gaps.expected(jump, tracker.is_filtered(pair))]] |= FLAG_GAP_EXPECTED
            tracker.ran_to(pair, int(s[-1]))

    def _put(self, values: Sequence[array[Any] | np.ndarray], data: Sequence[bytes]) -> None:
        """The one way rows enter the ring: ``values`` holds each column's new entries, in
        ``_columns`` order (an ``array`` of the column's type or a numpy array), ``data``
        the frames' bytes. When the ring is full the oldest rows are overwritten."""
        cols = self._columns()
        arrays = [v if type(v) is array else array(col.typecode, np.asarray(v, _DTYPES[col.typecode]).tobytes())
                  for col, v in zip(cols, values, strict=True)]
        if self.row_sink is not None:  # -- session store hook: the same columns, before the ring changes
            self.row_sink(arrays, data, self._conns, self._topics)
        n = len(data)
        kept, cap = len(self._data), self.cap
        if n >= cap:  # only the newest cap rows survive: start the ring afresh
            skip = n - cap
            for col, v in zip(cols, arrays, strict=True):
                del col[:]
                col.extend(v[skip:] if skip else v)
            self._data = list(data[skip:])
            self.dropped += kept + skip
            self._head = 0
            return
        fit = min(n, cap - kept)
        if fit:
            for col, v in zip(cols, arrays, strict=True):
                col.extend(v if fit == n else v[:fit])
            self._data.extend(data if fit == n else data[:fit])
        j = fit
        while j < n:  # the ring wraps: overwrite the oldest rows in place, a run at a time
            p = self._head
            k = min(n - j, cap - p)
            for col, v in zip(cols, arrays, strict=True):
                col[p:p + k] = v[j:j + k]
            self._data[p:p + k] = data[j:j + k]
            self._head = (p + k) % cap
            self.dropped += k
            j += k

    def _columns(self) -> tuple[array[Any], ...]:  # float and int columns
        return (self._t, self._conn, self._dir, self._kind, self._topic, self._seq, self._size, self._gap,
                self._flags)

    def _row(self, ev: FrameSeen, ci: int, d: int) -> _Row:
        """One frame's row: an EVENT by its head (``_head_of``), anything else decoded if the
        sender did not."""
        data = ev.data
        if type(data) is not bytes:
            data = _as_bytes(data)
        if ev.text or not data:
            ti = self._label_id(self._topic_ids, self._topics, "")
            return (ev.t, ci, d, KIND_TEXT if ev.text else KIND_EMPTY, ti, NO_SEQ, len(data), _NO_GAP, FLAG_BAD, data)
        head = _head_of(ev, data)
        if head is not None:
            flags = FLAG_UNCHECKED if ev.frame is None else 0
            return self._event_row(ev.t, ci, d, data[0], head.topic, head.type, head.seq, flags, data)
        frame = ev.frame if ev.frame is not None else try_decode(data)
        flags = FLAG_BAD if isinstance(frame, DecodeError) else 0
        if isinstance(frame, Event):
            return self._event_row(ev.t, ci, d, data[0], frame.topic, frame.type, frame.seq, flags, data)
        topic = frame.topic if isinstance(frame, (Subscribe, Unsubscribe)) else ""
        ti = self._label_id(self._topic_ids, self._topics, topic)
        if isinstance(frame, Subscribe):
            self._seq_gaps.subscribed((ci, ti), bool(frame.filter))
        return (ev.t, ci, d, data[0], ti, NO_SEQ, len(data), _NO_GAP, flags, data)

    def extend_rows(self, t: np.ndarray, conns: Sequence[str], conn: np.ndarray, direction: np.ndarray,
                    kind: np.ndarray, topics: Sequence[str], topic: np.ndarray, seq: np.ndarray, size: np.ndarray,
                    gap: np.ndarray, flags: np.ndarray, data: Sequence[bytes]) -> None:
        """Append prepared rows in bulk (an opened recording), without per-row Python.

        Numpy columns, one entry per frame: ``conn`` / ``topic`` index the label lists
        ``conns`` / ``topics``; ``direction`` 0 = OUT, 1 = IN; ``kind`` as stored (KIND_TEXT,
        KIND_EMPTY); ``seq`` NO_SEQ when none; ``gap`` and ``flags`` as ``extend`` computes
        them; ``data`` a list of bytes. The seq-gap state of ``extend`` is left alone.
        """
        n = len(data)
        if not n:
            return
        conn_map = np.array([self._label_id(self._conn_ids, self._conns, c) for c in conns], np.uint16)
        topic_map = np.array([self._label_id(self._topic_ids, self._topics, x) for x in topics], np.int32)
        cols = [t, conn_map[np.asarray(conn)], direction, kind, topic_map[np.asarray(topic)], seq, size, gap, flags]
        first = self.end_number
        self._put(cols, data)
        sessions = (np.flatnonzero(np.asarray(kind) == KIND_SESSION) + first).tolist()
        self._session_numbers.extend(sessions)
        self.sessions_added += len(sessions)
        self._summaries.clear()

    @staticmethod
    def _label_id(ids: dict[str, int], labels: list[str], label: str) -> int:
        i = ids.get(label)
        if i is None:
            i = ids[label] = len(labels)
            labels.append(label)
        return i

    # ------------------------------------------------------------ bounds (a session store backs the ring)

    def set_cap(self, cap: int) -> None:
        """Hold at most ``cap`` rows from now on; a smaller cap drops the oldest rows now."""
        if cap < 1:
            raise ValueError("cap must be at least 1")
        if self._head:  # unroll the ring so its physical order is its logical order
            h = self._head
            for col in self._columns():
                col[:] = col[h:] + col[:h]
            self._data = self._data[h:] + self._data[:h]
            self._head = 0
        extra = len(self._data) - cap
        if extra > 0:
            for col in self._columns():
                del col[:extra]
            del self._data[:extra]
            self.dropped += extra
        self.cap = cap

    @property
    def data_from(self) -> int:
        """The oldest kept row whose bytes the ring still holds (``evict_data`` gave up older ones)."""
        return max(self._data_from, self.first_number)

    def evict_data(self, before: int) -> None:
        """Give up the bytes of kept rows numbered below ``before`` (they are on disk): their other
        columns stay, ``data`` of them is empty from now on."""
        start = self.data_from
        end = min(before, self.end_number)
        if end <= start:
            return
        first, n = self.first_number, len(self._data)
        for a, b in self._runs(start - first, end - first, n):
            self._data[a:b] = _NO_BYTES * (b - a)
        self._data_from = end

    def data_bytes(self) -> int:
        """Bytes of the frames the ring still holds (from ``data_from`` on)."""
        first, n = self.first_number, len(self._data)
        sizes = np.frombuffer(self._size, np.int32)
        return sum(int(sizes[a:b].sum(dtype=np.int64)) for a, b in self._runs(self.data_from - first, n, n))

    def number_holding(self, budget: int) -> int:
        """The oldest number from which the rows' bytes together take at most ``budget`` bytes."""
        first, n = self.first_number, len(self._data)
        start = self.data_from - first
        if start >= n:
            return self.end_number
        sizes = np.concatenate([np.frombuffer(self._size, np.int32)[a:b] for a, b in self._runs(start, n, n)])
        after = np.cumsum(sizes[::-1], dtype=np.int64)  # bytes from each row to the newest, newest first
        keep = int(np.searchsorted(after, budget, side="right"))
        return self.end_number - keep

    # ------------------------------------------------------------ reading (i = 0 is the oldest kept)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def session_count(self) -> int:
        """Connection-event rows kept."""
        numbers = self._session_numbers
        if numbers and numbers[0] <= self.dropped:
            del numbers[:bisect_left(numbers, self.dropped + 1)]
        return len(numbers)

    @property
    def frame_count(self) -> int:
        """Frames kept (rows that are not connection events)."""
        return len(self._data) - self.session_count

    @property
    def first_number(self) -> int:
        """Number of the oldest kept frame (numbers start at 1)."""
        return self.dropped + 1

    @property
    def end_number(self) -> int:
        """One past the newest frame's number."""
        return self.dropped + len(self._data) + 1

    def index_of(self, number: int) -> int | None:
        i = number - self.dropped - 1
        return i if 0 <= i < len(self._data) else None

    def _p(self, i: int) -> int:
        n = len(self._data)
        if not -n <= i < n:
            raise IndexError(f"frame index {i} out of range ({n} kept)")
        if i < 0:
            i += n
        return (self._head + i) % self.cap

    def number(self, i: int) -> int:
        self._p(i)
        return self.dropped + (i % len(self._data)) + 1

    def t(self, i: int) -> float:
        return self._t[self._p(i)]

    def conn(self, i: int) -> str:
        return self._conns[self._conn[self._p(i)]]

    def direction(self, i: int) -> str:
        return _DIR_NAME[self._dir[self._p(i)]]

    def kind(self, i: int) -> int:
        return self._kind[self._p(i)]

    def topic(self, i: int) -> str:
        return self._topics[self._topic[self._p(i)]]

    def seq(self, i: int) -> int | None:
        s = self._seq[self._p(i)]
        return None if s == NO_SEQ else s

    def size(self, i: int) -> int:
        return self._size[self._p(i)]

    def data(self, i: int) -> bytes:
        return self._data[self._p(i)]

    def is_text(self, i: int) -> bool:
        return self._kind[self._p(i)] == KIND_TEXT

    def is_session(self, i: int) -> bool:
        return self._kind[self._p(i)] == KIND_SESSION

    def session_event(self, i: int) -> SessionEvent | None:
        """The connection event of a KIND_SESSION row, exactly as it was added."""
        p = self._p(i)
        return session_rows.row_event(self._data[p], self._t[p], self._conns[self._conn[p]])

    def undecodable(self, i: int) -> bool:
        p = self._p(i)
        flags = self._flags[p]
        if flags & FLAG_UNCHECKED:
            flags = self._check(p)
        return bool(flags & FLAG_BAD)

    def _check_many(self, ps: list[int]) -> None:
        """``_check`` for many rows at once (``bad_bodies``)."""
        data, flags = self._data, self._flags
        for p, bad in zip(ps, bad_bodies([data[p] for p in ps]), strict=True):
            flags[p] = (flags[p] & ~FLAG_UNCHECKED) | (FLAG_BAD if bad else 0)

    def _check(self, p: int, frame: Frame | DecodeError | None = None) -> int:
        """Decode an unchecked row's body once and settle its undecodable flag."""
        flags = checked_flags(self._flags[p], try_decode(self._data[p]) if frame is None else frame)
        self._flags[p] = flags
        return flags

    def gap(self, i: int) -> int | None:
        """Seq jump before this message on its topic and connection: >0 missing, <0 went back."""
        g = self._gap[self._p(i)]
        return None if g == _NO_GAP else g

    def gap_expected(self, i: int) -> bool:
        """The gap is on a filtered subscription, where the spec says gaps are normal."""
        return bool(self._flags[self._p(i)] & FLAG_GAP_EXPECTED)

    def summary(self, i: int) -> str:
        p = self._p(i)
        number = self.number(i)
        cached = self._summaries.get(number)
        if cached is not None:
            return cached
        kind = self._kind[p]
        event = self.session_event(i) if kind == KIND_SESSION else None
        body, self._flags[p] = row_summary(kind, self._data[p], self._flags[p], self._gap[p], event)
        self._summaries[number] = body
        return body

    def event(self, i: int) -> SessionEvent:
        """The row as a session event again (for export and copy): a frame, or the connection event."""
        p = self._p(i)
        return row_as_event(self._kind[p], self._data[p], self._t[p], self._conns[self._conn[p]], self._dir[p])

    @property
    def conns(self) -> list[str]:
        return list(self._conns)

    def tail_columns(self, n: int) -> TailColumns:
        """The newest ``n`` kept rows as columns, oldest first: ``(t, conn, direction, kind, data)``,
        arrays copied out of the ring (``conn`` indexes ``conns``, ``direction`` 0 = OUT) and a
        list of the bytes. What a recorder reads after a flush: no per-row Python."""
        size = len(self._data)
        if not 0 < n <= size:
            raise ValueError(f"cannot take the last {n} of {size} rows")
        p = (self._head + size - n) % self.cap
        q = p + n
        t, conn, direction, kind, data = self._t, self._conn, self._dir, self._kind, self._data
        if q <= self.cap:
            return t[p:q], conn[p:q], direction[p:q], kind[p:q], data[p:q]
        q -= self.cap  # the ring wraps: two runs
        return (t[p:] + t[:q], conn[p:] + conn[:q], direction[p:] + direction[:q], kind[p:] + kind[:q],
                data[p:] + data[:q])

    @property
    def topics(self) -> list[str]:
        return self._topics[1:]

    # ------------------------------------------------------------ selections

    def match(self, q: Query, lo: int | None = None, hi: int | None = None) -> npt.NDArray[np.int64]:
        """Numbers (int64, ascending) of kept frames in [lo, hi) that ``q`` keeps."""
        first, end = self.first_number, self.end_number
        lo = first if lo is None else max(lo, first)
        hi = end if hi is None else min(hi, end)
        if hi <= lo:
            return np.empty(0, np.int64)
        i0, i1 = lo - first, hi - first
        out: list[npt.NDArray[np.int64]] = []
        n = len(self._data)
        # The logical range maps onto at most two physical runs of the ring.
        for a, b in self._runs(i0, i1, n):
            mask = self._mask(q, a, b)
            if q.text:
                mask = self._text_mask(q.text, a, b, mask)
            idx = np.flatnonzero(mask) if mask is not None else np.arange(b - a)
            logical = (idx + a - self._head) % n if n == self.cap else idx + a
            out.append(logical.astype(np.int64) + first)
        res = np.concatenate(out) if out else np.empty(0, np.int64)
        return res

    def match_chunks(self, q: Query, lo: int | None = None, hi: int | None = None
                     ) -> Iterator[tuple[int, int, npt.NDArray[np.int64]]]:
        """``match`` in steps of about ``STEP_S`` each: (rows done, rows in all, the step's
        numbers ascending). Each step is sized from the cost of the one before: a field filter
        takes the whole ring in a step or two; a first text search, which decodes bodies read by
        their head only (microseconds a row), a few thousand rows a step."""
        first, end = self.first_number, self.end_number
        lo = first if lo is None else max(lo, first)
        hi = end if hi is None else min(hi, end)
        total, a, step = max(0, hi - lo), lo, FIRST_STEP
        while a < hi:
            b = min(hi, a + step)
            t0 = time.perf_counter()
            numbers = self.match(q, a, b)  # rows dropped off the ring meanwhile are skipped
            spent = time.perf_counter() - t0
            step = max(FIRST_STEP // 2, min(1 << 20, int((b - a) * STEP_S / spent) if spent > 0 else 1 << 20))
            a = b
            yield a - lo, total, numbers

    def _runs(self, i0: int, i1: int, n: int) -> list[tuple[int, int]]:
        if n < self.cap or self._head == 0:
            return [(i0, i1)]
        runs: list[tuple[int, int]] = []
        h = self._head
        a, b = h + i0, h + i1
        if a < n:
            runs.append((a, min(b, n)))
        if b > n:
            runs.append((max(a, n) - n, b - n))
        return runs

    def _mask(self, q: Query, a: int, b: int) -> _Mask | None:
        return field_mask(q, self._column(self._kind, a, b), self._column(self._dir, a, b),
                          self._column(self._conn, a, b), self._column(self._topic, a, b),
                          self._conn_ids.get(q.conn, -1) if q.conn is not None else -1,
                          topic_ids(self._topics, q.topic, self._topic_ids) if q.topic else [])

    def topic_ids(self, pattern: str) -> list[int]:
        return topic_ids(self._topics, pattern, self._topic_ids)

    @staticmethod
    def _column(col: array[Any], a: int, b: int) -> np.ndarray:
        return np.frombuffer(col, _DTYPES[col.typecode])[a:b]

    def _text_mask(self, text: str, a: int, b: int, pre: _Mask | None) -> _Mask:
        """Physical rows [a, b) whose topic, body or summary contains ``text`` (``text_needle``),
        restricted to ``pre``. Bodies are searched in joined chunks by one regex pass, not
        frame by frame."""
        needle, raw = text_needle(text)
        hit = np.zeros(b - a, bool)
        if b"\0" in raw:  # cannot use NUL as the chunk separator: the slow way
            for p in range(a, b):
                hit[p - a] = raw in self._data[p].lower()
        else:
            # Greedy tail: one match per frame at most, never crossing a separator.
            pattern = re.compile(re.escape(raw) + b"[^\0]*")
            for c0 in range(a, b, _TEXT_CHUNK):
                c1 = min(b, c0 + _TEXT_CHUNK)
                blob = b"\0".join(self._data[c0:c1]).lower()
                ends = np.cumsum(self._column(self._size, c0, c1).astype(np.int64) + 1) - 1
                starts = [m.start() for m in pattern.finditer(blob)]
                if starts:
                    hit[np.searchsorted(ends, starts, side="right") + (c0 - a)] = True
        hit |= topic_text_mask(self._topics, needle, self._column(self._topic, a, b))
        # Bodies not checked yet are checked now (once), unless the row is a hit already. No
        # view of a column is held meanwhile: a decode error caught below keeps this frame (its
        # traceback, in a cycle) until the collector runs, and a column with a view alive cannot
        # grow (BufferError on the next extend).
        self._check_many((np.flatnonzero(unchecked_rows(self._column(self._flags, a, b), hit, pre)) + a).tolist())
        flags = self._column(self._flags, a, b).copy()
        n, head = len(self._data), self._head
        for j in np.flatnonzero(summary_rows(self._column(self._kind, a, b), flags, hit, pre)).tolist():
            p = a + j
            i = (p - head) % n if n == self.cap else p
            if needle in self.summary(i).lower():
                hit[j] = True
        return hit if pre is None else (hit & pre)


# ---------------------------------------------------------------- what a Query keeps, for any rows
# The ring (FrameStore.match) and the session store (store_scan) both select with these.

def text_needle(text: str) -> tuple[str, bytes]:
    """What a text search looks for: ``text`` lower-cased (``str.lower``), matched in a topic or
    summary lower-cased alike, and its UTF-8 bytes, matched in a body whose ASCII letters are
    lower-cased (``bytes.lower``)."""
    needle = text.lower()
    return needle, needle.encode("utf-8")


def topic_ids(names: Sequence[str], pattern: str, index: Mapping[str, int] | None = None) -> list[int]:
    """Ids (indexes into ``names``) of the topics ``pattern`` names: exactly, or those starting
    with it when it ends with "*". The empty topic (a row without one) is never named. ``index``,
    names to ids, finds an exact name without a pass over them all."""
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return [i for i, t in enumerate(names) if t and t.startswith(prefix)]
    if not pattern:
        return []
    if index is not None:
        i = index.get(pattern)
        return [] if i is None else [i]
    return [i for i, t in enumerate(names) if t == pattern]


def field_mask(q: Query, kind: np.ndarray, direction: np.ndarray, conn: np.ndarray, topic: np.ndarray,
               conn_id: int, topics: list[int]) -> _Mask | None:
    """Rows ``q`` keeps by their columns (everything but ``q.text``); None: every row.
    ``conn_id`` is the id of ``q.conn`` (-1: none has it), ``topics`` those ``q.topic`` names."""
    mask: _Mask | None = None

    def both(m: _Mask) -> _Mask:
        return m if mask is None else (mask & m)

    if q.kinds is not None:
        mask = both(np.isin(kind, np.fromiter(q.kinds, np.int16, len(q.kinds))))
    if q.direction is not None:
        mask = both(direction == _DIR_CODE.get(q.direction, 1))
    if q.conn is not None:
        mask = both(conn == conn_id)
    if q.topic:
        mask = both(np.isin(topic, np.asarray(topics, np.int32)))
    return mask


def topic_text_mask(names: Sequence[str], needle: str, topic: np.ndarray) -> _Mask:
    """Rows whose topic name contains ``needle`` (``text_needle``)."""
    ids = [i for i, t in enumerate(names) if t and needle in t.lower()]
    return np.isin(topic, np.asarray(ids, np.int32)) if ids else np.zeros(len(topic), bool)


def unchecked_rows(flags: np.ndarray, hit: _Mask, pre: _Mask | None) -> _Mask:
    """Rows read by their head only (FLAG_UNCHECKED) that a text search must decode: not a hit
    already, and kept by the rest of the query."""
    rows = ((flags & FLAG_UNCHECKED) > 0) & ~hit
    return rows if pre is None else (rows & pre)


def summary_rows(kind: np.ndarray, flags: np.ndarray, hit: _Mask, pre: _Mask | None) -> _Mask:
    """Rows a text search matches on their summary (``row_summary``), not their bytes: PING and
    PONG (shown as hex), undecodable frames (shown with the reason) and connection events, whose
    stored fields never match (``hit`` loses them, in place). ``flags`` as settled by decoding."""
    session: _Mask = kind == KIND_SESSION
    hit &= ~session
    rows: _Mask = (kind == Kind.PING) | (kind == Kind.PONG) | ((flags & FLAG_BAD) > 0) | session
    rows &= ~hit
    return rows if pre is None else (rows & pre)


def bad_bodies(data: Sequence[bytes]) -> list[bool]:
    """Whether each EVENT read by its head only is undecodable, the codec's verdict: each chunk's
    bodies parsed as one JSON array (C speed). Each body is one whole JSON object (``read_head``
    parsed it), so element k is row k's body; any error, or a body that is not plainly an
    event's: those rows one by one (``try_decode``)."""
    out: list[bool] = []
    for c in range(0, len(data), _CHECK_CHUNK):
        chunk = data[c:c + _CHECK_CHUNK]
        try:
            bodies = _BODY_DECODER.decode("[" + b",".join([d[1:] for d in chunk]).decode("utf-8") + "]")
        except (ValueError, RecursionError):
            bodies = None
        if bodies is None or len(bodies) != len(chunk):
            out += [isinstance(try_decode(d), DecodeError) for d in chunk]
            continue
        out += [not is_event_body(body) and isinstance(try_decode(d), DecodeError)
                for d, body in zip(chunk, bodies, strict=True)]
    return out


VECTOR_MIN = 64  # smaller batches: the frame-by-frame path is as quick
_ONLY_BYTES = {bytes}
_NO_BYTES = [b""]
# dtype names, not numpy's types: this module loads before numpy does
_DTYPES = {"d": "float64", "H": "uint16", "b": "int8", "h": "int16", "i": "int32", "q": "int64"}


_CHECK_CHUNK = 4096
_BODY_DECODER = JSON_DECODER  # the codec's own (NaN and Infinity are not JSON)


def checked_flags(flags: int, frame: Frame | DecodeError) -> int:
    """A row's flags once its body has been decoded: no longer unchecked, bad if it did not decode."""
    flags &= ~FLAG_UNCHECKED
    return flags | FLAG_BAD if isinstance(frame, DecodeError) else flags


def row_summary(kind: int, data: bytes, flags: int, gap: int, event: SessionEvent | None) -> tuple[str, int]:
    """A row's Summary text, and its flags with an unchecked body checked on the way; ``event``
    is a connection-event row's event. The one description of a row, wherever it is kept."""
    if kind == KIND_SESSION:
        body = session_rows.row_summary(event)
    elif kind == KIND_TEXT:
        body = f"undecodable: {TEXT_FRAME_ERROR}: " + _clip(data.decode("utf-8", "replace"), 80)
    elif kind == KIND_EMPTY:
        body = "undecodable: empty frame"
    else:
        from inspector.protocol.summaries import summarize_bytes  # a row is painted after the first paint

        body, bad = summarize_bytes(data)
        if flags & FLAG_UNCHECKED:
            flags = (flags & ~FLAG_UNCHECKED) | (FLAG_BAD if bad else 0)
    if gap > 0:
        body = (f"gap {gap} (filtered) " if flags & FLAG_GAP_EXPECTED else f"⚠ gap {gap} ") + body
    elif gap < 0:
        body = f"⚠ seq back {-gap} " + body
    return body, flags


def row_as_event(kind: int, data: bytes, t: float, conn: str, direction: int) -> SessionEvent:
    """A row as the session event it was (for export and copy): a frame, or the connection event."""
    if kind == KIND_SESSION:
        ev = session_rows.row_event(data, t, conn)
        if ev is not None:
            return ev
    return FrameSeen(conn, t, _DIR_NAME[direction], data, None, kind == KIND_TEXT)


def _head_of(ev: FrameSeen, data: bytes) -> HeadFields | None:
    """An EVENT's topic, type and seq, as the sender gave them (its head, or its decoded Event)
    or read from the bytes when it did neither; None when neither says (decode the frame)."""
    frame = ev.frame
    if frame is None:
        return ev.head if ev.head is not None else read_head(data)
    return frame if type(frame) is Event else None


def _as_bytes(data: str | Iterable[int]) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8", "replace")
    try:
        return bytes(data)
    except TypeError:  # nothing sensible to show; keep the row, not the crash
        return b""


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
