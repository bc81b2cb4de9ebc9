"""``tail --record FILE.rirec``: the file holds exactly what tail saw, never the token (a path
ending in .rirec keeps the recording format; any other is a session store: test_cli_store)."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time

from inspector.protocol.events import FrameSeen, RttMeasured, State, StateChanged, SubscriptionChanged
from inspector.recording import open_recording

TOKEN = "tail-record-token-7f3a9c"
CLI = [sys.executable, "-m", "inspector"]


def start_tail(url: str, path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "tail", url, "--token", TOKEN, "--subscribe", "odd", "--json",
                             "--record", str(path), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 10) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"no {needle!r} in {lines}")


def test_record_holds_every_frame_tail_printed_and_no_token(mock_server, tmp_path):
    srv = mock_server()
    path = tmp_path / "tail.rirec"
    url = f"{srv.url}?token={TOKEN}"  # a token in the URL must not reach the file either
    proc = start_tail(url, path, "--ping-every", "0.05")
    printed = wait_for_line(proc, '"state":"active"')
    odd = ["\u2028 line sep", "\u2029", "\x85 NEL", "emoji \U0001F600", "nul \x00", "last one"]
    printed += wait_for_line(proc, '"event":"rtt"')
    for value in odd:
        srv.call(srv.server.publish, "odd", {"v": value})
    printed += wait_for_line(proc, "last one")
    proc.send_signal(signal.SIGINT)
    with proc:  # read through the buffered reader (communicate() would skip its buffer), then close the pipes
        out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait(20)
    assert proc.returncode == 0, err
    printed += out.splitlines(keepends=True)
    frames_printed = [(o["t"], o["dir"], base64.b64decode(o["raw_b64"]))
                      for o in map(json.loads, printed) if o["event"] == "frame"]

    rec = open_recording(path)
    events = rec.load()
    assert rec.clean_end and not rec.truncated and not rec.errors
    frames = [(e.t, e.direction, e.data) for e in events if type(e) is FrameSeen]
    assert frames == frames_printed  # same frames, same bytes, same times, same order
    received = [json.loads(d[1:])["data"]["v"] for _, dr, d in frames if dr == "in" and d[:1] == b"\x10"
                and json.loads(d[1:])["type"] == "message"]
    assert received == odd  # U+2028 and friends round-trip
    assert any(isinstance(e, RttMeasured) for e in events)
    assert any(isinstance(e, SubscriptionChanged) and e.topic == "odd" for e in events)
    assert [e.state for e in events if isinstance(e, StateChanged)][:2] == [State.CONNECTING, State.OPEN]
    data = path.read_bytes()
    assert TOKEN.encode() not in data and b"Authorization" not in data
    assert rec.header["profile"] == "tail" and "token=***" in rec.header["url"]


def test_record_to_an_unwritable_place_is_a_one_line_error(mock_server, tmp_path):
    srv = mock_server()
    proc = subprocess.run([*CLI, "tail", srv.url, "--token", TOKEN, "--count", "1",
                           "--record", str(tmp_path / "no-such-dir" / "x.rirec")],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "x.rirec" in proc.stderr
    assert "Traceback" not in proc.stderr and TOKEN not in proc.stderr


def test_full_disk_is_refused_before_connecting(mock_server, tmp_path):
    srv = mock_server()
    full = tmp_path / "full.rirec"  # a .rirec name keeps the .rirec format; this one is a full disk
    full.symlink_to("/dev/full")
    proc = subprocess.run([*CLI, "tail", srv.url, "--token", TOKEN, "--subscribe", "x", "--duration", "5",
                           "--record", str(full)], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"realtime-inspector: error: cannot write recording {full}: No space left on device"]
    assert proc.stdout == ""  # the header could not be written, so nothing was started
