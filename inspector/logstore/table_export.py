"""Any file the app opens, as one Arrow table other tools read (DuckDB, polars, pandas).

One row per log row (frames and the connection events the log shows), in file order. The
columns name what the ids stand for, so the file needs nothing beside it: ``conn`` and
``topic`` (dictionary-encoded strings), ``direction`` ("out", "in", or "" for a connection
event), ``kind`` (the stored value: the kind byte, -1 empty, -2 text, -3 connection event)
and ``kind_name`` ("EVENT", "PING", ...), ``t`` (epoch seconds), ``seq`` and ``gap`` (null
when none), ``size``, ``flags`` and the raw ``data``. pyarrow is loaded only here.

A session store is exported a block at a time: its rows are never all in memory, however long
the session. Other files are read whole first, as the app reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from inspector.logstore.event_heads import NO_SEQ
from inspector.logstore.frame_store import kind_label
from inspector.logstore.recording_source import conn_labels, prepare
from inspector.protocol.events import IN, OUT

FORMATS = ("arrow", "parquet")
_DIRECTIONS = [OUT, IN, ""]


class _Columns:
    """What every exported batch shares: the label dictionaries and the schema."""

    def __init__(self, conns: list[str], topics: list[str], kinds: np.ndarray[Any, Any], source: str) -> None:
        import pyarrow as pa  # type: ignore[import-untyped]

        self.kinds = np.asarray(kinds, np.int16)
        self.dicts = {"conn": pa.array(conns, pa.string()), "direction": pa.array(_DIRECTIONS, pa.string()),
                      "kind_name": pa.array([kind_label(int(k)) for k in self.kinds], pa.string()),
                      "topic": pa.array(topics, pa.string())}
        names = pa.dictionary(pa.int32(), pa.string())
        meta = {b"realtime-inspector": b"rows 1", b"source": source.encode("utf-8", "replace")}
        self.schema = pa.schema([("t", pa.float64()), ("conn", names), ("direction", names), ("kind", pa.int16()),
                                 ("kind_name", names), ("topic", names), ("seq", pa.int64()), ("gap", pa.int64()),
                                 ("size", pa.int32()), ("flags", pa.int8()), ("data", pa.large_binary())],
                                metadata=meta)

    def batch(self, t: Any, conn: Any, direction: Any, kind: Any, topic: Any, seq: Any, gap: Any, size: Any,
              flags: Any, data: Any) -> Any:
        """One record batch of the export from numpy columns (ids into the dictionaries) and an Arrow data array."""
        import pyarrow as pa

        def names(ids: Any, field: str) -> Any:
            return pa.DictionaryArray.from_arrays(pa.array(np.asarray(ids, np.int32)), self.dicts[field])

        seq, gap, kind = np.asarray(seq, np.int64), np.asarray(gap, np.int64), np.asarray(kind, np.int16)
        return pa.RecordBatch.from_arrays([
            pa.array(np.asarray(t, np.float64)), names(conn, "conn"), names(direction, "direction"), pa.array(kind),
            names(np.searchsorted(self.kinds, kind), "kind_name"), names(topic, "topic"),
            pa.array(seq, mask=seq == NO_SEQ), pa.array(gap, mask=gap == 0), pa.array(np.asarray(size, np.int32)),
            pa.array(np.asarray(flags, np.int8)), data], schema=self.schema)


def rows_table(path: str | os.PathLike[str]) -> Any:
    """The log rows of ``path`` (a recording, HAR, pcapng or session store) as a pyarrow Table, read whole."""
    import pyarrow as pa

    f = prepare(Path(path)).frames
    cols = _Columns(list(f.conns), list(f.topics), np.unique(f.kind), Path(path).name)
    sizes = np.asarray(f.size, np.int64)
    offsets = np.zeros(len(f.data) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = pa.Array.from_buffers(pa.large_binary(), len(f.data), [None, pa.py_buffer(offsets),
                                                                  pa.py_buffer(b"".join(f.data))])
    rb = cols.batch(f.t, f.conn, f.direction, f.kind, f.topic, f.seq, f.gap, sizes, f.flags, data)
    return pa.Table.from_batches([rb], schema=cols.schema)


def _store_batches(folder: Path) -> tuple[Any, Iterator[Any]]:
    """A session store's export schema and its batches, one block at a time (the rows ``prepare``
    gives, without holding them)."""
    from inspector.logstore.session_store.errors import StoreError
    from inspector.logstore.store_source import open_reader
    from inspector.recording import RecordingError

    reader = open_reader(folder)
    try:
        kinds: set[int] = set()
        conn_max = 0
        for k in range(len(reader.blocks)):  # the small columns first: the dictionaries hold every value
            try:
                rb = reader.batch(k)
            except StoreError as exc:
                raise RecordingError(str(exc)) from None
            kinds.update(np.unique(rb.column("kind").to_numpy()).tolist())
            if rb.num_rows:
                conn_max = max(conn_max, int(rb.column("conn").to_numpy().max()) + 1)
        conns = conn_labels(folder.name, reader.conns)
        conns += [f"{folder.name}:#{i}" for i in range(len(conns), conn_max)]  # ids the labels file lost
        topics = list(reader.topics) or [""]
        cols = _Columns(conns, topics, np.array(sorted(kinds), np.int16), folder.name)
    except BaseException:
        reader.close()
        raise

    def batches() -> Iterator[Any]:
        import pyarrow as pa

        with reader:
            for k in range(len(reader.blocks)):
                try:
                    rb = reader.batch(k)
                except StoreError as exc:
                    raise RecordingError(str(exc)) from None
                c = {name: rb.column(name).to_numpy() for name in ("t", "conn", "direction", "kind", "topic", "seq",
                                                                    "gap", "size", "flags")}
                topic = np.where(c["topic"] < len(topics), c["topic"], 0)
                yield cols.batch(c["t"], c["conn"], c["direction"], c["kind"], topic, c["seq"], c["gap"], c["size"],
                                 c["flags"], rb.column("data").cast(pa.large_binary()))
    return cols.schema, batches()


def export_rows(path: str | os.PathLike[str], outputs: Mapping[str, str | os.PathLike[str]]) -> int:
    """Write the log rows of ``path`` to each ``{format: file}`` of ``outputs`` (Arrow IPC file or
    Parquet), each whole or not at all; the number of rows. A session store streams block by block."""
    from inspector.logstore.store_source import store_folder

    if bad := [fmt for fmt in outputs if fmt not in FORMATS]:
        raise ValueError(f"unknown format {bad[0]!r}")
    folder = store_folder(path)
    if folder is not None:
        schema, batches = _store_batches(folder)
    else:
        table = rows_table(path)
        schema, batches = table.schema, iter(table.to_batches())
    return _write(schema, batches, {fmt: Path(p) for fmt, p in outputs.items()})


def _write(schema: Any, batches: Iterator[Any], outputs: dict[str, Path]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    parts = {fmt: out.with_name(out.name + ".part") for fmt, out in outputs.items()}
    rows = 0
    try:
        with ExitStack() as stack:
            writers = []
            for fmt, tmp in parts.items():
                if fmt == "arrow":
                    sink = stack.enter_context(pa.OSFile(str(tmp), "wb"))
                    writers.append(stack.enter_context(pa.ipc.new_file(sink, schema)))
                else:
                    writers.append(stack.enter_context(pq.ParquetWriter(str(tmp), schema, compression="zstd")))
            for rb in batches:
                for w in writers:
                    w.write_batch(rb)
                rows += rb.num_rows
        for fmt, tmp in parts.items():
            os.replace(tmp, outputs[fmt])
    except BaseException as exc:
        for tmp in parts.values():
            tmp.unlink(missing_ok=True)
        if isinstance(exc, pa.ArrowException | OSError):
            raise OSError(f"cannot write {', '.join(map(str, outputs.values()))}: {exc}") from None
        raise
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    return rows
