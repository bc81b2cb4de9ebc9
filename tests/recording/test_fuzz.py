"""Fuzz the readers: whatever the file holds, only RecordingError or a result comes out."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.protocol.events import IN, FrameSeen
from inspector.recording import RecordingError, RecordingWriter, open_recording
from inspector.recording.columns import read_columns
from rec_helpers import T0, sample_events

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


_BASE: list[bytes] = []


def _valid_file(tmp_path) -> bytes:
    """One fixed recording (made once: its end marker carries the wall clock)."""
    if not _BASE:
        path = tmp_path / "base.rirec"
        with RecordingWriter(path, created=T0, background_flush=False) as w:
            for ev in sample_events() + [FrameSeen("c9", T0 + 1, IN, b"\x10{}")]:
                w.write_event(ev)
        _BASE.append(path.read_bytes())
    return _BASE[0]


def _read_both(path) -> tuple[int, bool] | None:
    try:
        rec = open_recording(path)
    except RecordingError as exc:
        assert "\n" not in str(exc) and str(exc)
        try:
            read_columns(path)
        except RecordingError:
            return None
        raise AssertionError("columns accepted what the stream reader refused")
    events = rec.load()
    assert rec.count == len(events)
    if rec.truncated:
        assert "last one truncated" in rec.warning
    cols = read_columns(path)
    assert len(cols) == len(events)  # both readers agree
    for i in range(len(cols)):
        cols.event(i)
    cols.close()
    return len(events), rec.truncated


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "f.rirec"
    path.write_bytes(data)
    _read_both(path)


@FUZZ
@given(st.data())
def test_truncated_and_mutated_recordings(tmp_path, data):
    base = _valid_file(tmp_path)
    cut = data.draw(st.integers(0, len(base)))
    content = bytearray(base[:cut])
    for _ in range(data.draw(st.integers(0, 3))):
        if content:
            i = data.draw(st.integers(0, len(content) - 1))
            content[i] = data.draw(st.integers(0, 255))
    path = tmp_path / "m.rirec"
    path.write_bytes(bytes(content))
    result = _read_both(path)
    if result is not None and content == base[:cut] and cut > base.find(b"\n"):
        n, truncated = result
        complete = base[:cut].count(b"\n") - 1
        torn_tail = not base[:cut].endswith(b"\n")
        # a clean cut loses nothing but the torn record; the end marker is not an event, and a
        # tail cut exactly before its newline is still a whole record
        assert complete - 1 <= n <= complete + 1
        assert not truncated or torn_tail
        if torn_tail and n <= complete - (b'"e":"end"' in base[:cut]):
            assert truncated


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=80),
                          st.sampled_from([b'{"t":1,"w":5,"c":"a","d":"in","b":"QQ=="}',
                                           b'{"t":1,"w":5,"c":"a","d":"in","b":"Q==="}',
                                           b'{"t":1,"w":1e999,"c":"a","d":"in","b":""}',
                                           b'{"t":1,"w":5,"c":"a","d":"up","b":""}',
                                           b'{"t":1,"w":5,"c":"a","e":"state","state":"nope"}',
                                           b'{"t":1,"w":5,"c":"a","e":"rtt","rtt":true}',
                                           b'[1,2]', b'{"t":-0,"w":0.5e3,"c":" ","d":"out","b":"AAAA","x":true}'])),
                max_size=12))
def test_garbage_lines_after_a_header(tmp_path, lines):
    header = _valid_file(tmp_path).split(b"\n")[0]
    path = tmp_path / "g.rirec"
    path.write_bytes(b"\n".join([header] + lines))
    result = _read_both(path)
    assert result is not None  # a valid header always gives a result
