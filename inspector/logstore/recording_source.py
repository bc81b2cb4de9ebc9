"""A recording (or HAR) prepared for the log: every row classified once, in bulk.

Opening a large file must not wait on per-frame Python, so nothing here decodes frames
one by one if it can help it. ``read_columns`` gives time, connection, direction, kind
and size per record; the frame bytes are cut straight out of the memory-mapped
lines and base64-decoded; EVENT topic and seq come from their heads (``read_head``,
laid out as the log's flood path lays them out); such bodies are checked when a row is
first shown, as live ones are. Frames whose heads are not read (and SUBSCRIBE,
UNSUBSCRIBE, ERROR) go through ``try_decode``.
Connection events (state, RTT, ...) are few and decoded fully; those the log shows as rows
(session_rows.is_row) go among the frames as KIND_SESSION rows, where they were recorded.

No Qt here: the result feeds ``FrameStore.extend_rows`` and the latency plot.
"""

from __future__ import annotations

import binascii
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from inspector.logstore import session_rows
from inspector.logstore.event_heads import NO_SEQ, head_columns
from inspector.logstore.frame_store import (
    FLAG_BAD,
    FLAG_GAP_EXPECTED,
    FLAG_UNCHECKED,
    KIND_SESSION,
    KIND_TEXT,
    SESSION_DIRECTION,
)
from inspector.logstore.session_rows import RowEvent
from inspector.protocol import gaps
from inspector.protocol.events import FrameSeen, SessionEvent
from inspector.protocol.frames import DecodeError, Event, Subscribe, Unsubscribe, try_decode
from inspector.protocol.heads import read_head
from inspector.protocol.kinds import Kind
from inspector.protocol.limits import MAX_PING_PAYLOAD
from inspector.recording.columns import KIND_EVENT, Columns, read_columns
from inspector.recording.opened import OpenedFile

if TYPE_CHECKING:
    from inspector.logstore.log_rows import LogRows

_KNOWN = np.zeros(256, bool)
_KNOWN[[int(k) for k in Kind]] = True
MAX_PING_FRAME = 1 + MAX_PING_PAYLOAD  # the kind byte and the payload
_HEAD_CHUNK = 65536  # EVENT heads read at a time (bounds the heads held at once)


@dataclass
class FrameRows:
    """Columns for ``FrameStore.extend_rows`` (a slice of a PreparedRecording's log rows: its
    frames and, as KIND_SESSION rows, its connection events that the log shows)."""

    t: np.ndarray
    conns: list[str]
    conn: np.ndarray
    direction: np.ndarray
    kind: np.ndarray
    topics: list[str]
    topic: np.ndarray
    seq: np.ndarray
    size: np.ndarray
    gap: np.ndarray
    flags: np.ndarray
    data: list[bytes]

    def __len__(self) -> int:
        return len(self.data)

    def store_args(self) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray,
                                  np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[bytes]]:
        """The arguments of ``FrameStore.extend_rows``, in its order."""
        return (self.t, self.conns, self.conn, self.direction, self.kind, self.topics, self.topic, self.seq,
                self.size, self.gap, self.flags, self.data)


@dataclass(frozen=True)
class StoreInfo:
    """What a PreparedRecording takes from a session store, in the place of a recording's Columns."""

    header: Any
    recording: Any
    truncated: Any
    warning: str | None
    conns: Any


