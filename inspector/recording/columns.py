"""Fast bulk reader: a whole recording as compact numpy columns, for the app's table.

The app needs one row per record (time, connection, direction, kind, size) at
once, and the full event only for the rows on screen. Parsing every line as JSON
would dominate opening a large file; instead one regular expression takes the frame
lines exactly as RecordingWriter writes them, and every other line (connection
events, lines in another key order) goes through the normal JSON path, so both
readers accept the same records. ``Columns.event(i)`` decodes one row on demand
from the memory-mapped file.
"""

from __future__ import annotations

import json
import mmap
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from inspector.protocol.events import OUT, FrameSeen, SessionEvent
from inspector.recording.format import RecordError, record_to_event
from inspector.recording.opened import OpenedFile
from inspector.recording.reader import Recording, open_recording

KIND_EVENT = -2   # a connection-event row (state, rtt, subscription, ...)
KIND_EMPTY = -1   # a frame of zero bytes
CHUNK = 1 << 24   # bytes parsed per step; bounds the temporary objects

_NUM = rb"(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
_FAST = re.compile(
    rb'\{"t":' + _NUM + rb',"w":' + _NUM + rb',"c":"([ !#-\[\]-~]*)","d":"(in|out)",'
    rb'"b":"([A-Za-z0-9+/]{0,4})[A-Za-z0-9+/]*(=*)"(,"x":true)?\}\n'
    rb'|([^\n]*)\n'
)
_FIXED = len(b'{"t":,"w":,"c":"","d":"","b":""}\n')
_B64 = np.zeros(256, dtype=np.int16)
for _i, _c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"):
    _B64[_c] = _i
_ERRORS = (ValueError, RecordError, TypeError, RecursionError, OverflowError)
# Every row's fields and their dtypes: one attribute of Columns each.
_ROW_DTYPES = {"w": np.float64, "conn": np.int32, "out": bool, "kind": np.int16, "text": bool,
               "size": np.int64, "offsets": np.int64, "lengths": np.int64}


class Columns:
    """Every record of a recording as parallel arrays; row i is the i-th record.

    ``w`` wall time (epoch s), ``t`` offset from ``start`` (s), ``conn`` index into
    ``conns``, ``out`` True for client→server, ``kind`` the frame's first byte
    (or KIND_EMPTY / KIND_EVENT), ``text`` a text frame, ``size`` frame length,
    ``offsets`` and ``lengths`` the record's line in the file.
    """

    def __init__(self, recording: OpenedFile, mm: mmap.mmap | bytes, rows: dict[str, np.ndarray], conns: list[str],
                 events: list[SessionEvent] | None = None):
        self.recording = recording
        self.header = recording.header
        self.start = recording.start
        self.truncated = recording.truncated
        self.errors = recording.errors
        self._mm = mm
        self._events = events  # for sources without a line file (HAR)
        self.conns = conns
        self.w = rows["w"]
        self.conn = rows["conn"]
        self.out = rows["out"]
        self.kind = rows["kind"]
        self.text = rows["text"]
        self.size = rows["size"]
        self.offsets = rows["offsets"]
        self.lengths = rows["lengths"]
        self.t = self.w - self.start
        recording.count = len(self.w)

    def __len__(self) -> int:
        return len(self.w)

    @property
    def warning(self) -> str | None:
        return self.recording.warning

    def event(self, i: int, decode: bool = True) -> SessionEvent:
        """The full SessionEvent of row ``i``."""
        i = int(i)
        if self._events is not None:
            return self._events[i]
        off, n = int(self.offsets[i]), int(self.lengths[i])
        ev = record_to_event(json.loads(self._mm[off:off + n]), self.start, decode)
        assert ev is not None  # the end marker is never a row
        return ev

    def close(self) -> None:
        if isinstance(self._mm, mmap.mmap):
            self._mm.close()


