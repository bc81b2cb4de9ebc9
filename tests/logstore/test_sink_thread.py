"""The session writer's files written by a thread of their own: kill -9 keeps a whole prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from store_kit import as_rows, batch

from inspector.logstore.session_store.layout import create_session
from inspector.logstore.session_store.reader import SessionReader

HELPERS = str(Path(__file__).resolve().parent.parent / "helpers")

# Free-running through the writes' thread; every so often it waits for the thread to be idle
# and reports the rows that are in the file by then.
RUNNING = r"""
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


def test_kill_9_while_the_thread_writes_recovers_a_whole_prefix(tmp_path):
    folder = create_session(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", RUNNING, str(folder), HELPERS], stdout=subprocess.PIPE,
                            text=True)
    try:
        reported = 0
        while reported < 5000:
            line = proc.stdout.readline()
            assert line, "the writer process ended"
            reported = int(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    with SessionReader(folder) as r:
        n = len(r)
        assert n >= reported  # what the thread had written when it was idle is all there
        expected: list = []
        k = 0
        while len(expected) < n:
            expected += as_rows(batch(k))
            k += 1
        assert r.rows(0, n) == expected[:n]
        if r.lost_bytes:
            assert r.note == f"recovered {n} rows, lost {r.lost_bytes} bytes"
