"""ProcessRecordingWriter and its sink process: the same bytes as RecordingWriter, crash-safe, errors reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pytest
from rec_helpers import T0, TOKEN, sample_events

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.recording import RecordingError, RecordingWriter, open_recording
from inspector.recording.process_writer import ProcessRecordingWriter

URL = f"ws://user:{TOKEN}@127.0.0.1:8765/api/v2/realtime?token={TOKEN}"


def many_events() -> list:
    evs = sample_events()
    # long runs of frames (one connection, one direction) between connection events
    # (the first 1500: one connection, one direction, as in a flood; then a conn id with % and ")
    for i in range(3500):
        conn = "c1" if i < 2000 else f"c{i % 3}" if i < 3000 else 'we%ird"c%s'
        uniform = i < 1500 or i >= 3000
        evs.append(FrameSeen(conn, T0 + 1 + i * 1e-4, IN if uniform or i % 5 else OUT,
                             b"\x10" + os.urandom(i % 300), text=not uniform and i % 997 == 0))
    return evs + sample_events(T0 + 2)


def lines_of(path) -> list[bytes]:
    return path.read_bytes().splitlines()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_same_bytes_as_the_in_process_writer(tmp_path):
    evs = many_events()
    with RecordingWriter(tmp_path / "a.rirec", profile="p", url=URL, created=T0) as w:
        for ev in evs:
            w.write_event(ev)
    with ProcessRecordingWriter(tmp_path / "b.rirec", profile="p", url=URL, created=T0) as pw:
        for i, ev in enumerate(evs):
            if type(ev) is FrameSeen and ev.direction == IN and not ev.text and i % 3:
                pw.tap((ev.conn, ev.t, ev.data))  # as a client's add_tap hands them over
            else:
                pw.write_event(ev)
            if i % 1000 == 0:
                time.sleep(0.06)  # several batches, split at arbitrary places
    a, b = lines_of(tmp_path / "a.rirec"), lines_of(tmp_path / "b.rirec")
    assert len(a) == len(b) == len(evs) + 2
    assert a[:-1] == b[:-1]  # all but the end marker (its time differs)
    assert b'"e":"end","records":%d}' % len(evs) in b[-1]
    assert TOKEN.encode() not in (tmp_path / "b.rirec").read_bytes()
    assert pw.records == len(evs) and pw.frames == sum(type(e) is FrameSeen for e in evs)
    assert pw.size == (tmp_path / "b.rirec").stat().st_size
    rec = open_recording(tmp_path / "b.rirec")
    assert len(rec.load()) == len(evs) and rec.clean_end


def test_frames_as_columns_write_the_same_bytes(tmp_path):
    """write_columns (what the app's recorder hands over: numpy columns, connections as
    indices) between write_event calls: the same file as one event at a time."""
    evs = many_events()
    evs += [FrameSeen("c1", 5e9 + i, OUT if i % 2 else IN, b"\x10late%d" % i) for i in range(5)]  # odd times
    with RecordingWriter(tmp_path / "a.rirec", profile="p", url=URL, created=T0) as w:
        for ev in evs:
            w.write_event(ev)
    labels = [*sorted({e.conn for e in evs}), "unused"]
    with ProcessRecordingWriter(tmp_path / "b.rirec", profile="p", url=URL, created=T0) as pw:
        run: list = []

        def hand_over():
            if not run:
                return
            ids = np.array([labels.index(e.conn) for e in run], np.uint16)
            outs = np.array([e.direction == OUT for e in run])
            texts = np.array([e.text for e in run])
            pw.write_columns(labels, (int(ids[0]),) if (ids == ids[0]).all() else ids,
                             np.array([e.t for e in run]), (bool(outs[0]),) if (outs == outs[0]).all() else outs,
                             texts if texts.any() else (False,), [e.data for e in run])
            run.clear()
        for ev in evs:
            if type(ev) is FrameSeen:
                run.append(ev)
                if len(run) == 700:
                    hand_over()
            else:
                hand_over()
                pw.write_event(ev)
        hand_over()
    a, b = lines_of(tmp_path / "a.rirec"), lines_of(tmp_path / "b.rirec")
    assert len(a) == len(b) == len(evs) + 2 and a[:-1] == b[:-1]
    assert pw.records == len(evs) and pw.frames == sum(type(e) is FrameSeen for e in evs)
    assert TOKEN.encode() not in (tmp_path / "b.rirec").read_bytes()


def test_flush_means_on_disk(tmp_path):
    path = tmp_path / "f.rirec"
    w = ProcessRecordingWriter(path, flush_interval=10)  # only flush() feeds
    try:
        for i in range(50):
            w.tap(("c1", T0 + i, b"\x10%d" % i))
        w.flush()
        assert len(lines_of(path)) == 51
        assert [e.data for e in open_recording(path).load()] == [b"\x10%d" % i for i in range(50)]
    finally:
        w.close()


def test_data_reaches_the_file_while_recording(tmp_path):
    """No flush() call: the feeder alone gets each frame to the file (how fast:
    bench/bench_flush_latency.py)."""
    path = tmp_path / "t.rirec"
    with ProcessRecordingWriter(path) as w:
        w.flush()  # the sink is up
        for i in range(3):
            w.tap(("c1", time.time(), b"\x10late%d" % i))
            wait_for(lambda want=2 + i: len(lines_of(path)) == want, "the frame to reach the file")


def test_the_app_killed_mid_stream_leaves_every_record_it_handed_over(tmp_path):
    path = tmp_path / "k.rirec"
    script = (
        "import sys, time\n"
        "from inspector.protocol.events import IN, FrameSeen\n"
        "from inspector.recording.process_writer import ProcessRecordingWriter\n"
        "w = ProcessRecordingWriter(sys.argv[1], profile='crash')\n"
        "for i in range(20000):\n"
        "    w.write_event(FrameSeen('c1', time.time(), IN, b'\\x10' + str(i).encode()))\n"
        "w.flush()\n"
        "print(w._proc.pid, flush=True)\n"
        "for i in range(20000, 10**9):\n"
        "    w.tap(('c1', time.time(), b'\\x10' + str(i).encode()))\n"
        "    if i % 100 == 0: time.sleep(0.0005)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True) as app:
        try:
            sink_pid = int(app.stdout.readline())
            flushed = path.stat().st_size  # the header and the 20000 written frames: flush() waits for the file
            # killed while tapping: once a tapped frame is in the file (its size: not 20000 lines read each poll)
            wait_for(lambda: path.stat().st_size > flushed, "a tapped frame in the file")
        finally:
            os.kill(app.pid, signal.SIGKILL)
    # EOF on its pipe: the sink writes what it has and exits
    wait_for(lambda: not _alive(sink_pid), "the sink to end with the app")
    rec = open_recording(path)
    datas = [e.data for e in rec.load()]
    assert len(datas) > 20000 and not rec.clean_end and not rec.truncated and not rec.warning
    assert datas == [b"\x10" + str(i).encode() for i in range(len(datas))]  # in order, none lost between


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


def test_disk_full_is_an_error_not_an_exception_in_the_tap(tmp_path):
    w = ProcessRecordingWriter("/dev/full")
    w.tap(("c1", T0, b"\x10"))  # never raises
    deadline = time.monotonic() + 10
    while not w.error:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert "No space left on device" in w.error
    with pytest.raises(RecordingError, match="No space left"):
        w.write_event(FrameSeen("c1", T0, IN, b"\x10"))
    with pytest.raises(RecordingError, match="No space left"):
        w.close()


def test_cannot_create_the_file_fails_at_once(tmp_path):
    with pytest.raises(RecordingError, match="cannot create recording"):
        ProcessRecordingWriter(tmp_path / "no" / "such" / "dir" / "x.rirec")


def test_sink_killed_is_reported(tmp_path):
    w = ProcessRecordingWriter(tmp_path / "s.rirec")
    w.flush()
    w.kill()
    deadline = time.monotonic() + 10
    while not w.error:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert "recording process ended unexpectedly" in w.error
    with pytest.raises(RecordingError):
        w.close()


def test_the_cli_runs_the_sink_as_the_frozen_app_does(tmp_path):
    path = tmp_path / "cli.rirec"
    with ProcessRecordingWriter(path, command=[sys.executable, "-m", "inspector", "--recording-sink"]) as w:
        w.tap(("c1", T0, b"\x10cli"))
    assert [e.data for e in open_recording(path).load()] == [b"\x10cli"]
    r = subprocess.run([sys.executable, "-m", "inspector", "--recording-sink"], capture_output=True, text=True)
    assert r.returncode == 2 and "internal" in r.stderr and "Traceback" not in r.stderr