def read_columns(path: str | os.PathLike[str]) -> Columns:
    """Open a recording (or HAR) as Columns. RecordingError when it is neither."""
    rec = open_recording(path)
    if not isinstance(rec, Recording):
        return _from_events(rec)
    with open(Path(path), "rb") as f:
        size = os.fstat(f.fileno()).st_size
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    conns: list[str] = []
    index: dict[bytes | None, int] = {}  # a connection's bytes in the file -> its number in conns
    parts: list[dict[str, np.ndarray]] = []
    pos = rec._data_offset
    lineno = 1
    while pos < size:
        end = mm.rfind(b"\n", pos, min(size, pos + CHUNK))
        if end < 0:
            end = mm.find(b"\n", pos)
        if end < 0:
            break  # the rest is one line without newline: the tail, below
        part, lineno = _parse_chunk(mm, pos, end + 1, lineno, rec, conns, index)
        parts.append(part)
        pos = end + 1
    if pos < size and not rec.truncated:  # a valid last line without its newline
        parts.append(_slow_rows(mm, [(pos, size - pos)], [lineno + 1], rec, conns, index))
    rows = {k: np.concatenate([p[k] for p in parts]) for k in _ROW_DTYPES} if parts else _empty_rows()
    return Columns(rec, mm, rows, conns, None)


def _empty_rows() -> dict[str, np.ndarray]:
    return {k: np.zeros(0, dtype) for k, dtype in _ROW_DTYPES.items()}


def _conn_ids(values: Sequence[bytes | None], fast: np.ndarray, conns: list[str],
              index: dict[bytes | None, int]) -> np.ndarray:
    if not fast.all():  # slow rows get their connection later; do not register their empty match
        values = [c if f else None for c, f in zip(values, fast, strict=False)]
        index.setdefault(None, -1)
    for c in set(values):
        if c is not None and c not in index:
            index[c] = len(conns)
            conns.append(c.decode("ascii"))
    return np.fromiter((index[c] for c in values), dtype=np.int32, count=len(values))


def _parse_chunk(mm: mmap.mmap | bytes, lo: int, hi: int, lineno: int, rec: Recording, conns: list[str],
                 index: dict[bytes | None, int]) -> tuple[dict[str, np.ndarray], int]:
    matches = _FAST.findall(mm, lo, hi)
    n = len(matches)
    nl = np.flatnonzero(np.frombuffer(mm, np.uint8, hi - lo, lo) == 10) + lo
    starts = np.empty(n, np.int64)
    starts[0] = lo
    starts[1:] = nl[:-1] + 1
    lengths = nl - starts + 1
    t_s, w_s, c_s, d_s, b4_s, pad_s, x_s, _other = zip(*matches, strict=False)
    fast = np.fromiter((bool(w) for w in w_s), dtype=bool, count=n)
    t = np.array(t_s, dtype="S40")
    w = np.array(w_s, dtype="S40")
    t[~fast] = b"0"
    w[~fast] = b"0"
    t = t.astype(np.float64)
    w = w.astype(np.float64)
    b64len = lengths - _FIXED - np.fromiter(
        (len(a) + len(b) + len(c) + len(d) + len(x) for a, b, c, d, x in zip(t_s, w_s, c_s, d_s, x_s, strict=False)),
        dtype=np.int64, count=n)
    pad = np.fromiter((len(p) for p in pad_s), dtype=np.int64, count=n)
    # anything the fast path cannot vouch for goes the slow way (and is judged there)
    fast &= np.isfinite(t) & np.isfinite(w) & (b64len % 4 == 0) & (pad <= 2) & ((pad == 0) | (b64len >= 4))
    quad = np.array(b4_s, dtype="S4").view(np.uint8).reshape(n, 4)
    kind = (_B64[quad[:, 0]] << 2) | (_B64[quad[:, 1]] >> 4)
    kind[b64len == 0] = KIND_EMPTY
    rows = {
        "w": w, "conn": _conn_ids(c_s, fast, conns, index),
        "out": np.fromiter((d == b"out" for d in d_s), dtype=bool, count=n),
        "kind": kind.astype(np.int16), "text": np.fromiter((x != b"" for x in x_s), dtype=bool, count=n),
        "size": b64len // 4 * 3 - pad, "offsets": starts, "lengths": lengths,
    }
    slow = np.flatnonzero(~fast)
    if len(slow):
        keep = fast.copy()
        spans = [(int(starts[i]), int(lengths[i])) for i in slow]
        extra = _slow_rows(mm, spans, [lineno + 1 + int(i) for i in slow], rec, conns, index, keep_mask=keep,
                           rows_at=slow)
        for key in rows:
            rows[key][slow[extra["ok"]]] = extra[key]
        rows = {k: v[keep] for k, v in rows.items()}
    return rows, lineno + n


