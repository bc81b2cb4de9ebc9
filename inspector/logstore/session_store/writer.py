"""SessionWriter: append rows to a session folder as Arrow record batches.

No threads of its own: rows wait in memory until a flush, which the writer does itself when the oldest
waiting row is ``flush_interval`` old (checked on ``append`` and ``tick``, which the owner's
timer calls) or a block is full, and always on ``flush`` and ``close``. A flush writes, in
order, the new labels, the batch, then its index entry, each with plain ``write`` or
``writev`` calls: once a flush returns, a kill -9 cannot take its rows (an OS crash can,
short of ``close(fsync=True)``).

The rows' bytes and fixed columns are kept by reference until written and never joined or
copied on the caller's thread: each block's Arrow message is made with stand-ins for its
columns and its bytes (``_stand_ins``), and the file gets the whole message as one ``Gather``,
the appends' own column arrays and the rows' own bytes in the stand-ins' place, which a sink
that writes on a thread of its own (``sink_thread``) joins and writes there in one go. So
what appending costs the caller does not grow with the frames' sizes, and that thread takes
the GIL a few times a block, not a few times a part. The rows' bytes are joined apart from
the message's other parts (pyarrow's buffers, the columns' arrays): a join of bytes objects
alone copies a large block without holding the GIL, one with any other buffer in it holds it
throughout; the parts and the joined bytes then go to the file in one ``writev``. Large rows
(``SCATTER_ROW_BYTES`` on average) are not joined at all: the file gets their own bytes,
IOV_MAX a ``writev``, between the message's other parts. With compression the columns and
bytes are joined here.

Any OSError while writing (a full disk) stops the writer for good: ``error`` holds one line
saying why, the files are cut back to the last whole batch, later rows are dropped (the app
keeps them in memory) and nothing raises from ``append``, ``tick`` or ``flush``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from inspector.logstore.session_store import block_index, labels
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.layout import (
    DATA_FILE,
    INDEX_FILE,
    LABELS_FILE,
    LOCK_FILE,
    update_meta,
)
from inspector.logstore.session_store.reserve import Reserve
from inspector.logstore.session_store.schema import SCHEMA, Rows, fixed_arrays, record_batch
from inspector.private_files import open_private

FLUSH_INTERVAL = 0.2  # with the owner's tick at least every 50 ms: rows reach the file within 250 ms
BLOCK_ROWS = 65536
BLOCK_BYTES = 16 * 1024 * 1024
# Rows this large on average are written as they are (``writev``, IOV_MAX rows a call) rather than
# joined first: the join's copy into fresh memory costs the writes' thread more than the calls'
# per-buffer work (bench_store.py --only live, "the writes thread's CPU time" of ~970 B frames);
# smaller rows cost more per call than the join does (the same line's ~100 B frames).
SCATTER_ROW_BYTES = 256


class Sink(Protocol):
    """The part of a binary file the writer uses (a test wraps one to fill the disk). A sink
    may also have ``writev(buffers) -> int``, ``os.writev``'s (``write_all`` uses it for a
    ``Gather``; without it the parts are joined and written)."""

    def write(self, data: bytes | memoryview, /) -> int | None: ...
    def truncate(self, size: int, /) -> int: ...
    def close(self) -> None: ...


class FileSink:
    """An unbuffered file, 0600, which also writes many buffers in one call (``writev``,
    where the OS has it). Once past a megabyte, its disk space is reserved ahead of the writes
    (``reserve``: the kernel's writes cost less; bench_store.py --only live, "the writes thread's
    CPU time"), and handed back when it is closed."""

    def __init__(self, path: Path) -> None:
        self._f = open_private(path, "wb", buffering=0)
        self._reserve = Reserve(self._f.fileno())
        if hasattr(os, "writev"):
            self.writev = self._writev

    def write(self, data: bytes | memoryview, /) -> int | None:
        self._reserve.before_write(memoryview(data).nbytes)
        n = self._f.write(data)
        self._reserve.wrote(n or 0)
        return n

    def _writev(self, buffers: Sequence[Any], /) -> int:
        # many buffers (a block's rows) are not counted: that would take the GIL a while
        few = self._reserve.on and len(buffers) <= 16
        self._reserve.before_write(sum(memoryview(b).nbytes for b in buffers) if few else 0)
        n = os.writev(self._f.fileno(), buffers)
        self._reserve.wrote(n)
        return n

    def truncate(self, size: int, /) -> int:
        n = self._f.truncate(size)
        self._reserve.cut(size)
        return n

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        try:
            if not self._f.closed:
                self._reserve.release()
        finally:
            self._f.close()


def open_sink(path: Path) -> Sink:
    """A new unbuffered file, 0600 (``FileSink``)."""
    return FileSink(path)


def _iov_max() -> int:
    try:
        return max(16, os.sysconf("SC_IOV_MAX"))
    except (AttributeError, ValueError, OSError):
        return 16  # POSIX's least


IOV_MAX = _iov_max()  # buffers one writev takes at most


def write_all(sink: Sink, data: bytes | memoryview | Gather, wrote: Callable[[int], None] | None = None) -> None:
    """Write every byte of ``data`` to ``sink``: a ``Gather``'s parts with the sink's
    ``writev`` (else joined), a short write carried on from the byte it stopped at. ``wrote``
    hears each call's count as it lands (what reached the file, should a later call fail); a
    call that writes nothing (a raw file that would block) fails as a short write. A
    ``Gather`` of large rows (``Gather.scattered``) goes out as the rows' own bytes, not joined."""
    if isinstance(data, Gather):
        writev = getattr(sink, "writev", None)
        if writev is not None:
            if data.scattered:
                _write_pieces(writev, data.head, wrote)
                for items, nbytes in data.row_runs(IOV_MAX):
                    _write_rows(writev, items, nbytes, wrote)
                _write_pieces(writev, data.tail, wrote)
            else:
                _write_pieces(writev, data.pieces(), wrote)
            return
        data = data.join()
    view = memoryview(data).cast("B")
    while view:
        n = sink.write(view)
        if not n:
            raise OSError(f"short write ({len(view)} bytes not written)")
        if wrote is not None:
            wrote(n)
        view = view[n:]


def _write_rows(writev: Callable[[Sequence[Any]], int], items: Sequence[Any], nbytes: int,
               wrote: Callable[[int], None] | None) -> None:
    """Rows' own bytes (at most IOV_MAX of them), ``nbytes`` by their sizes: one ``writev``
    call, the rest of a short write carried on (and the sizes checked then)."""
    n = writev(items)
    if n and wrote is not None:
        wrote(n)
    if n == nbytes:
        return
    actual = sum(memoryview(p).nbytes for p in items)
    if actual != nbytes:
        raise OSError(f"internal error: the rows' bytes differ from their sizes by {actual - nbytes:+d}")
    if not n:
        raise OSError(f"short write ({nbytes} bytes not written)")
    _write_pieces(writev, items, wrote, skip=n)


def _write_pieces(writev: Callable[[Sequence[Any]], int], pieces: Sequence[Any],
                  wrote: Callable[[int], None] | None, skip: int = 0) -> None:
    """``pieces`` end to end, from byte ``skip`` on."""
    views = [v for v in (memoryview(p).cast("B") for p in pieces) if v.nbytes]
    i = 0
    while skip and i < len(views):  # past the bytes written already
        if skip < views[i].nbytes:
            views[i] = views[i][skip:]
            break
        skip -= views[i].nbytes
        i += 1
    while i < len(views):
        n = writev(views[i:i + IOV_MAX])
        if not n:
            raise OSError(f"short write ({sum(v.nbytes for v in views[i:])} bytes not written)")
        if wrote is not None:
            wrote(n)
        while n:  # past the bytes written: whole views, then the start of one
            v = views[i]
            if n < v.nbytes:
                views[i] = v[n:]
                break
            n -= v.nbytes
            i += 1


Run = tuple[Sequence[Any], int, int]  # items lo to hi of a sequence of buffers, not copied


class Gather:
    """Bytes to write end to end, not joined yet: ``runs`` of buffers, the rows' own bytes
    objects in the callers' own lists, ``data_nbytes`` of them, between ``head`` and ``tail``,
    a block's message's other parts (pyarrow's buffers, the fixed columns' own arrays);
    ``nbytes`` in all. Nothing is copied until ``pieces`` or ``join``, not even the lists
    (copying a list touches every object in it), which checks that the rows' bytes are as
    many as the sizes said.

    With ``offsets`` (where each row's bytes start, from 0, and the end: the block's Arrow
    offsets) and rows of ``SCATTER_ROW_BYTES`` or more on average, the rows are ``scattered``:
    written as they are, IOV_MAX at a time (``row_runs``), never joined."""

    __slots__ = ("data_nbytes", "head", "nbytes", "offsets", "runs", "scattered", "tail")

    def __init__(self, runs: list[Run], nbytes: int, head: Sequence[Any] = (), tail: Sequence[Any] = (),
                 offsets: np.ndarray[Any, Any] | None = None) -> None:
        self.runs = runs
        self.data_nbytes = nbytes
        self.head = list(head)
        self.tail = list(tail)
        self.nbytes = nbytes + sum(memoryview(p).nbytes for p in (*self.head, *self.tail))
        self.offsets = offsets
        self.scattered = offsets is not None and len(offsets) > 1 and nbytes >= SCATTER_ROW_BYTES * (len(offsets) - 1)

    def row_runs(self, most: int) -> Iterator[tuple[Sequence[Any], int]]:
        """The rows' bytes, at most ``most`` rows at a time (slices of the callers' lists), and
        how many bytes each slice holds by the sizes (``offsets``)."""
        assert self.offsets is not None
        ends = self.offsets
        rows = sum(hi - lo for _, lo, hi in self.runs)
        if rows != len(ends) - 1:
            raise OSError(f"internal error: {rows} rows' bytes for {len(ends) - 1} rows")
        row = 0  # the block's row the run at hand starts at
        for seq, lo, hi in self.runs:
            for a in range(lo, hi, most):
                b = min(a + most, hi)
                yield seq[a:b], int(ends[row + b - lo]) - int(ends[row + a - lo])
            row += hi - lo

    def data(self) -> bytes:
        """The runs' bytes joined. Only they are in the join: of bytes objects alone, a large
        one copies without holding the GIL (a buffer of another type in it would hold it)."""
        items: Sequence[Any]
        if len(self.runs) == 1:
            seq, lo, hi = self.runs[0]
            items = seq if lo == 0 and hi == len(seq) else seq[lo:hi]
        else:
            whole: list[Any] = []
            for seq, lo, hi in self.runs:
                whole += seq if lo == 0 and hi == len(seq) else seq[lo:hi]
            items = whole
        out = b"".join(items)
        if len(out) != self.data_nbytes:
            off = len(out) - self.data_nbytes
            raise OSError(f"internal error: the rows' bytes differ from their sizes by {off:+d}")
        return out

    def pieces(self) -> list[Any]:
        """The buffers to write end to end: the head's, the rows' bytes joined, the tail's."""
        return [*self.head, self.data(), *self.tail]

    def join(self) -> bytes:
        return self.data() if not self.head and not self.tail else b"".join(self.pieces())


_zeros: Any = None


def _stand_ins(sizes: Sequence[int]) -> list[Any]:
    """Buffers of ``sizes`` that stand for a block's columns while its message is made: zeros
    that are never touched (``bytes(n)`` maps them lazily), the same memory for every block,
    each at an address of its own (the message's parts are told apart by where they start)."""
    global _zeros
    total = sum(sizes)
    if _zeros is None or _zeros.size < total:
        _zeros = pa.py_buffer(bytes(max(total, 2 * BLOCK_BYTES)))
    out, at = [], 0
    for size in sizes:
        out.append(_zeros.slice(at, size))
        at += size
    return out


class _Capture:
    """Where pyarrow's stream writer puts each message, for us to write out ourselves. The parts
    are kept as given (the batch's own buffers, not copies) until ``take`` joins them."""

    def __init__(self) -> None:
        self.parts: list[Any] = []
        self.closed = False

    def write(self, data: Any) -> int:
        self.parts.append(data)
        return memoryview(data).nbytes

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drop(self, prefix: bytes) -> None:
        """Leave out the first ``len(prefix)`` bytes, which must be ``prefix`` (only the parts
        that hold them are joined: the batch's own buffers stay as they are)."""
        head = b""
        while len(head) < len(prefix) and self.parts:
            head += bytes(self.parts.pop(0))
        if not head.startswith(prefix):
            raise OSError("the Arrow stream did not start with the schema written")
        if len(head) > len(prefix):
            self.parts.insert(0, head[len(prefix):])

    def take_parts(self, stand_ins: tuple[Any, dict[tuple[int, int], list[Any]]] | None = None,
                   gather: Gather | None = None) -> list[Any] | None:
        """The parts written since the last take, small ones joined (one write call each). With
        ``stand_ins`` (the bytes' stand-in, and each fixed column's stand-in by address and size,
        with the arrays to write in its place): the whole message as one ``Gather``, with
        ``gather``'s runs in place of the bytes' stand-in and the arrays in place of the columns'
        (one write, and one hand-over to the writes' thread, a block); None when a stand-in is
        not among the parts (the message cannot be written as it is)."""
        parts, self.parts = self.parts, []
        if stand_ins is not None:
            assert gather is not None
            data_in, columns = stand_ins
            head: list[Any] = []
            found = 0
            for k, part in enumerate(parts):
                key = (part.address, part.size) if isinstance(part, pa.Buffer) else None
                if key == (data_in.address, data_in.size):  # the bytes come after every fixed column
                    if found != len(columns):
                        return None
                    return [Gather(gather.runs, gather.nbytes, head=head, tail=parts[k + 1:],
                                   offsets=gather.offsets)]
                arrays = columns.get(key) if key is not None else None
                if arrays is None:
                    head.append(part)
                else:
                    head.extend(arrays)
                    found += 1
            return None
        out: list[Any] = []
        small: list[Any] = []
        for part in parts:
            if memoryview(part).nbytes < 65536:
                small.append(part)
                continue
            if small:
                out.append(b"".join(small))
                small = []
            out.append(part)
        if small:
            out.append(b"".join(small))
        return out


class _File:
    """A sink and how many of its bytes are whole (what a failed write is cut back to)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.size = 0

    def write(self, data: Any) -> None:
        if isinstance(data, Gather):
            write_gather = getattr(self.sink, "write_gather", None)  # joined on the sink's thread
            if write_gather is not None:
                write_gather(data)
                self.size += data.nbytes
                return
        write_all(self.sink, data)
        self.size += data.nbytes if isinstance(data, Gather) else memoryview(data).nbytes

    def cut_back(self, size: int) -> None:
        self.sink.truncate(size)
        self.size = size


class SessionWriter:
    """Appends rows to one session folder (see the module's docstring). The fixed columns are
    kept by reference until written (the caller hands over columns it no longer changes), and
    so are the sequences of the rows' bytes (not even copied: the caller does not change them)."""

    def __init__(self, folder: str | os.PathLike[str], *, clock: Callable[[], float] = time.monotonic,
                 flush_interval: float = FLUSH_INTERVAL, block_rows: int = BLOCK_ROWS,
                 block_bytes: int = BLOCK_BYTES, compression: str | None = None,
                 opener: Callable[[Path], Sink] = open_sink) -> None:
        """Start writing the session in ``folder`` (made by ``layout.create_session``).

        Raises StoreError when the files cannot be created. ``compression`` is None, "lz4" or
        "zstd" (Arrow's own buffer compression, which every Arrow reader undoes).
        """
        self.folder = Path(folder)
        self._clock = clock
        self._interval = flush_interval
        self._block_rows = block_rows
        self._block_bytes = block_bytes
        self.error = ""
        self.rows_written = 0
        self.rows_dropped = 0
        self.blocks: list[block_index.Block] = []
        self._pending: list[list[np.ndarray[Any, Any]]] = []  # the fixed columns of each append
        self._pending_data: list[Run] = []  # the rows' bytes: the callers' own sequences
        self._scratch = np.empty(0, np.int64)  # ``_ends``'s memory
        self._pending_rows = 0
        self._pending_bytes = 0
        self._oldest = 0.0
        self._labels_written = {labels.CONN: 0, labels.TOPIC: 0}
        self._new_labels = b""
        self._closed = False
        self._gather = compression is None  # a block's message is made before its bytes are joined
        self._lock_fd = -1
        self._files: list[_File] = []
        self._schema_size = 0
        self._schema_prefix = b""
        try:
            self._lock_fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                                    0o600)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OSError("another writer has it open") from None
            self._data = self._open(opener, DATA_FILE)
            self._index = self._open(opener, INDEX_FILE)
            self._labels = self._open(opener, LABELS_FILE)
            self._capture = _Capture()
            options = pa.ipc.IpcWriteOptions(compression=compression, use_threads=False)
            self._stream = pa.ipc.new_stream(self._capture, SCHEMA, options=options)
            # the stream writer puts the schema before its first batch: write it now, strip it then
            self._schema_prefix = SCHEMA.serialize().to_pybytes()
            self._data.write(self._schema_prefix)
            self._schema_size = self._data.size
            self._index.write(block_index.MAGIC)
        except OSError as exc:
            self._close_files()
            self._release()
            raise StoreError(f"cannot write a session in {self.folder}: {_reason(exc)}") from exc

    def _open(self, opener: Callable[[Path], Sink], name: str) -> _File:
        f = _File(opener(self.folder / name))
        self._files.append(f)
        return f

    # ------------------------------------------------------------------ writing

    def append(self, rows: Rows, conns: Sequence[str] = (), topics: Sequence[str] = ()) -> None:
        """Queue ``rows``; flush when due. ``conns`` and ``topics`` are the caller's label lists
        (the names of ids 0, 1, ...): they may only grow, and the writer stores each new name once."""
        if self._closed:
            raise StoreError("the session writer is closed")
        fixed = fixed_arrays(rows)
        self._queue_labels(labels.CONN, conns)
        self._queue_labels(labels.TOPIC, topics)
        n = len(rows.data)
        if self.error:
            self.rows_dropped += n
            return
        if n:
            if not self._pending_rows:
                self._oldest = self._clock()
            self._pending.append(fixed)
            self._pending_data.append((rows.data, 0, n))  # not copied: the sizes are checked when written
            self._pending_rows += n
            self._pending_bytes += int(fixed[6].sum())
        self.tick()

    def append_table(self, table: Any, conns: Sequence[str] = (), topics: Sequence[str] = ()) -> None:
        """Rows in the store's own layout (a ``SessionReader.table``: Arrow slices of its blocks)
        written as they are, after any waiting rows: no per-row work. ``conns`` and ``topics``
        as for ``append``."""
        if self._closed:
            raise StoreError("the session writer is closed")
        self.flush()
        self._queue_labels(labels.CONN, conns)
        self._queue_labels(labels.TOPIC, topics)
        if self.error:
            self.rows_dropped += table.num_rows
            return
        batches = [rb for rb in table.to_batches(max_chunksize=self._block_rows) if rb.num_rows]
        for k, rb in enumerate(batches):
            try:
                self._write_batch(rb)
            except OSError as exc:
                self._fail(exc)
                self.rows_dropped += sum(b.num_rows for b in batches[k:])
                return

    def tick(self) -> None:
        """Write whole blocks as they fill, and everything once the oldest waiting row is
        ``flush_interval`` old."""
        if not self._pending_rows:
            return
        if self._clock() - self._oldest >= self._interval:
            self.flush()
        elif self._pending_rows >= self._block_rows or self._pending_bytes >= self._block_bytes:
            self._write(whole_blocks_only=True)

    def flush(self) -> None:
        """Write every waiting row now (in blocks of at most ``block_rows`` rows and about
        ``block_bytes`` bytes)."""
        self._write(whole_blocks_only=False)

    def _write(self, *, whole_blocks_only: bool) -> None:
        if not self._pending_rows or self.error:
            return
        pending, data = self._pending, self._pending_data
        total = self._pending_rows
        self._pending, self._pending_data = [], []
        self._pending_rows = self._pending_bytes = 0
        ends = self._ends(pending, total)

        def at(i: int) -> int:  # where row i's bytes start, counted from the first waiting row's
            return int(ends[i - 1]) if i else 0

        spans = _blocks(ends, self._block_rows, self._block_bytes)
        if whole_blocks_only and len(spans) > 1:  # the last block is not full: it waits
            lo = spans.pop()[0]
            self._pending, self._pending_data = _cut_columns(pending, lo, total), _cut(data, lo, total)
            self._pending_rows = total - lo
            self._pending_bytes = at(total) - at(lo)
            total -= self._pending_rows
        before = self.rows_written
        try:
            for lo, hi in spans:
                offsets = np.empty(hi - lo + 1, np.int32)  # the bytes' Arrow offsets, from 0
                offsets[0] = 0
                np.subtract(ends[lo:hi], at(lo), out=offsets[1:], casting="unsafe")
                self._write_block(_cut_columns(pending, lo, hi), offsets,
                                  Gather(_cut(data, lo, hi), at(hi) - at(lo), offsets=offsets))
        except OSError as exc:
            self._fail(exc)
            self.rows_dropped += total - (self.rows_written - before) + self._pending_rows
            self._pending, self._pending_data, self._pending_rows, self._pending_bytes = [], [], 0, 0

    def _ends(self, pending: list[list[np.ndarray[Any, Any]]], total: int) -> np.ndarray[Any, Any]:
        """Where each waiting row's bytes end (the running sum of the sizes), in memory kept from
        one write to the next (fresh memory costs a page fault a page): good until the next call."""
        if len(self._scratch) < total:
            self._scratch = np.empty(total, np.int64)
        ends = self._scratch[:total]
        at = base = 0
        for cols in pending:
            k = len(cols[6])
            part = ends[at:at + k]
            np.cumsum(cols[6], out=part)
            if base:
                part += base
            if k:
                base = int(part[-1])
            at += k
        if len(self._scratch) > 4 * self._block_rows:  # a very large append: not kept
            self._scratch = np.empty(0, np.int64)
        return ends

    def _write_block(self, pieces: list[list[np.ndarray[Any, Any]]], offsets: np.ndarray[Any, Any],
                     data: Gather) -> None:
        """One block, its fixed columns in ``pieces`` (each append's part of them). Its message is
        made with stand-ins for its columns and its bytes, which the file gets in their place: the
        columns' own arrays as they are, the bytes joined on the way (``Gather``). Joined here:
        with compression (it reads them), or a message without the stand-ins."""
        rows = len(offsets) - 1
        first, last = float(pieces[0][0][0]), float(pieces[-1][0][-1])
        if self._gather and data.nbytes:
            sizes = [sum(p[k].nbytes for p in pieces) for k in range(len(pieces[0]))]
            data_in, *fixed_in = _stand_ins([data.nbytes, *sizes])
            columns = {(b.address, b.size): [p[k] for p in pieces] for k, b in enumerate(fixed_in)}
            parts = self._message(record_batch(fixed_in, data_in, offsets, rows), (data_in, columns), data)
            if parts is not None:
                self._write_parts(first, last, rows, parts)
                return
        fixed = pieces[0] if len(pieces) == 1 else [np.concatenate(cols) for cols in zip(*pieces, strict=True)]
        self._write_batch(record_batch(fixed, data.join(), offsets, rows))

    def _write_batch(self, rb: Any) -> None:
        parts = self._message(rb)
        assert parts is not None
        t = rb.column(0).to_numpy()
        self._write_parts(float(t[0]), float(t[-1]), len(t), parts)

    def _message(self, rb: Any, stand_ins: tuple[Any, dict[tuple[int, int], list[Any]]] | None = None,
                 data: Gather | None = None) -> list[Any] | None:
        """The parts of ``rb``'s Arrow message (``take_parts``: None when a stand-in was not found)."""
        self._stream.write_batch(rb)
        if self._schema_prefix:  # the first batch: the schema written already comes first
            self._capture.drop(self._schema_prefix)
            self._schema_prefix = b""
        return self._capture.take_parts(stand_ins, data)

    def _write_parts(self, first: float, last: float, rows: int, parts: list[Any]) -> None:
        """Write a block's message (its new labels first, its index entry after): ``rows`` rows
        of times ``first`` to ``last``."""
        if self._new_labels:
            self._labels.write(self._new_labels)
            self._new_labels = b""
        start = self._data.size
        for part in parts:  # the batch's buffers as they are, not joined into a copy
            self._data.write(part)
        block = block_index.Block(start, self._data.size - start, rows, first, last)
        self._index.write(block_index.encode(block))
        self.blocks.append(block)
        self.rows_written += block.rows

    def _queue_labels(self, label: str, names: Sequence[str]) -> None:
        done = self._labels_written[label]
        if len(names) < done:
            raise ValueError(f"the {label} names may only grow ({len(names)} given, {done} written)")
        if len(names) > done:
            self._new_labels += labels.encode(label, done, list(names[done:]))
            self._labels_written[label] = len(names)

    def abandon(self, exc: OSError) -> None:
        """Stop as for a failed write of its own: ``exc`` failed a write the sink was doing
        later (``sink_thread``), which the writer would otherwise learn of only at its next write."""
        if self._closed:  # the files are closed: nothing left to cut
            self.error = self.error or f"session store stopped writing: {_reason(exc)} ({self.folder})"
        elif not self.error:
            self._fail(exc)
            self.rows_dropped += self._pending_rows
            self._pending, self._pending_data, self._pending_rows, self._pending_bytes = [], [], 0, 0

    def _fail(self, exc: OSError) -> None:
        """Stop writing; cut each file back to its last whole part so no reader sees a torn one."""
        self.error = f"session store stopped writing: {_reason(exc)} ({self.folder})"
        # a sink that writes later (sink_thread) says how much reached the file: the blocks past it are torn
        on_disk = getattr(self._data.sink, "written", None)
        while self.blocks and on_disk is not None and self.blocks[-1].end > on_disk:
            torn = self.blocks.pop()
            self.rows_written -= torn.rows
            self.rows_dropped += torn.rows
        whole = self.blocks[-1].end if self.blocks else self._schema_size
        # the index first: a reader never sees it list a block the data no longer holds
        for f, size in ((self._index, len(block_index.MAGIC) + block_index.ENTRY_SIZE * len(self.blocks)),
                        (self._data, whole)):
            with contextlib.suppress(OSError):  # the reader drops a torn tail anyway
                f.cut_back(size)

    # ------------------------------------------------------------------ closing

    def close(self, *, fsync: bool = False) -> None:
        """Flush, mark the session closed and release it. Never raises for a write error
        (``error`` says it); ``fsync`` also makes the files survive an OS crash."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._close_files(fsync=fsync and not self.error)
        if not self.error:
            try:
                update_meta(self.folder, closed=True, rows=self.rows_written)
            except OSError as exc:
                self.error = f"session store could not close the session: {_reason(exc)} ({self.folder})"
        self._release()

    def _close_files(self, *, fsync: bool = False) -> None:
        for f in self._files:
            try:
                fileno = getattr(f.sink, "fileno", None)
                if fsync and fileno is not None:
                    os.fsync(fileno())
                f.sink.close()
            except OSError:
                pass  # closing is all that is left to do
        self._files.clear()

    def _release(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cut(runs: list[Run], lo: int, hi: int) -> list[Run]:
    """Rows ``lo`` to ``hi`` of ``runs`` taken end to end, as runs of the same sequences."""
    out = []
    start = 0  # the first row of the run at hand
    for seq, a, b in runs:
        end = start + b - a
        if end > lo and start < hi:
            out.append((seq, a + max(lo - start, 0), a + min(hi, end) - start))
        start = end
    return out


def _cut_columns(pending: list[list[np.ndarray[Any, Any]]], lo: int, hi: int) -> list[list[np.ndarray[Any, Any]]]:
    """Rows ``lo`` to ``hi`` of the appends' columns taken end to end, as views of them."""
    out = []
    start = 0  # the first row of the append at hand
    for cols in pending:
        end = start + len(cols[0])
        if end > lo and start < hi:
            a, b = max(lo - start, 0), min(hi, end) - start
            out.append(cols if a == 0 and b == end - start else [c[a:b] for c in cols])
        start = end
    return out


def _blocks(ends: np.ndarray[Any, Any], max_rows: int, max_bytes: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``max_rows`` rows and about ``max_bytes`` bytes (one row at least);
    ``ends`` is where each row's bytes end (the running sum of the sizes)."""
    n = len(ends)
    out = []
    lo = 0
    while lo < n:
        base = int(ends[lo - 1]) if lo else 0
        hi = int(np.searchsorted(ends, base + max_bytes, side="right"))
        hi = min(max(hi, lo + 1), lo + max_rows, n)
        out.append((lo, hi))
        lo = hi
    return out


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