class PreparedRecording:
    """Every record of a file, ready for the log.

    Records keep their file order (frames and connection events interleaved);
    ``offsets`` are non-decreasing seconds from the first record, for a Timeline.
    ``frames`` holds the log rows: every frame and, among them, the connection events the log
    shows (KIND_SESSION). ``frame_index[r]`` is the number of log rows before record ``r``, so
    records [a, b) hold rows [frame_index[a], frame_index[b]); ``frames_before[r]`` counts only
    the frames before record ``r`` (what the recorder and the log call frames).
    """

    def __init__(self, path: Path, cols: Columns | StoreInfo, labels: list[str], frames: FrameRows,
                 frame_index: np.ndarray, events: dict[int, SessionEvent], record_w: np.ndarray,
                 frames_before: np.ndarray) -> None:
        self.path = path
        self.name = path.name
        self.header = cols.header
        self.source = getattr(cols.recording, "source", "recording")
        self.truncated = bool(cols.truncated)
        self.warning = cols.warning
        self.labels = labels
        self.frames = frames
        self.frames_before = frames_before
        self.frame_index = frame_index
        self.events = events          # record index -> SessionEvent (connection events only)
        self.conn_urls = _conn_urls(cols.recording, list(cols.conns), labels)  # label -> URL it dialled
        self.w = record_w
        start = float(record_w[0]) if len(record_w) else 0.0
        self.offsets = np.maximum.accumulate(record_w - start) if len(record_w) else np.zeros(0)

    def __len__(self) -> int:
        return len(self.w)

    @property
    def frame_count(self) -> int:
        """Frames only (``frames`` also holds connection-event rows)."""
        return int(self.frames_before[-1])

    @property
    def row_count(self) -> int:
        """Log rows in all (frames and connection events)."""
        return len(self.frames)

    def frames_until(self, k: int) -> int:
        """Frames among records [0, k)."""
        return int(self.frames_before[k])

    def show_rows(self, rows: LogRows, a: int, b: int) -> None:
        """Show records [a, b) in the log after records [0, a): their rows into its ring."""
        part = self.frame_slice(a, b)
        if len(part):
            rows.ring.extend_rows(*part.store_args())

    def frame_slice(self, a: int, b: int) -> FrameRows:
        """The log rows (frames and connection events) among records [a, b)."""
        lo, hi = int(self.frame_index[a]), int(self.frame_index[b])
        f = self.frames
        return FrameRows(f.t[lo:hi], f.conns, f.conn[lo:hi], f.direction[lo:hi], f.kind[lo:hi], f.topics,
                         f.topic[lo:hi], f.seq[lo:hi], f.size[lo:hi], f.gap[lo:hi], f.flags[lo:hi],
                         f.data[lo:hi])

    def events_between(self, a: int, b: int) -> list[SessionEvent]:
        """Connection events among records [a, b), in order."""
        if not self.events:
            return []
        return [self.events[r] for r in sorted(self.events) if a <= r < b]

    def status(self) -> str:
        """One line for the status bar."""
        what = "HAR capture" if self.source == "har" else "recording"
        text = (f"{self.name}: {what}, {self.frame_count:,} frames, {len(self.labels)} "
                f"connection{'s' if len(self.labels) != 1 else ''}")
        if self.warning:
            text += " · " + self.warning.removeprefix(f"{self.name}: ")
        return text


def _conn_urls(recording: OpenedFile, conns: list[str], labels: list[str]) -> dict[str, str]:
    """Each label's URL: a HAR names one per connection, a recording one for all."""
    per_conn = getattr(recording, "conn_urls", None) or {}
    return {label: per_conn.get(conn) or recording.url for conn, label in zip(conns, labels, strict=False)}


def conn_labels(name: str, conns: list[str]) -> list[str]:
    """Log labels for a file's connections: the file name, suffixed when there are several."""
    if len(conns) == 1:
        return [name]
    return [f"{name}:{c}" for c in conns]


def prepare(path: str | os.PathLike[str]) -> PreparedRecording:
    """Open and classify a recording, HAR or session store. Raises RecordingError only for other files."""
    path = Path(path)
    from inspector.logstore.store_source import store_folder  # a session store: its columns as they are
    folder = store_folder(path)
    if folder is not None:
        return prepare_store(folder)
    cols = read_columns(path)
    try:
        return _prepare(path, cols)
    finally:
        cols.close()


