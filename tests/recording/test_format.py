"""Write/read round trip of every record kind, odd bytes and characters, flushing, redaction."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rec_helpers import T0, TOKEN, comparable, sample_events

from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.protocol.frames import DecodeError, Error, Event
from inspector.recording import FORMAT, VERSION, RecordingError, RecordingWriter, open_recording
from inspector.recording import writer as writer_module


def test_every_kind_round_trips(tmp_path):
    path = tmp_path / "s.rirec"
    events = sample_events()
    with RecordingWriter(path, profile="dev", url="ws://127.0.0.1/api/v2/realtime", created=T0) as w:
        for ev in events:
            w.write_event(ev)
        assert w.records == len(events)
    rec = open_recording(path)
    back = rec.load()
    assert not rec.truncated and rec.warning is None and rec.clean_end and rec.count == len(events)
    # the token in the last message was scrubbed; everything else is identical
    assert back[-1].message == "refused: ws://h/api/v2/realtime?token=***"
    assert [comparable(e) for e in back[:-1]] == [comparable(e) for e in events[:-1]]
    assert isinstance(back[3].frame, Event) and back[3].frame.seq == 42
    assert back[3].frame.data["note"] == "a\u2028b\u2029c\x00\U0001F600"
    assert isinstance(back[4].frame, Error) and back[4].frame.message == "bad \u2028 topic"
    assert isinstance(back[5].frame, DecodeError) and back[5].data == bytes(range(256))
    text = back[7]
    assert text.text and text.data == "text \u2028 line\nbreak".encode() and isinstance(text.frame, DecodeError)


def test_header_and_file_are_ascii_lines(tmp_path):
    path = tmp_path / "s.rirec"
    url = f"wss://user:pw@h.example/api/v2/realtime?token={TOKEN}&x=1"
    with RecordingWriter(path, profile="d\u2028ev", url=url) as w:
        for ev in sample_events(time.time()):
            w.write_event(ev)
    raw = path.read_bytes()
    raw.decode("ascii")  # pure ASCII: nothing can split a line but \n
    lines = raw.split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    header = json.loads(lines[0])
    assert header["format"] == FORMAT and header["version"] == VERSION and header["profile"] == "d\u2028ev"
    assert "T" in header["created"] and isinstance(header["created_epoch"], float)
    assert TOKEN not in header["url"] and "pw" not in header["url"] and "x=1" in header["url"]
    assert TOKEN.encode() not in raw and b"user:pw" not in raw
    assert open_recording(path).url == header["url"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.binary(max_size=300), st.booleans(), st.sampled_from([IN, OUT]),
                          st.text(min_size=1, max_size=8)), max_size=20))
def test_arbitrary_frames_round_trip(tmp_path, frames):
    path = tmp_path / "h.rirec"
    events = [FrameSeen(conn, T0 + i * 0.5, d, data, text=text) for i, (data, text, d, conn) in enumerate(frames)]
    with RecordingWriter(path, created=T0, background_flush=False) as w:
        for ev in events:
            w.write_event(ev)
    back = open_recording(path).load(decode=False)
    assert [comparable(e) for e in back] == [comparable(e) for e in events]


def test_flush_without_close(tmp_path, monkeypatch):
    """Both flush paths: the flush driven by a later write once the buffer is older than the
    interval, and the background flusher (how fast: bench/bench_flush_latency.py)."""
    path = tmp_path / "write.rirec"
    # the writer's clock, stepped by hand: on a busy machine a real one can pass the interval between two lines
    now = [100.0]
    with monkeypatch.context() as m:
        m.setattr(writer_module, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
        w = RecordingWriter(path, flush_interval=0.05, background_flush=False)
        now[0] += 0.049
        w.write_event(StateChanged("c1", time.time(), State.OPEN))
        assert path.read_bytes().count(b"\n") == 1  # only the header yet: buffered
        now[0] += 0.001  # the buffer is now as old as the interval
        w.write_event(StateChanged("c1", time.time(), State.CLOSED, code=1000))
        assert path.read_bytes().count(b"\n") == 3
        w.close()

    path = tmp_path / "background.rirec"
    w = RecordingWriter(path, flush_interval=0.05, background_flush=True)
    w.write_event(StateChanged("c1", time.time(), State.OPEN))
    deadline = time.monotonic() + 10
    while path.read_bytes().count(b"\n") < 2:
        assert time.monotonic() < deadline, "the background flusher never wrote the event"
        time.sleep(0.005)
    w.close()


def test_explicit_flush_and_size(tmp_path):
    path = tmp_path / "x.rirec"
    with RecordingWriter(path, background_flush=False) as w:
        w.write_event(FrameSeen("c", time.time(), IN, b"\x20abc"))
        assert w.size > path.stat().st_size
        w.flush()
        assert w.size == path.stat().st_size == w.bytes_written
        assert b'"b":"IGFiYw=="' in path.read_bytes()


def test_write_error_is_a_clear_recording_error(tmp_path):
    with pytest.raises(RecordingError, match="cannot create recording"):
        RecordingWriter(tmp_path / "missing-dir" / "x.rirec")
    w = RecordingWriter(tmp_path / "y.rirec", background_flush=False)
    w._file.close()  # the disk goes away under us
    w.write_event(FrameSeen("c", time.time(), IN, b"\x20"))
    with pytest.raises(RecordingError, match="cannot write recording"):
        w.flush()
    with pytest.raises(RecordingError):
        w.write_event(FrameSeen("c", time.time(), IN, b"\x20"))


def test_a_header_cut_short_says_so_however_it_was_written(tmp_path):
    """A header line cut before its end (nothing recorded after it) is named as such, whatever
    the key order and spacing of the writer; a cut line without the format is not ours."""
    cuts = [b'{"format":"realtime-inspector-recording","version":1,"created_ep',
            b'{ "version": 1, "format": "realtime-inspector-recording", "created_epoch": 17643']
    for i, cut in enumerate(cuts):
        path = tmp_path / f"cut{i}.rirec"
        path.write_bytes(cut)
        with pytest.raises(RecordingError, match=r"^recording header is cut short; nothing was recorded$"):
            open_recording(path)
    other = tmp_path / "other.rirec"
    other.write_bytes(b'{"format": "something-else", "vers')
    with pytest.raises(RecordingError) as info:
        open_recording(other)
    assert "cut short" not in str(info.value)
