"""Fuzz the readers: whatever the file holds, only RecordingError or a result comes out."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rec_helpers import T0, sample_events

from inspector.protocol.events import IN, FrameSeen
from inspector.recording import RecordingError, RecordingWriter, open_recording
from inspector.recording.columns import read_columns

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


_BASE: list[bytes] = []


def _valid_file(tmp_path) -> bytes:
    """One fixed recording (made once: its end marker carries the wall clock)."""
    if not _BASE:
        path = tmp_path / "base.rirec"
        with RecordingWriter(path, created=T0, background_flush=False) as w:
            for ev in [*sample_events(), FrameSeen("c9", T0 + 1, IN, b"\x10{}")]:
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
        raise AssertionError("columns accepted what the stream reader refused") from exc
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
    path.write_bytes(b"\n".join([header, *lines]))
    result = _read_both(path)
    assert result is not None  # a valid header always gives a result


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30) | st.floats() |
    st.sampled_from([-1, 0, T0, T0 * 1000, 1e11, 2.6e14, "send", "receive", "error", 1, 2, "AAEC",
                     "2025-11-28T03:20:00Z"]) |
    st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "time", "opcode", "data", "url", "request", "startedDateTime", "_webSocketMessages"]),
        children, max_size=5),
    max_leaves=20)
_TIME = st.sampled_from([-1, -0.5, 0, T0, T0 * 1000, 1e11, 2.5e14, 2.6e14, 1e300, 10 ** 20]) | st.floats() | _JSON
_MESSAGE = (st.fixed_dictionaries({"type": st.sampled_from(["send", "receive"]), "opcode": st.sampled_from([1, 2]),
                                   "data": st.just("AAEC")}, optional={"time": _TIME}) |
            st.fixed_dictionaries({}, optional={"type": _JSON | st.sampled_from(["send", "receive", "error"]),
                                                "time": _TIME, "opcode": _JSON | st.sampled_from([1, 2, -1]),
                                                "data": _JSON | st.sampled_from(["AAEC", "hello", ""])}) | _JSON)
_ENTRY = st.fixed_dictionaries({}, optional={"startedDateTime": _JSON, "request": st.fixed_dictionaries(
    {}, optional={"url": _JSON | st.just("ws://h/?token=sekret&x=1")}) | _JSON,
    "_webSocketMessages": st.lists(_MESSAGE, max_size=6) | _JSON}) | _JSON


@FUZZ
@given(entries=st.lists(_ENTRY, max_size=5))
@example(entries=[{"_webSocketMessages": [{"type": "send", "opcode": 2, "data": "AAEC", "time": T0 * 1000}]}])
@example(entries=[{"_webSocketMessages": [{"type": "send", "opcode": 2, "data": "AAEC", "time": 10 ** 20}]}])
def test_any_har_values_read_and_print_without_raising(tmp_path, entries):
    import json

    from inspector.cli.replay_cmd import format_line
    from inspector.protocol.json_output import json_line
    path = tmp_path / "f.har"
    path.write_text(json.dumps({"log": {"entries": entries}}))
    rec = open_recording(path)
    events = rec.load()
    assert all("\n" not in line for line in rec.errors)
    for ev in events:  # what replay and the app show: every time is a date
        format_line(ev, rec.start)
        json_line(ev)
    assert "sekret" not in json.dumps([getattr(rec, "conn_urls", {}), rec.url])
    assert len(read_columns(path)) == len(events)