def prepare_store(folder: Path) -> PreparedRecording:
    """A session store's rows for the log, read in bulk: every row is a record, its seq gap and
    flags as the log found them when it was written."""
    from inspector.logstore.store_source import StoreRecording
    rec = StoreRecording(folder)
    try:
        table = rec.reader.table()
        conns = rec.reader.conns
        labels = conn_labels(rec.name, conns)
        col = {name: table.column(name).to_numpy() for name in ("t", "conn", "direction", "kind", "topic", "seq",
                                                                "size", "gap", "flags")}
        data: list[bytes] = table.column("data").to_pylist()
    finally:
        rec.close()
    n = len(data)
    conn = col["conn"].astype(np.int32)
    conn_max = int(conn.max()) + 1 if n else 0
    labels += [f"{rec.name}:#{i}" for i in range(len(labels), conn_max)]  # ids the labels file lost
    topics = list(rec.reader.topics) or [""]
    topic = np.where(col["topic"] < len(topics), col["topic"], 0).astype(np.int32)
    kind, seq = col["kind"].astype(np.int16), col["seq"].astype(np.int64)
    flags = col["flags"].astype(np.int8)
    gap = col["gap"].astype(np.int64)
    frames = FrameRows(col["t"].astype(np.float64), labels, conn, col["direction"].astype(np.int8), kind, topics,
                       topic, seq, col["size"].astype(np.int32), gap, flags, data)
    is_session = kind == KIND_SESSION
    events: dict[int, SessionEvent] = {}
    for r in np.flatnonzero(is_session).tolist():
        ev = session_rows.row_event(data[r], float(frames.t[r]), labels[conn[r]])
        if ev is not None:
            events[r] = ev
    frames_before = np.zeros(n + 1, np.int64)
    np.cumsum(~is_session, out=frames_before[1:])
    cols = StoreInfo(header=rec.header, recording=rec, truncated=rec.truncated, warning=rec.warning, conns=conns)
    return PreparedRecording(folder, cols, labels, frames, np.arange(n + 1, dtype=np.int64), events, frames.t,
                             frames_before)


def _prepare(path: Path, cols: Columns) -> PreparedRecording:
    n = len(cols)
    labels = conn_labels(path.name, list(cols.conns))
    is_frame = cols.kind != KIND_EVENT
    frame_rows = np.flatnonzero(is_frame)
    events: dict[int, SessionEvent] = {}
    for r in np.flatnonzero(~is_frame).tolist():
        ev = cols.event(r)
        events[r] = _relabel(ev, labels[int(cols.conn[r])])
    shown = {r: ev for r, ev in events.items() if session_rows.is_row(ev)}
    is_row = is_frame.copy()
    is_row[list(shown)] = True
    frame_index = np.zeros(n + 1, np.int64)
    np.cumsum(is_row, out=frame_index[1:])
    frames_before = np.zeros(n + 1, np.int64)
    np.cumsum(is_frame, out=frames_before[1:])
    data = _frame_bytes(cols, frame_rows)
    kind = cols.kind[frame_rows].astype(np.int16)
    text = cols.text[frame_rows]
    kind[text] = KIND_TEXT
    topics, topic, seq, message, flags = _classify(kind, cols.size[frame_rows], data)
    conn = cols.conn[frame_rows].astype(np.int32)
    gap = _gaps(conn, topic, seq, message, kind, data, flags)
    frames = FrameRows(cols.w[frame_rows].astype(np.float64), labels, conn,
                       (~cols.out[frame_rows]).astype(np.int8), kind, topics, topic, seq,
                       cols.size[frame_rows].astype(np.int32), gap, flags, data)
    if shown:
        frames = _with_session_rows(frames, shown, is_frame, cols.conn)
    return PreparedRecording(path, cols, labels, frames, frame_index, events, cols.w.astype(np.float64),
                             frames_before)


def _with_session_rows(frames: FrameRows, shown: dict[int, RowEvent], is_frame: np.ndarray,
                       conn_of: np.ndarray) -> FrameRows:
    """``frames`` with the connection events of records ``shown`` placed among them as KIND_SESSION
    rows, each after the frames recorded before it."""
    recs = sorted(shown)
    before = np.cumsum(is_frame)[recs]  # frames recorded before each event
    evs = [shown[r] for r in recs]
    topics = list(frames.topics)
    ids = {name: i for i, name in enumerate(topics)}
    topic = [ids.setdefault(session_rows.row_topic(ev), len(ids)) for ev in evs]
    topics.extend(list(ids)[len(topics):])
    datas = [session_rows.row_bytes(ev) for ev in evs]
    data: list[bytes] = []
    prev = 0
    for at, d in zip(before.tolist(), datas, strict=True):
        data.extend(frames.data[prev:at])
        data.append(d)
        prev = at
    data.extend(frames.data[prev:])

    def put(col: np.ndarray, values: npt.ArrayLike) -> np.ndarray:
        return np.insert(col, before, np.asarray(values, col.dtype))

    m = len(evs)
    return FrameRows(put(frames.t, [ev.t for ev in evs]), frames.conns, put(frames.conn, conn_of[recs]),
                     put(frames.direction, np.full(m, SESSION_DIRECTION)), put(frames.kind, np.full(m, KIND_SESSION)),
                     topics, put(frames.topic, topic), put(frames.seq, np.full(m, NO_SEQ)),
                     put(frames.size, [len(d) for d in datas]), put(frames.gap, np.zeros(m)),
                     put(frames.flags, np.zeros(m)), data)


