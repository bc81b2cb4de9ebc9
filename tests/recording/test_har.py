"""HAR import (Chrome's _webSocketMessages) and export, built in the test."""

from __future__ import annotations

import base64
import json

import pytest

from inspector.protocol.events import IN, OUT, FrameSeen, StateChanged
from inspector.protocol.frames import DecodeError, Error, Event, Ping, Subscribe, encode
from inspector.recording import RecordingError, open_recording
from inspector.recording.columns import read_columns
from inspector.recording.export import export_har, export_recording
from rec_helpers import TOKEN, T0, sample_events


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


EVENT = encode(Event("orders.eu", "message", 1764300000123, {"total": 250}, 3))
ERROR = encode(Error("invalid_filter", "unexpected token at 5", 9))


def chrome_har() -> dict:
    ws = {
        "startedDateTime": "2025-11-28T03:20:00.000Z",
        "request": {"method": "GET", "url": f"wss://api.example/api/v2/realtime?token={TOKEN}",
                    "headers": [{"name": "Upgrade", "value": "websocket"}]},
        "response": {"status": 101},
        "_resourceType": "websocket",
        "_webSocketMessages": [
            {"type": "send", "time": T0 + 0.1, "opcode": 2, "data": b64(encode(Subscribe("orders.eu", None, 9)))},
            {"type": "receive", "time": T0 + 0.2, "opcode": 2, "data": b64(ERROR)},
            {"type": "receive", "time": T0 + 0.3, "opcode": 2, "data": b64(EVENT)},
            {"type": "send", "time": T0 + 0.4, "opcode": 1, "data": "hello \u2028 text"},
            {"type": "receive", "time": T0 + 0.5, "opcode": 2, "data": b64(b"\x7a not ours")},
            {"type": "receive", "time": T0 + 0.6, "opcode": 2, "data": "%%% not base64"},
            {"type": "receive", "time": T0 + 0.7, "opcode": 9, "data": ""},
        ],
    }
    second = {"startedDateTime": "bad date", "request": {"url": "ws://other/x"},
              "_webSocketMessages": [{"type": "receive", "time": T0 + 0.25, "opcode": 2, "data": b64(encode(Ping(b"1")))}]}
    page = {"startedDateTime": "2025-11-28T03:20:00.000Z", "request": {"method": "GET", "url": "https://api.example/"},
            "response": {"status": 200}}
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                    "entries": [page, ws, second]}}


def test_import_chrome_har(tmp_path):
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(chrome_har(), indent=2))
    rec = open_recording(path)
    assert rec.source == "har" and rec.ignored_entries == 1
    assert TOKEN not in rec.url and "token=***" in rec.url
    events = rec.load()
    frames = [e for e in events if isinstance(e, FrameSeen)]
    assert [e.conn for e in events if isinstance(e, StateChanged)] == ["ws1", "ws2"]
    assert [(f.conn, f.direction) for f in frames] == [("ws1", OUT), ("ws1", IN), ("ws2", IN), ("ws1", IN),
                                                      ("ws1", OUT), ("ws1", IN)]
    assert [f.t for f in frames] == sorted(f.t for f in frames)
    assert isinstance(frames[0].frame, Subscribe)
    assert isinstance(frames[1].frame, Error) and frames[1].frame.code == "invalid_filter"
    assert isinstance(frames[2].frame, Ping) and frames[3].data == EVENT and isinstance(frames[3].frame, Event)
    text = frames[4]
    assert text.text and text.data == "hello \u2028 text".encode() and isinstance(text.frame, DecodeError)
    assert isinstance(frames[5].frame, DecodeError) and frames[5].frame.code == "unknown_kind"
    assert rec.error_count == 2 and "not base64" in rec.errors[0] and "opcode 9" in rec.errors[1]
    assert "2 unreadable messages skipped" in rec.warning
    cols = read_columns(path)  # the app's reader takes HAR too
    assert len(cols) == len(events) and list(cols.kind[cols.kind >= 0])[:2] == [0x01, 0xFF]


@pytest.mark.parametrize("content", [b'{"log": {}}', b"[]", b'{"log": {"entries": 5}}', b"{not json"])
def test_not_a_har(tmp_path, content):
    path = tmp_path / "x.har"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match="not a recording or HAR file"):
        open_recording(path)


def test_har_without_websockets_warns(tmp_path):
    path = tmp_path / "x.har"
    path.write_text(json.dumps({"log": {"entries": [{"request": {"url": "https://a/"}}]}}))
    rec = open_recording(path)
    assert rec.load() == [] and "no WebSocket entries" in rec.warning


def test_export_har_round_trips_and_has_no_token(tmp_path):
    events = sample_events()
    path = tmp_path / "out.har"
    n = export_har(events, path, url=f"wss://u:pw@h/api/v2/realtime?token={TOKEN}", secrets=[TOKEN])
    frames = [e for e in events if isinstance(e, FrameSeen)]
    assert n == len(frames)
    raw = path.read_text()
    assert TOKEN not in raw and "pw@" not in raw
    doc = json.loads(raw)
    entry = doc["log"]["entries"][0]
    assert entry["_resourceType"] == "websocket" and entry["response"]["status"] == 101
    assert all("uthoriz" not in h["name"] for h in entry["request"]["headers"])
    back = [e for e in open_recording(path).load() if isinstance(e, FrameSeen)]
    key = lambda f: (f.t, f.direction, f.data, f.text)  # noqa: E731
    assert sorted(map(key, back)) == sorted(map(key, frames))


def test_export_recording_selection(tmp_path):
    events = sample_events()[2:6]
    path = tmp_path / "sel.rirec"
    assert export_recording(events, path, profile="p", url=f"ws://h/?token={TOKEN}") == 4
    rec = open_recording(path)
    back = rec.load()
    assert rec.start == events[0].t and [e.data for e in back] == [e.data for e in events]
    assert TOKEN.encode() not in path.read_bytes()
