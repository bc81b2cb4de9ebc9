"""kill -9 a process writing a session: the reader gets every flushed row back, identical."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_kit import as_rows, batch

from inspector.logstore.session_store.layout import create_session, is_locked, read_meta
from inspector.logstore.session_store.reader import SessionReader

HELPERS = str(Path(__file__).resolve().parent.parent / "helpers")

# Stepped: a fake clock moves 0.1 s per batch and the flush interval is 0.25 s. After each
# batch the child reports (appended, written) and waits for a line before going on.
STEPPED = r"""
import sys
sys.path.insert(0, sys.argv[2])
from store_kit import CONNS, TOPICS, batch
from inspector.logstore.session_store.writer import SessionWriter
clock = [0.0]
w = SessionWriter(sys.argv[1], clock=lambda: clock[0], flush_interval=0.25)
k = 0
while True:
    w.append(batch(k), CONNS, TOPICS)
    k += 1
    print(k * 50, w.rows_written, flush=True)
    sys.stdin.readline()
    clock[0] += 0.1
"""

# Free-running: real clock, a short interval, batches as fast as it can; reports what is written.
RUNNING = r"""
import sys
sys.path.insert(0, sys.argv[2])
from store_kit import CONNS, TOPICS, batch
from inspector.logstore.session_store.writer import SessionWriter
w = SessionWriter(sys.argv[1], flush_interval=0.002, block_rows=120)
k = 0
while True:
    w.append(batch(k), CONNS, TOPICS)
    k += 1
    print(w.rows_written, flush=True)
"""

# The same through the writes' thread (logstore.sink_thread); every ten batches it waits until
# the thread is idle and reports what is in the file by then.
RUNNING_THREADED = r"""
import sys
sys.path.insert(0, sys.argv[2])
from store_kit import CONNS, TOPICS, batch
from inspector.logstore.session_store.writer import SessionWriter, open_sink
from inspector.logstore.sink_thread import SinkThread
thread = SinkThread()
w = SessionWriter(sys.argv[1], flush_interval=0.002, block_rows=120, opener=thread.opener(open_sink))
k = 0
while True:
    w.append(batch(k), CONNS, TOPICS)
    k += 1
    if k % 10 == 0:
        thread.wait_for(lambda: None)
        print(w.rows_written, flush=True)
"""


def _start(code: str, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, str(folder), HELPERS], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def test_kill_9_loses_only_the_rows_of_the_last_flush_interval(tmp_path):
    folder = create_session(tmp_path)
    proc = _start(STEPPED, folder)
    try:
        reports = []
        for step in range(7):  # batches at t = 0.0, 0.1, ... 0.6
            line = proc.stdout.readline()
            assert line, "the writer process ended"
            reports.append(tuple(map(int, line.split())))
            if step < 6:  # after the last report the child waits for a line until killed: no batch of t = 0.7
                proc.stdin.write("\n")
                proc.stdin.flush()
        assert is_locked(folder)  # open while its writer lives
        # t = 0.3: the batch of t = 0.0 was due, all four went; those of t = 0.4 ... 0.6 wait
        assert [w for _, w in reports] == [0, 0, 0, 200, 200, 200, 200]
        appended, written = reports[-1]
        assert (appended, written) == (350, 200)
    finally:
        _kill(proc)
    assert not is_locked(folder)  # the kill released it: the session counts as closed
    assert read_meta(folder)["closed"] is False
    with SessionReader(folder) as r:
        assert len(r) == written
        assert r.note == ""  # every flush was whole
        assert r.rows(0, len(r)) == [row for k in range(4) for row in as_rows(batch(k))]
    # lost: the batches of t = 0.4, 0.5 and 0.6, all appended within 0.25 s of the kill (t = 0.6)


# The same with every block's rows written as they are (as large rows are), not joined.
RUNNING_SCATTERED = RUNNING_THREADED.replace(
    "thread = SinkThread()\n",
    "thread = SinkThread()\nimport inspector.logstore.session_store.writer as writer_module\n"
    "writer_module.SCATTER_ROW_BYTES = 0\n")


@pytest.mark.parametrize("code", [RUNNING, RUNNING_THREADED, RUNNING_SCATTERED],
                         ids=["direct", "writes-thread", "rows-as-they-are"])
def test_kill_9_mid_write_recovers_a_whole_prefix(tmp_path, code):
    folder = create_session(tmp_path)
    proc = _start(code, folder)
    try:
        reported = 0
        while reported < 5000:
            line = proc.stdout.readline()
            assert line, "the writer process ended"
            reported = int(line)
    finally:
        _kill(proc)
    expected: list = []
    with SessionReader(folder) as r:
        n = len(r)
        assert n >= reported
        k = 0
        while len(expected) < n:
            expected += as_rows(batch(k))
            k += 1
        assert r.rows(0, n) == expected[:n]
        if r.lost_bytes:
            assert r.note == f"recovered {n} rows, lost {r.lost_bytes} bytes"
