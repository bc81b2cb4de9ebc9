"""Rows for the session store's tests: made the same in a test and in a writer subprocess."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np

from inspector.logstore.session_store.schema import Row, Rows
from inspector.logstore.session_store.writer import Sink, open_sink

CONNS = ["c1", "c2"]
TOPICS = ["", "a.b", "quotes"]


def batch(k: int, n: int = 50) -> Rows:
    """Batch ``k`` (0, 1, ...): ``n`` rows whose times, seqs and bytes name the batch and row."""
    i = np.arange(n)
    data = [b"\x10" + f"batch {k} row {j} ".encode() + bytes([j % 256]) * (j % 40) for j in range(n)]
    return Rows(t=k * 1000.0 + i * 0.5, conn=i % 2, direction=i % 3, kind=np.where(i % 7 == 0, -3, 16),
                topic=i % 3, seq=k * n + i, flags=i % 4, data=data, gap=np.where(i % 5 == 0, i, 0))


def as_rows(rows: Rows) -> list[Row]:
    """What a reader gives back for ``rows``."""
    cols: list[Any] = [np.asarray(c).tolist() for c in (rows.t, rows.conn, rows.direction, rows.kind, rows.topic,
                                                         rows.seq)]
    out = []
    for j, data in enumerate(rows.data):
        t, conn, direction, kind, topic, seq = (c[j] for c in cols)
        gap = 0 if rows.gap is None else int(np.asarray(rows.gap)[j])
        out.append(Row(float(t), CONNS[conn], direction, kind, TOPICS[topic], seq, len(data), gap,
                       int(np.asarray(rows.flags)[j]), data))
    return out


class FullDisk:
    """A file that takes ``room`` bytes in all, then fails as a full disk does (ENOSPC): the write
    that crosses the limit writes what fits first, like a real short write."""

    def __init__(self, path: Path, room: list[int]) -> None:
        self._f: Sink = open_sink(path)
        self._room = room  # shared by every file of a writer: one disk

    def write(self, data: bytes | memoryview, /) -> int | None:
        if self._room[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        part = memoryview(data)[:self._room[0]]
        n = self._f.write(part) or 0
        self._room[0] -= n
        return n

    def truncate(self, size: int, /) -> int:
        return self._f.truncate(size)

    def close(self) -> None:
        self._f.close()


class FullDiskV(FullDisk):
    """``FullDisk`` with a ``writev`` too (as the app's files have): the call that crosses the
    limit writes the buffers' bytes that fit, then the next fails."""

    def writev(self, buffers: list[Any], /) -> int:
        if self._room[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self._f.writev(clipped(buffers, self._room[0]))  # type: ignore[attr-defined]
        self._room[0] -= n
        return n


class ShortWrites:
    """A real file whose every ``writev`` (and ``write``) writes at most the next of ``caps``
    bytes, as a kernel may: the writer must carry on from the very byte it stopped at."""

    def __init__(self, path: Path, caps: list[int]) -> None:
        self._f: Sink = open_sink(path)
        self._caps = caps
        self._k = 0
        self.calls: list[int] = []  # buffers given to each writev

    def _cap(self) -> int:
        self._k += 1
        return self._caps[(self._k - 1) % len(self._caps)]

    def write(self, data: bytes | memoryview, /) -> int | None:
        return self._f.write(memoryview(data)[:self._cap()])

    def writev(self, buffers: list[Any], /) -> int:
        self.calls.append(len(buffers))
        return self._f.writev(clipped(buffers, self._cap()))  # type: ignore[attr-defined]

    def truncate(self, size: int, /) -> int:
        return self._f.truncate(size)

    def close(self) -> None:
        self._f.close()


def clipped(buffers: list[Any], limit: int) -> list[memoryview]:
    """The first ``limit`` bytes of ``buffers`` taken end to end, as views of them."""
    out = []
    for b in buffers:
        if not limit:
            break
        v = memoryview(b).cast("B")[:limit]
        out.append(v)
        limit -= v.nbytes
    return out