def _relabel(ev: SessionEvent, label: str) -> SessionEvent:
    return replace(ev, conn=label)


def _frame_bytes(cols: Columns, rows: np.ndarray) -> list[bytes]:
    """Frame bytes for ``rows``: cut from the mapped file for lines in the writer's layout."""
    if cols._events is not None or not len(rows):  # HAR: events in memory
        # rows are frame records, each a FrameSeen: no check per frame
        return [cols.event(int(r), decode=False).data for r in rows.tolist()]  # type: ignore[union-attr]
    mm = cols._mm
    buf = np.frombuffer(mm, np.uint8)
    off, length = cols.offsets[rows], cols.lengths[rows]
    end = off + length
    has_nl = buf[end - 1] == 10
    tail = np.where(cols.text[rows], len(b'","x":true}'), len(b'"}')) + has_nl
    b_end = end - tail
    b_start = b_end - (cols.size[rows] + 2) // 3 * 4
    # the writer's layout: '"b":"' just before the base64 and '"' right after it
    ok = b_start - 5 >= off
    probe = np.clip(b_start - 5, 0, len(buf) - 5)
    for k, ch in enumerate(b'"b":"'):
        ok &= buf[probe + k] == ch
    ok &= buf[np.clip(b_end, 0, len(buf) - 1)] == ord('"')
    del buf  # no exported pointer may outlive this: the map is closed after preparing
    a2b = binascii.a2b_base64
    spans = zip(b_start.tolist(), b_end.tolist(), ok.tolist(), strict=True)
    out = [a2b(mm[s:e]) if good else b"" for s, e, good in spans]
    for j in np.flatnonzero(~ok).tolist():  # any other layout: the normal JSON path
        out[j] = cols.event(int(rows[j]), decode=False).data  # type: ignore[union-attr]  # as above
    return out


def _classify(kind: np.ndarray, size: np.ndarray, data: list[bytes]
              ) -> tuple[list[str], npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.bool_],
                         npt.NDArray[np.int8]]:
    """(topics, topic index, seq, is message, flags) per frame, decoding only what the fast rules
    cannot vouch for."""
    n = len(data)
    topics: list[str] = [""]
    topic_ids = {"": 0}
    topic = np.zeros(n, np.int32)
    seq = np.full(n, NO_SEQ, np.int64)
    flags = np.zeros(n, np.int8)
    message = np.zeros(n, bool)
    known = np.zeros(n, bool)
    valid_kind = kind >= 0
    known[valid_kind] = _KNOWN[kind[valid_kind]]
    flags[~known] = FLAG_BAD  # empty, text, unknown kind
    pingpong = (kind == Kind.PING) | (kind == Kind.PONG)
    flags[pingpong & (size > MAX_PING_FRAME)] = FLAG_BAD
    candidates = np.flatnonzero(known & ~pingpong)
    is_event = kind[candidates] == Kind.EVENT
    event_rows = candidates[is_event]
    ids = {"": 0}  # topic ids by first appearance (a dict lookup, not a sort of every name)
    hit = np.zeros(len(event_rows), bool)
    for a in range(0, len(event_rows), _HEAD_CHUNK):
        rows = event_rows[a:a + _HEAD_CHUNK]
        hit[a:a + len(rows)] = _event_heads(rows, data, ids, topic, seq, message)
    # the body is checked when the row is first painted, summarised or searched, as live
    flags[event_rows[hit]] |= FLAG_UNCHECKED
    slow = np.sort(np.concatenate((candidates[~is_event], event_rows[~hit])))
    topics.extend(list(ids)[1:])
    topic_ids.update((name, i) for i, name in enumerate(topics))
    slow = slow.tolist()
    for j in slow:
        frame = try_decode(data[j])
        name = ""
        if isinstance(frame, DecodeError):
            flags[j] = FLAG_BAD
        elif isinstance(frame, Event):
            name = frame.topic
            if frame.seq is not None and NO_SEQ < frame.seq < 2**63:
                seq[j] = frame.seq
            message[j] = frame.type == "message"
        elif isinstance(frame, (Subscribe, Unsubscribe)):
            name = frame.topic
        ti = topic_ids.get(name)
        if ti is None:
            ti = topic_ids[name] = len(topics)
            topics.append(name)
        topic[j] = ti
    return topics, topic, seq, message, flags


