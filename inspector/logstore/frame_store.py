"""A bounded, compact store of every frame the log has seen (no Qt here).

One ring of parallel ``array`` columns plus a list of the raw ``bytes``; labels
(connections, topics) are interned to small ints. When the ring is full the
oldest frame is overwritten and ``dropped`` grows. Frame numbers are global and
1-based, so a number keeps meaning the same frame after older ones drop.
Selections over many rows (``match``) run on numpy views of the columns.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from inspector.lazy_module import lazy_module
from inspector.logstore import session_rows
from inspector.logstore.event_heads import NO_SEQ, HeadFields, head_columns
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
    summarize,
    try_decode,
)
from inspector.protocol.heads import read_head
from inspector.protocol.kinds import Kind, kind_name

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:  # an empty log needs no numpy: the window paints before it loads
    np = lazy_module("numpy")

KIND_EMPTY = -1  # an empty message: no kind byte
KIND_TEXT = -2   # a text frame: never valid in this protocol
KIND_SESSION = -3  # a connection event (state, subscription, missed PONG): a row, not a frame
_NO_GAP = 0
_DIR_CODE = {OUT: 0, IN: 1}
SESSION_DIRECTION = 2  # a connection event's row: neither sent nor received
FLAG_BAD = 1             # undecodable
FLAG_GAP_EXPECTED = 2    # the gap is on a filtered subscription
FLAG_UNCHECKED = 4       # an EVENT read from its head only: the body is checked when first needed
_DIR_NAME = (OUT, IN, "")
_SUMMARY_CACHE = 4096
_TEXT_CHUNK = 65536  # frames joined per regex pass when searching text
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


@dataclass(frozen=True)
class Query:
    """What a filtered view keeps; ``None`` / empty means "any"."""

    kinds: frozenset[int] | None = None   # stored kind values
    direction: str | None = None          # IN or OUT
    conn: str | None = None
    topic: str = ""                        # exact, or a prefix when it ends with "*"
    text: str = ""                         # case-insensitive, in topic or body

    @property
    def is_all(self) -> bool:
        return self.kinds is None and self.direction is None and self.conn is None and not self.topic and not self.text


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
        self._session_numbers.extend((np.flatnonzero(np.asarray(kind) == KIND_SESSION) + first).tolist())
        self._summaries.clear()

    @staticmethod
    def _label_id(ids: dict[str, int], labels: list[str], label: str) -> int:
        i = ids.get(label)
        if i is None:
            i = ids[label] = len(labels)
            labels.append(label)
        return i

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
        """``_check`` for many rows: each chunk's bodies parsed as one JSON array (C speed).
        Each unchecked body is one whole JSON object (``read_head`` parsed it), so element k
        is row k's body; any error: the rows one by one."""
        data, flags = self._data, self._flags
        for c in range(0, len(ps), _CHECK_CHUNK):
            chunk = ps[c:c + _CHECK_CHUNK]
            try:
                bodies = _BODY_DECODER.decode("[" + b",".join([data[p][1:] for p in chunk]).decode("utf-8") + "]")
            except (ValueError, RecursionError):
                bodies = None
            if bodies is None or len(bodies) != len(chunk):
                for p in chunk:
                    self._check(p)
                continue
            for p, body in zip(chunk, bodies, strict=False):
                if is_event_body(body):
                    flags[p] &= ~FLAG_UNCHECKED
                else:
                    self._check(p)  # the codec's verdict and message

    def _check(self, p: int, frame: Frame | DecodeError | None = None) -> int:
        """Decode an unchecked row's body once and settle its undecodable flag."""
        if frame is None:
            frame = try_decode(self._data[p])
        flags = self._flags[p] & ~FLAG_UNCHECKED
        if isinstance(frame, DecodeError):
            flags |= FLAG_BAD
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
        kind, data = self._kind[p], self._data[p]
        if kind == KIND_SESSION:
            body = session_rows.row_summary(self.session_event(i))
        elif kind == KIND_TEXT:
            text = data.decode("utf-8", "replace")
            body = f"undecodable: {TEXT_FRAME_ERROR}: " + _clip(text, 80)
        elif kind == KIND_EMPTY:
            body = "undecodable: empty frame"
        else:
            frame = try_decode(data)
            if self._flags[p] & FLAG_UNCHECKED:
                self._check(p, frame)
            body = summarize(frame, len(data))
        g = self._gap[p]
        if g > 0:
            body = (f"gap {g} (filtered) " if self._flags[p] & FLAG_GAP_EXPECTED else f"⚠ gap {g} ") + body
        elif g < 0:
            body = f"⚠ seq back {-g} " + body
        self._summaries[number] = body
        return body

    def event(self, i: int) -> SessionEvent:
        """The row as a session event again (for export and copy): a frame, or the connection event."""
        p = self._p(i)
        if self._kind[p] == KIND_SESSION:
            ev = self.session_event(i)
            if ev is not None:
                return ev
        return FrameSeen(self._conns[self._conn[p]], self._t[p], _DIR_NAME[self._dir[p]], self._data[p],
                         None, self._kind[p] == KIND_TEXT)

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
        mask: _Mask | None = None

        def both(m: _Mask) -> _Mask:
            return m if mask is None else (mask & m)

        if q.kinds is not None:
            kinds = np.frombuffer(self._kind, np.int16)[a:b]
            mask = both(np.isin(kinds, np.fromiter(q.kinds, np.int16, len(q.kinds))))
        if q.direction is not None:
            dirs = np.frombuffer(self._dir, np.int8)[a:b]
            mask = both(dirs == _DIR_CODE.get(q.direction, 1))
        if q.conn is not None:
            ci = self._conn_ids.get(q.conn, -1)
            mask = both(np.frombuffer(self._conn, np.uint16)[a:b] == ci)
        if q.topic:
            ids = self.topic_ids(q.topic)
            topics = np.frombuffer(self._topic, np.int32)[a:b]
            mask = both(np.isin(topics, np.fromiter(ids, np.int32, len(ids))))
        return mask

    def topic_ids(self, pattern: str) -> list[int]:
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            return [i for i, t in enumerate(self._topics) if i and t.startswith(prefix)]
        i = self._topic_ids.get(pattern)
        return [] if i is None else [i]

    def _text_mask(self, text: str, a: int, b: int, pre: _Mask | None) -> _Mask:
        """Physical rows [a, b) whose topic, body or summary contains ``text``
        (ASCII case-insensitive), restricted to ``pre``. Bodies are searched in
        joined chunks by one regex pass, not frame by frame."""
        needle = text.lower()
        raw = needle.encode("utf-8")
        hit = np.zeros(b - a, bool)
        if b"\0" in raw:  # cannot use NUL as the chunk separator: the slow way
            for p in range(a, b):
                hit[p - a] = raw in self._data[p].lower()
        else:
            # Greedy tail: one match per frame at most, never crossing a separator.
            pattern = re.compile(re.escape(raw) + b"[^\0]*")
            sizes = np.frombuffer(self._size, np.int32)
            for c0 in range(a, b, _TEXT_CHUNK):
                c1 = min(b, c0 + _TEXT_CHUNK)
                blob = b"\0".join(self._data[c0:c1]).lower()
                ends = np.cumsum(sizes[c0:c1].astype(np.int64) + 1) - 1
                starts = [m.start() for m in pattern.finditer(blob)]
                if starts:
                    hit[np.searchsorted(ends, starts, side="right") + (c0 - a)] = True
        ids = [i for i, t in enumerate(self._topics) if i and needle in t.lower()]
        if ids:
            hit |= np.isin(np.frombuffer(self._topic, np.int32)[a:b], np.asarray(ids, np.int32))
        # PING/PONG (shown as hex) and undecodable frames (shown with the reason): match the summary.
        # Bodies not checked yet are checked now (once), unless the row is a hit already.
        flags = np.frombuffer(self._flags, np.int8)[a:b]
        unchecked = ((flags & FLAG_UNCHECKED) > 0) & ~hit
        if pre is not None:
            unchecked &= pre
        self._check_many((np.flatnonzero(unchecked) + a).tolist())
        kinds = np.frombuffer(self._kind, np.int16)[a:b]
        session = kinds == KIND_SESSION
        if self._session_numbers:  # a connection event matches on its summary, not its stored fields
            hit &= ~session
        special = (kinds == Kind.PING) | (kinds == Kind.PONG) | ((flags & FLAG_BAD) > 0) | session
        special &= ~hit
        if pre is not None:
            special &= pre
        n, head = len(self._data), self._head
        for j in np.flatnonzero(special).tolist():
            p = a + j
            i = (p - head) % n if n == self.cap else p
            if needle in self.summary(i).lower():
                hit[j] = True
        return hit if pre is None else (hit & pre)


VECTOR_MIN = 64  # smaller batches: the frame-by-frame path is as quick
_ONLY_BYTES = {bytes}
# dtype names, not numpy's types: this module loads before numpy does
_DTYPES = {"d": "float64", "H": "uint16", "b": "int8", "h": "int16", "i": "int32", "q": "int64"}


_CHECK_CHUNK = 4096
_BODY_DECODER = JSON_DECODER  # the codec's own (NaN and Infinity are not JSON)


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
