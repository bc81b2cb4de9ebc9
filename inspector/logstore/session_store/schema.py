"""The rows a session holds, as Arrow columns.

Fixed-width columns (time, connection, direction, kind, topic, seq, size, gap, flags) and the raw
bytes. Connection and topic are ids: ``labels`` names them. The values follow
``logstore.frame_store``: direction 0 sent, 1 received, 2 a connection event; kind the frame's
kind byte, or -1 empty, -2 text, -3 connection event; seq ``event_heads.NO_SEQ`` when none;
gap the seq jump the log found before a message (0 none), kept because finding it again needs
frames a reader may not have (earlier batches, the subscription's filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

FIXED_COLUMNS: tuple[tuple[str, type[np.generic]], ...] = (
    ("t", np.float64),
    ("conn", np.uint16),
    ("direction", np.int8),
    ("kind", np.int16),
    ("topic", np.int32),
    ("seq", np.int64),
    ("size", np.int32),
    ("gap", np.int64),
    ("flags", np.int8),
)
DATA = "data"
COLUMNS = (*(name for name, _ in FIXED_COLUMNS), DATA)
SCHEMA: Any = pa.schema([(name, pa.from_numpy_dtype(dtype)) for name, dtype in FIXED_COLUMNS] + [(DATA, pa.binary())],
                        metadata={b"realtime-inspector": b"session-store 2"})


@dataclass(frozen=True)
class Rows:
    """Rows to append, as columns of one length. ``conn`` and ``topic`` are label ids
    (``labels.LabelTable``); ``size`` is the length of each ``data`` (given by a caller that
    has it, such as the log's ring, so the bytes are not measured again); ``gap`` None
    means no seq jumps."""

    t: npt.ArrayLike
    conn: npt.ArrayLike
    direction: npt.ArrayLike
    kind: npt.ArrayLike
    topic: npt.ArrayLike
    seq: npt.ArrayLike
    flags: npt.ArrayLike
    data: Sequence[bytes]
    gap: npt.ArrayLike | None = None
    size: npt.ArrayLike | None = None  # each data's length, as its owner has it already (None: measured here)


class Row(NamedTuple):
    """One stored row as read back; ``conn`` and ``topic`` are names."""

    t: float
    conn: str
    direction: int
    kind: int
    topic: str
    seq: int
    size: int
    gap: int
    flags: int
    data: bytes


def fixed_arrays(rows: Rows) -> list[np.ndarray[Any, Any]]:
    """The fixed-width columns of ``rows`` in schema order, size included; ValueError when the
    columns' lengths differ."""
    n = len(rows.data)
    given = (rows.t, rows.conn, rows.direction, rows.kind, rows.topic, rows.seq)
    cols = [np.ascontiguousarray(v, dtype) for v, (_, dtype) in zip(given, FIXED_COLUMNS, strict=False)]
    cols.append(np.fromiter(map(len, rows.data), np.int32, n) if rows.size is None else
                np.ascontiguousarray(rows.size, np.int32))
    cols.append(np.zeros(n, np.int64) if rows.gap is None else np.ascontiguousarray(rows.gap, np.int64))
    cols.append(np.ascontiguousarray(rows.flags, np.int8))
    if any(c.shape != (n,) for c in cols):
        raise ValueError("every column of the rows must hold one value per row")
    return cols


def binary_array(joined: Any, sizes: np.ndarray[Any, Any] | None, offsets: Any = None) -> Any:
    """An Arrow binary array of the values ``joined`` end to end (bytes or a view of them),
    ``sizes`` long each, or where ``offsets`` (int32, from 0, one more than the values) says:
    the buffer as it is, no per-item Arrow call."""
    if offsets is None:
        assert sizes is not None
        offsets = np.zeros(len(sizes) + 1, np.int32)
        np.cumsum(sizes, out=offsets[1:])
    return pa.Array.from_buffers(pa.binary(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(joined)])


_TYPES = [pa.from_numpy_dtype(dtype) for _, dtype in FIXED_COLUMNS]


def record_batch(fixed: Sequence[Any], joined: Any, offsets: Any = None, rows: int | None = None) -> Any:
    """A record batch of the fixed columns (contiguous numpy arrays of the schema's types, or
    buffers of their bytes: wrapped, not copied) and the values ``joined`` end to end (``fixed[6]``
    their sizes, unless ``offsets`` is given); ``rows``: how many (default: ``fixed[0]``'s length)."""
    n = len(fixed[0]) if rows is None else rows
    arrays = [pa.Array.from_buffers(t, n, [None, col if isinstance(col, pa.Buffer) else
                                           pa.py_buffer(np.ascontiguousarray(col))])
              for t, col in zip(_TYPES, fixed, strict=True)]
    arrays.append(binary_array(joined, None if offsets is not None else fixed[6], offsets))
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)