def _event_heads(rows: np.ndarray, data: list[bytes], ids: dict[str, int], topic: np.ndarray, seq: np.ndarray,
                 message: np.ndarray) -> np.ndarray:
    """Topic, seq and type of the EVENT frames at ``rows`` as ``read_head`` reads them (topic ids
    given in order of first appearance); which ones were read."""
    heads = [read_head(data[j]) for j in rows.tolist()]
    hit = np.fromiter([h is not None for h in heads], bool, len(heads))
    cols = head_columns([h for h in heads if h is not None])
    local = np.array([ids.setdefault(name, len(ids)) for name in cols.topics], np.int32)
    at = rows[hit]
    topic[at] = local[cols.topic]
    seq[at] = cols.seq
    message[at] = cols.is_message
    return hit


def _gaps(conn: np.ndarray, topic: np.ndarray, seq: np.ndarray, message: np.ndarray, kind: np.ndarray,
          data: list[bytes], flags: np.ndarray) -> np.ndarray:
    """Seq jumps of messages per (connection, topic), as FrameStore.extend computes them,
    vectorised. A jump on a subscription made with a filter is flagged as expected."""
    n = len(seq)
    gap = np.zeros(n, np.int64)
    has = np.flatnonzero((seq != NO_SEQ) & message)
    if len(has) < 2:
        return gap
    key = conn[has].astype(np.int64) << 32 | topic[has].astype(np.int64)
    order = np.argsort(key, kind="stable")
    k, s, rows = key[order], seq[has][order], has[order]
    same = k[1:] == k[:-1]
    jump = gaps.jump(s[:-1], s[1:])
    hit = same & (jump != 0)
    gap_rows = rows[1:][hit]
    gap[gap_rows] = jump[hit]
    if len(gap_rows):
        _flag_filtered(conn, topic, kind, data, gap, gap_rows, flags)
    return gap


def _flag_filtered(conn: np.ndarray, topic: np.ndarray, kind: np.ndarray, data: list[bytes], gap: np.ndarray,
                   gap_rows: np.ndarray, flags: np.ndarray) -> None:
    """Mark gaps on subscriptions that had a filter at the time: the SUBSCRIBEs and the gaps
    replayed in file order through a SeqGaps' filter state."""
    subs = []
    for j in np.flatnonzero(kind == Kind.SUBSCRIBE).tolist():
        f = try_decode(data[j])
        if isinstance(f, Subscribe):
            subs.append((j, bool(f.filter)))
    if not any(filtered for _, filtered in subs):
        return
    tracker = gaps.SeqGaps()
    gap_at = set(gap_rows.tolist())
    is_filtered = dict(subs)
    for j in np.union1d(np.array([j for j, _ in subs], np.int64), gap_rows).tolist():
        key = (int(conn[j]), int(topic[j]))
        if j not in gap_at:
            tracker.subscribed(key, is_filtered[j])
        elif gaps.expected(int(gap[j]), tracker.is_filtered(key)):
            flags[j] |= FLAG_GAP_EXPECTED


def frames_as_events(rows: FrameRows) -> list[FrameSeen]:
    """Frame rows as session events again (tests, export)."""
    return [FrameSeen(rows.conns[c], t, "in" if d else "out", data, None, k == KIND_TEXT)
            for c, t, d, data, k in zip(rows.conn.tolist(), rows.t.tolist(), rows.direction.tolist(), rows.data,
                                        rows.kind.tolist(), strict=False)]
