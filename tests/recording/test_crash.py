"""kill -9 a process that is recording mid-stream; every complete record must load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from inspector.recording import open_recording
from inspector.recording.columns import read_columns

WRITER = r"""
import sys, time
from inspector.protocol.events import IN, FrameSeen
from inspector.recording import RecordingWriter
w = RecordingWriter(sys.argv[1], profile="crash", flush_interval=0.05)
i = 0
while True:
    # frames of growing size, so some flushes end mid-record at the OS level only rarely;
    # the torn tail below is made explicit as well
    w.write_event(FrameSeen("c1", time.time(), IN, b"\x10" + b"x" * (i % 500)))
    i += 1
    if i % 200 == 0:
        time.sleep(0.001)
"""


def test_kill_9_mid_stream_then_reopen(tmp_path):
    path = tmp_path / "crash.rirec"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until a good number of records reached the file
            if path.exists() and path.stat().st_size > 200_000:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the recording subprocess wrote nothing")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    raw = path.read_bytes()
    complete = raw.count(b"\n") - 1  # minus the header
    assert complete > 100

    rec = open_recording(path)
    events = rec.load()
    assert len(events) == complete  # every complete record loads, nothing more
    assert all(ev.data[:1] == b"\x10" for ev in events)
    assert not rec.clean_end  # no end marker: it did not close

    # tear the last complete record the way a crash mid-write would (the kill itself may
    # already have left a partial line at the end of raw: drop that first)
    whole = raw[: raw.rfind(b"\n") + 1]
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    torn = path.with_name("torn.rirec")
    torn.write_bytes(whole[:last_start] + whole[last_start:][:25])
    rec = open_recording(torn)
    assert rec.truncated
    events = rec.load()
    assert len(events) == complete - 1
    assert rec.warning.startswith(f"torn.rirec: loaded {complete - 1} records, last one truncated")
    cols = read_columns(torn)
    assert len(cols) == complete - 1 and cols.truncated
    cols.close()
