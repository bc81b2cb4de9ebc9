"""The data file's disk space reserved ahead of its writes: its size always what was written,
the blocks past the end handed back when it is closed or cut, and a refusal harmless."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from inspector.logstore.session_store import reserve
from inspector.logstore.session_store.layout import create_session
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.schema import Rows
from inspector.logstore.session_store.writer import FileSink, SessionWriter

CHUNK = bytes(range(256)) * 256  # 64 KB
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fallocate's KEEP_SIZE is Linux's")


def allocated(path) -> int:
    return os.stat(path).st_blocks * 512


@LINUX
def test_a_growing_file_has_room_reserved_past_its_end_and_handed_back_on_close(tmp_path):
    path = tmp_path / "f"
    sink = FileSink(path)
    assert sink._reserve.on  # Linux: libc's fallocate found (a regression here fails, not skips)
    sink.write(CHUNK)
    assert allocated(path) < 2 * len(CHUNK)  # a small file: nothing reserved
    for _ in range(40):
        sink.write(CHUNK)
        assert os.stat(path).st_size == sink._reserve.end  # the size is what was written
    size = 41 * len(CHUNK)
    assert sink._reserve.on and allocated(path) >= size + reserve.MIN_AHEAD - len(CHUNK)  # room ahead
    sink.writev([CHUNK] * 20)  # too many buffers to count: the next MB at least is reserved
    size += 20 * len(CHUNK)
    assert os.stat(path).st_size == size and allocated(path) >= size
    sink.close()
    assert allocated(path) < size + 2 * len(CHUNK)
    assert path.read_bytes() == CHUNK * (size // len(CHUNK))


@LINUX
def test_a_cut_frees_what_was_reserved_past_it(tmp_path):
    path = tmp_path / "f"
    sink = FileSink(path)
    assert sink._reserve.on  # Linux: libc's fallocate found (a regression here fails, not skips)
    for _ in range(40):
        sink.write(CHUNK)
    sink.truncate(len(CHUNK))
    assert allocated(path) < 2 * len(CHUNK) and os.stat(path).st_size == len(CHUNK)
    sink.close()
    assert path.read_bytes() == CHUNK


def test_a_refused_reservation_leaves_plain_writes(tmp_path, monkeypatch):
    """A file system that refuses (or a full disk) stops the reserving, not the writing."""
    calls = []

    def refuse(*args):
        calls.append(args)
        return -1

    monkeypatch.setattr(reserve, "_looked", True)
    monkeypatch.setattr(reserve, "_fallocate", refuse)
    path = tmp_path / "f"
    sink = FileSink(path)
    for _ in range(40):
        sink.write(CHUNK)
    sink.writev([CHUNK] * 3)
    sink.close()
    assert len(calls) == 1 and not sink._reserve.on
    assert path.read_bytes() == CHUNK * 43


def test_a_session_past_a_megabyte_reads_back_whole_and_keeps_no_room_once_closed(tmp_path):
    folder = create_session(tmp_path)
    datas = [bytes([i % 251]) * (1000 + i % 3000) for i in range(3000)]
    with SessionWriter(folder, block_rows=256) as w:
        for a in range(0, len(datas), 100):
            part = datas[a:a + 100]
            n = len(part)
            w.append(Rows(np.arange(a, a + n, dtype=float), np.zeros(n), np.ones(n), np.full(n, 16), np.zeros(n),
                          np.arange(a, a + n), np.zeros(n), part), ["c"], [""])
    data = folder / "frames.arrows"
    assert w.error == "" and os.stat(data).st_size > 2 * reserve.MIN_AHEAD
    assert allocated(data) < os.stat(data).st_size + 64 * 1024
    with SessionReader(folder) as r:
        assert [row.data for row in r.rows(0, len(r))] == datas
