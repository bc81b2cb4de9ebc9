"""The writes waiting for the disk are bounded: a slow disk slows the log down (nothing is
lost, memory stays bounded), a failing one never leaves the log waiting; closing twice is
harmless; the session's writer (and pyarrow) is made off the caller's thread.

Real FrameStore, real LiveSession writing real files through the writes' thread; the disk
is slowed or failed by a sink that waits on a gate the test opens.
"""

from __future__ import annotations

import errno
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from framegen import event

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.writer import Sink, open_sink

BOUND = 256 * 1024
BATCHES, ROWS = 40, 100  # ~100 KB a batch: 4 MB in all, sixteen times the bound


class GatedSink:
    """A file whose writes wait until ``gate`` opens (a disk far slower than the log), then
    succeed, or fail as a full disk does when ``full``."""

    def __init__(self, path: Path, gate: threading.Event, full: bool = False) -> None:
        self._f: Sink = open_sink(path)
        self._gate = gate
        self._full = full

    def write(self, data: bytes | memoryview, /) -> int | None:
        self._gate.wait()
        if self._full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._f.write(data)

    def truncate(self, size: int, /) -> int:
        return self._f.truncate(size)

    def close(self) -> None:
        self._f.close()


def _session(tmp_path: Path, gate: threading.Event, errors: list[str], full: bool = False) -> LiveSession:
    live = LiveSession(tmp_path, on_error=errors.append, queue_bytes=BOUND,
                       writer_options={"flush_interval": 0.0, "block_rows": ROWS // 2,
                                       "opener": lambda p: GatedSink(p, gate, full)})
    live.open()  # made before the rows come (else they wait for it in memory, under a bound of their own)
    return live


def _feed(store: FrameStore) -> threading.Thread:
    """The log's batches, from a thread of their own (``put`` may wait: the test watches it)."""
    def run() -> None:
        for k in range(BATCHES):
            store.extend([event(seq=k * ROWS + i, t=float(k), data={"pad": "x" * 1000}) for i in range(1, ROWS + 1)])
    feeder = threading.Thread(target=run, name="test-feeder")
    feeder.start()
    return feeder


def _waits_for_room(live: LiveSession) -> None:
    """Until the feeder is held back by the full queue (polled: a condition, not a fixed sleep)."""
    tick = threading.Event()
    for _ in range(30_000):
        writes = live.writes
        if writes is not None and writes.waits:
            return
        tick.wait(0.001)
    pytest.fail("the feeder was never held back")


def test_a_slow_disk_holds_the_log_back_and_every_row_arrives(tmp_path):
    gate, errors = threading.Event(), []
    store = FrameStore()
    live = _session(tmp_path, gate, errors)
    live.attach(store)
    feeder = _feed(store)
    _waits_for_room(live)
    assert feeder.is_alive() and live.rows_put < BATCHES * ROWS  # held back, not dropping
    gate.set()
    feeder.join()
    live.close()
    writes = live.writes
    assert errors == [] and writes is not None
    assert 0 < writes.peak_bytes <= BOUND  # the bytes queued for the disk never passed the bound
    with SessionReader(live.folder) as reader:
        assert len(reader) == BATCHES * ROWS == len(store)
        assert [r.seq for r in reader.rows(0, len(reader))] == list(range(1, BATCHES * ROWS + 1))


def test_a_failing_disk_never_leaves_the_log_waiting(tmp_path):
    gate, errors = threading.Event(), []
    store = FrameStore()
    live = _session(tmp_path, gate, errors, full=True)
    live.attach(store)
    feeder = _feed(store)
    _waits_for_room(live)
    gate.set()  # every write fails now: the waiting put returns, and no later one waits
    feeder.join(timeout=60)
    assert not feeder.is_alive()
    live.close()
    assert len(store) == BATCHES * ROWS  # the log has every row
    assert len(errors) == 1 and "No space left on device" in errors[0]
    live.close()  # again, after the failure: returns at once
    assert len(errors) == 1


def test_closing_twice_returns(tmp_path):
    store = FrameStore()
    live = LiveSession(tmp_path, on_error=pytest.fail)
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])
    live.close()
    live.close()
    store.extend([event(seq=i) for i in range(101, 201)])  # after the close: not written, no error
    live.close()
    with SessionReader(live.folder) as reader:
        assert len(reader) == 100


WHO_IMPORTS = """
import sys, threading
importers = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow":
            importers.append(threading.current_thread().name)
        return None
sys.meta_path.insert(0, Watch())
from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
sys.path.insert(0, sys.argv[2])
from framegen import event
store = FrameStore()
live = LiveSession(sys.argv[1], on_error=print)
live.attach(store)
store.extend([event(seq=i) for i in range(1, 101)])
live.close()
print(importers, live.rows_put)
"""


def test_pyarrow_is_loaded_by_the_writes_thread_not_the_caller(tmp_path):
    helpers = Path(__file__).resolve().parent.parent / "helpers"
    out = subprocess.run([sys.executable, "-c", WHO_IMPORTS, str(tmp_path), str(helpers)], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.strip() == "['session-store-writes'] 100"


def test_rows_that_come_while_the_writer_is_made_are_bounded_too(tmp_path):
    gate, limit = threading.Event(), 64 * 1024
    store = FrameStore()

    def slow_open(path: Path) -> Sink:
        gate.wait()  # the writer is made on the writes' thread: it waits here
        return open_sink(path)

    live = LiveSession(tmp_path, on_error=pytest.fail, early_limit=limit, writer_options={"opener": slow_open})
    peaks: list[int] = []

    def put(columns: Sequence[Any], data: Sequence[bytes], conns: list[str], topics: list[str]) -> None:
        live.put(columns, data, conns, topics)
        peaks.append(live.waiting_bytes)  # what is held once put returns
    store.row_sink = put
    feeder = _feed(store)
    tick = threading.Event()
    for _ in range(30_000):  # until a put passed the limit and waits for the writer
        if live.waiting_bytes > limit:
            break
        tick.wait(0.001)
    assert live.waiting_bytes > limit and live.writer is None
    gate.set()
    feeder.join()
    live.close()
    assert max(peaks) <= limit  # no put returned holding more
    with SessionReader(live.folder) as reader:
        assert len(reader) == BATCHES * ROWS


def test_a_write_that_fails_after_the_last_batch_keeps_the_session_pending_until_a_tick_says_so(tmp_path):
    gate, errors = threading.Event(), []
    store = FrameStore()
    live = _session(tmp_path, gate, errors, full=True)
    live.attach(store)
    store.extend([event(seq=i) for i in range(1, 101)])  # the last batch: its writes wait at the gate
    assert live.pending
    gate.set()
    live.drain()  # the writes failed, after every row was handed to the writes' thread
    assert live.pending and errors == []  # the owner's timer goes on ticking...
    live.tick()
    assert len(errors) == 1 and not live.pending  # ...and its next tick reports the full disk
    live.close()
