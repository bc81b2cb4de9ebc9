"""Fuzz the capture reader: whatever a .pcapng or .pcap holds, only RecordingError or a result comes out."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rec_helpers import T0, sample_events

from inspector.recording import RecordingError, open_recording
from inspector.recording.pcapng_export import write_pcapng

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MAGICS = [b"\x0a\x0d\x0d\x0a", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1"]
_VALID = io.BytesIO()
write_pcapng(sample_events(T0), _VALID, url="ws://127.0.0.1:8765/api/v2/realtime")
VALID = _VALID.getvalue()


def read(path) -> None:
    try:
        rec = open_recording(path)
    except RecordingError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    events = rec.load()
    assert rec.count == len(events)
    if rec.warning is not None:
        assert "\n" not in rec.warning


@FUZZ
@given(st.sampled_from(MAGICS), st.binary(max_size=400))
def test_arbitrary_bytes_after_a_capture_magic(tmp_path, magic, data):
    path = tmp_path / "f.pcapng"
    path.write_bytes(magic + data)
    read(path)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=8),
       st.integers(4, len(VALID)))
@example(changes=[(954, 0)], keep=1612)  # a refusal's Content-Length shortened: its body overruns it
@example(changes=[(112, 0)], keep=1080)  # a packet's clock damaged: a time no calendar holds
def test_a_damaged_export(tmp_path, changes, keep):
    data = bytearray(VALID)
    for at, value in changes:
        data[at] = value
    path = tmp_path / "d.pcapng"
    path.write_bytes(bytes(data[:keep]))
    read(path)
