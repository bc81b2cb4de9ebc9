"""Replay pacing (scaled speed, seek, step) and the `replay` command."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

import pytest
from rec_helpers import T0, TOKEN, sample_events

from inspector.protocol.describe import describe_session
from inspector.protocol.events import IN, FrameSeen, PongMissed
from inspector.protocol.frames import Event, encode
from inspector.recording import RecordingWriter
from inspector.recording.replay import Player, Timeline, check_speed, pace


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_pace_at_scaled_speed():
    items = [FrameSeen("c", T0 + i * 0.1, IN, b"\x20") for i in range(6)]  # 0.5 s recorded
    clock = FakeClock()
    start = clock.now
    shown = []
    for delay, item in pace(items, speed=5.0, clock=clock):
        clock.now += delay + 0.001  # the caller sleeps, a little late each time
        shown.append((clock.now - start, item))
    assert [item for _, item in shown] == items
    assert shown[-1][0] == pytest.approx(0.101)  # 0.5 s / 5; lateness does not add up
    assert shown[3][0] == pytest.approx(0.061)  # the fourth item at 0.3 s / 5


def test_pace_delays_with_a_fake_clock():
    clock = FakeClock()
    items = [FrameSeen("c", T0 + t, IN, b"") for t in (0.0, 1.0, 3.0, 2.0)]
    out = []
    for delay, _ in pace(items, speed=2.0, clock=clock):
        out.append(delay)
        clock.now += delay
    assert out == [0.0, 0.5, 1.0, 0.0]  # out-of-order item comes at once
    assert [d for d, _ in pace(items, speed=0)] == [0.0] * 4


@pytest.mark.parametrize("bad", [0.05, 101, -1, float("nan")])
def test_speed_limits(bad):
    with pytest.raises(ValueError, match="speed must be"):
        check_speed(bad)


def test_player_play_pause_seek_step_speed():
    clock = FakeClock()
    p = Player([0.0, 1.0, 2.0, 2.0, 5.0], speed=1.0, clock=clock)
    assert p.next_delay() is None  # paused
    p.play()
    assert list(p.take_due()) == [0] and p.next_delay() == 1.0
    clock.now += 2.0
    assert list(p.take_due()) == [1, 2, 3]
    p.set_speed(10.0)
    assert p.next_delay() == pytest.approx(0.3)
    p.pause()
    clock.now += 100
    assert p.next_delay() is None and list(p.take_due()) == []
    assert p.step() == 4 and p.finished and p.step() is None
    assert p.seek(1.5) == 2 and p.offset() == 1.5
    p.play()
    assert p.next_delay() == pytest.approx(0.05)
    p.set_speed(0)
    assert p.next_delay() == 0.0 and list(p.take_due(limit=2)) == [2, 3] and list(p.take_due()) == [4]
    assert p.next_delay() is None


def test_timeline_seek_with_numpy_offsets():
    import numpy as np
    tl = Timeline(np.array([0.0, 0.5, 0.5, 9.0]))
    assert (tl.index_at(0.5), tl.index_at(0.6), tl.index_at(10), tl.duration) == (1, 3, 4, 9.0)


# ------------------------------------------------------------------ the replay command


def _cli(*args, timeout=30):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "inspector", "replay", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "s.rirec"
    with RecordingWriter(path, profile="dev", url=f"ws://h/api/v2/realtime?token={TOKEN}", created=T0) as w:
        for ev in sample_events():
            w.write_event(ev)
        for i in range(3):
            w.write_event(FrameSeen("c1", T0 + 0.2 + i * 0.05, IN,
                                    encode(Event("ticker", "message", 1, {"p": i}, 100 + i))))
    return path


def test_replay_prints_every_record(recording):
    r = _cli(recording)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert len(lines) == len(sample_events()) + 3
    event_line = next(line for line in lines if "#42" in line)
    assert "EVENT" in event_line and "orders.eu" in event_line and "c1" in event_line and "← in" in event_line
    assert any("ERROR" in line and "invalid_topic" in line for line in lines)
    assert any("CONNECTION" in line and "closed 4401 — auth expired — reason: token expired" in line
               for line in lines)
    assert any("TEXT" in line for line in lines) and TOKEN not in r.stdout
    # the app's log wording, once: no "PONG-MISSED 2 in a row", no "SUB ... invalid_topic: ..." of its own
    for ev in (e for e in sample_events() if isinstance(e, PongMissed) or getattr(e, "error_code", None)):
        assert sum(line.endswith("CONNECTION  " + describe_session(ev)) for line in lines) == 1, describe_session(ev)
    assert [line.split()[7] for line in lines if "ticker" in line] == ["#100", "#101", "#102"]


def test_replay_json(recording):
    r = _cli(recording, "--json")
    assert r.returncode == 0
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    ev = next(o for o in objs if o.get("seq") == 42)
    assert ev["kind"] == "EVENT" and ev["topic"] == "orders.eu" and ev["dir"] == "in" and ev["event"] == "frame"
    assert ev["body"]["data"]["note"] == "a\u2028b\u2029c\x00\U0001F600"
    assert r.stdout.isascii()  # escaped, so line-splitting readers stay safe
    assert sum(1 for o in objs if o["event"] == "state") == 5


def test_replay_speed_paces_output(recording):
    start = time.monotonic()
    r = _cli(recording, "--speed", "2")
    assert r.returncode == 0
    assert time.monotonic() - start >= 0.15  # 0.3 s recorded, at 2x >= 0.15 s


def test_replay_truncated_prints_what_it_read(recording, tmp_path):
    raw = recording.read_bytes()
    cut = tmp_path / "cut.rirec"
    body = raw.split(b"\n")  # header + 5 whole records + 20 bytes of the 6th
    cut.write_bytes(b"\n".join(body[:6]) + b"\n" + body[6][:20])
    r = _cli(cut)
    assert r.returncode == 0
    assert len(r.stdout.splitlines()) == 5
    assert r.stderr.strip() == ("realtime-inspector: warning: cut.rirec: loaded 5 records, last one truncated "
                                "(20 bytes cut)")


@pytest.mark.parametrize("content", [b"hello world\n", b"\x00\xff" * 50, b'{"format": "other"}\n', b""])
def test_replay_garbage_is_one_line_exit_2(tmp_path, content):
    path = tmp_path / "junk.bin"
    path.write_bytes(content)
    r = _cli(path)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and "junk.bin" in r.stderr and "Traceback" not in r.stderr


def test_replay_json_prints_what_tail_json_printed_for_the_same_events(tmp_path):
    """Every kind of event, written to a recording and replayed: the same lines, times included."""
    from inspector.protocol.json_output import json_line
    from inspector.redact import scrub
    events = [
        *sample_events(),
        FrameSeen("c1", T0 + 0.3, IN, b'\x10{ "data": {"b": 2, "a": 1}, "ts": 5, "type": "message", '
                                      b'"topic": "orders.eu", "seq": 9, "region": "eu" }'),
        FrameSeen("c1", T0 + 0.31, IN, encode(Event("ticker", "message", 1, {"p": 1}, 1))),  # as the client emits it
    ]
    path = tmp_path / "all.rirec"
    with RecordingWriter(path, profile="dev", url="ws://h/api/v2/realtime", created=T0) as w:
        for ev in events:
            w.write_event(ev)
    r = _cli(path, "--json")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines() == [json_line(ev, scrub) for ev in events]
    assert TOKEN not in r.stdout


def test_replay_json_of_a_browser_har_keeps_the_servers_bytes(tmp_path):
    """A HAR as Chrome writes it, from a server whose JSON is laid out differently from ours."""
    body = b'{\n  "type": "message",\n  "topic": "orders.eu",\n  "ts": 1764300000123,\n  "data": {"z": 1, "a": 2}\n}'
    raw = b"\x10" + body
    har = {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [{
        "startedDateTime": "2025-11-28T03:20:00.000Z", "_resourceType": "websocket",
        "request": {"method": "GET", "url": "wss://api.example/api/v2/realtime?token=abc123"},
        "response": {"status": 101},
        "_webSocketMessages": [
            {"type": "receive", "time": T0 + 0.2, "opcode": 2, "data": base64.b64encode(raw).decode()},
        ]}]}}
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(har, indent=2))
    r = _cli(path, "--json")
    assert r.returncode == 0
    frame = next(json.loads(line) for line in r.stdout.splitlines() if '"event":"frame"' in line)
    assert base64.b64decode(frame["raw_b64"]) == raw and frame["conn"] == "ws1"
    assert list(frame["body"]) == ["type", "topic", "ts", "data"] and list(frame["body"]["data"]) == ["z", "a"]
    assert "abc123" not in r.stdout