def _slow_rows(mm: mmap.mmap | bytes, spans: list[tuple[int, int]], linenos: list[int], rec: Recording,
               conns: list[str], index: dict[bytes | None, int], keep_mask: np.ndarray | None = None,
               rows_at: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Rows for lines parsed as JSON; invalid ones are noted in rec.errors and left out."""
    out: dict[str, list[float | int | bool]] = {k: [] for k in _ROW_DTYPES}
    ok: list[int] = []
    for j, ((off, n), lineno) in enumerate(zip(spans, linenos, strict=False)):
        raw = mm[off:off + n]
        if not raw.strip():
            continue
        try:
            ev = record_to_event(json.loads(raw), rec.start, decode=False)
        except _ERRORS:
            rec._note(f"line {lineno}: invalid record, skipped")
            continue
        if ev is None:
            rec.clean_end = True
            continue
        ok.append(j)
        if keep_mask is not None and rows_at is not None:  # given together
            keep_mask[rows_at[j]] = True
        c = ev.conn.encode("utf-8", "surrogatepass")
        if c not in index:
            index[c] = len(conns)
            conns.append(ev.conn)
        out["w"].append(ev.t)
        out["conn"].append(index[c])
        if isinstance(ev, FrameSeen):
            out["out"].append(ev.direction == OUT)
            out["kind"].append(ev.data[0] if ev.data else KIND_EMPTY)
            out["text"].append(ev.text)
            out["size"].append(len(ev.data))
        else:
            out["out"].append(False)
            out["kind"].append(KIND_EVENT)
            out["text"].append(False)
            out["size"].append(0)
        out["offsets"].append(off)
        out["lengths"].append(n)
    result = {k: np.array(v, dtype=_ROW_DTYPES[k]) for k, v in out.items()}
    result["ok"] = np.array(ok, dtype=np.int64)
    return result


def _from_events(rec: OpenedFile) -> Columns:
    events = rec.load(decode=True)
    conns: list[str] = []
    index: dict[str, int] = {}
    for ev in events:
        index.setdefault(ev.conn, len(index))
    conns = list(index)
    frames = [ev if isinstance(ev, FrameSeen) else None for ev in events]
    rows: dict[str, np.ndarray] = {
        "w": np.array([ev.t for ev in events], dtype=np.float64),
        "conn": np.array([index[ev.conn] for ev in events], dtype=np.int32),
        "out": np.array([f is not None and f.direction == OUT for f in frames], dtype=bool),
        "kind": np.array([KIND_EVENT if f is None else f.data[0] if f.data else KIND_EMPTY for f in frames],
                         dtype=np.int16),
        "text": np.array([f is not None and f.text for f in frames], dtype=bool),
        "size": np.array([0 if f is None else len(f.data) for f in frames], dtype=np.int64),
        "offsets": np.zeros(len(events), np.int64), "lengths": np.zeros(len(events), np.int64),
    }
    return Columns(rec, b"", rows, conns, events)  # no line file: the events are kept
