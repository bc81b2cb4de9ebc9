"""Any file the app opens, as one Arrow table other tools read (DuckDB, polars, pandas).

One row per log row (frames and the connection events the log shows), in file order. The
columns name what the ids stand for, so the file needs nothing beside it: ``conn`` and
``topic`` (dictionary-encoded strings), ``direction`` ("out", "in", or "" for a connection
event), ``kind`` (the stored value: the kind byte, -1 empty, -2 text, -3 connection event)
and ``kind_name`` ("EVENT", "PING", ...), ``t`` (epoch seconds), ``seq`` and ``gap`` (null
when none), ``size``, ``flags`` and the raw ``data``. pyarrow is loaded only here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from inspector.logstore.event_heads import NO_SEQ
from inspector.logstore.frame_store import kind_label
from inspector.logstore.recording_source import prepare
from inspector.protocol.events import IN, OUT

FORMATS = ("arrow", "parquet")


def rows_table(path: str | os.PathLike[str]) -> Any:
    """The log rows of ``path`` (a recording, HAR, pcapng or session store) as a pyarrow Table."""
    import pyarrow as pa  # type: ignore[import-untyped]

    f = prepare(Path(path)).frames
    kinds = np.unique(f.kind)
    kind_ids = np.searchsorted(kinds, f.kind).astype(np.int32)

    def names(ids: np.ndarray[Any, Any], values: list[str]) -> Any:
        return pa.DictionaryArray.from_arrays(pa.array(np.asarray(ids, np.int32)), pa.array(values, pa.string()))

    sizes = np.asarray(f.size, np.int64)
    offsets = np.zeros(len(f.data) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = pa.Array.from_buffers(pa.large_binary(), len(f.data), [None, pa.py_buffer(offsets),
                                                                  pa.py_buffer(b"".join(f.data))])
    seq, gap = np.asarray(f.seq, np.int64), np.asarray(f.gap, np.int64)
    return pa.table({
        "t": pa.array(np.asarray(f.t, np.float64)),
        "conn": names(f.conn, list(f.conns)),
        "direction": names(f.direction, [OUT, IN, ""]),
        "kind": pa.array(np.asarray(f.kind, np.int16)),
        "kind_name": names(kind_ids, [kind_label(int(k)) for k in kinds]),
        "topic": names(f.topic, list(f.topics)),
        "seq": pa.array(seq, mask=seq == NO_SEQ),
        "gap": pa.array(gap, mask=gap == 0),
        "size": pa.array(sizes.astype(np.int32)),
        "flags": pa.array(np.asarray(f.flags, np.int8)),
        "data": data,
    }, metadata={b"realtime-inspector": b"rows 1", b"source": Path(path).name.encode("utf-8", "replace")})


def export_table(table: Any, path: str | os.PathLike[str], fmt: str) -> None:
    """Write ``table`` as an Arrow IPC file (``fmt`` "arrow") or Parquet, whole or not at all."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    out = Path(path)
    tmp = out.with_name(out.name + ".part")
    try:
        if fmt == "arrow":
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
        else:
            pq.write_table(table, str(tmp), compression="zstd")
        os.replace(tmp, out)
    except (pa.ArrowException, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(f"cannot write {out}: {exc}") from None
