"""HAR import (Chrome's _webSocketMessages) and export, built in the test."""

from __future__ import annotations

import base64
import json

import pytest
from rec_helpers import T0, TOKEN, sample_events

from inspector.protocol.events import IN, OUT, FrameSeen, StateChanged
from inspector.protocol.frames import DecodeError, Error, Event, Ping, Subscribe, encode
from inspector.recording import RecordingError, open_recording
from inspector.recording.columns import read_columns
from inspector.recording.export import export_har, export_recording


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
              "_webSocketMessages": [{"type": "receive", "time": T0 + 0.25, "opcode": 2,
                                      "data": b64(encode(Ping(b"1")))}]}
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
    assert rec.errors == ["entry 2 (_webSocketMessages[5]): binary data is not base64, skipped",
                          "entry 2 (_webSocketMessages[6]): opcode 9 is not 1 (text) or 2 (binary), skipped",
                          'entry 3: startedDateTime "bad date" is not an ISO 8601 date, the first message\'s time '
                          'is used']
    assert rec.warning == "capture.har: 2 unreadable messages skipped; 1 unusable entry field"
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
    n = export_har(events, path, url=f"wss://u:pw@h/api/v2/realtime?token={TOKEN}")
    frames = [e for e in events if isinstance(e, FrameSeen)]
    assert n == len(frames)
    raw = path.read_text()
    assert TOKEN not in raw and "pw@" not in raw
    assert path.stat().st_mode & 0o777 == 0o600  # traffic: readable by the user only
    doc = json.loads(raw)
    entry = doc["log"]["entries"][0]
    assert entry["_resourceType"] == "websocket" and entry["response"]["status"] == 101
    assert all("uthoriz" not in h["name"] for h in entry["request"]["headers"])
    back = [e for e in open_recording(path).load() if isinstance(e, FrameSeen)]
    key = lambda f: (f.t, f.direction, f.data, f.text)  # noqa: E731
    assert sorted(map(key, back)) == sorted(map(key, frames))


def test_export_har_names_each_connection_by_its_url_masked_by_structure(tmp_path):
    events = sample_events()
    path = tmp_path / "out.har"
    export_har(events, path, conn_urls={
        # the token's value also appears inside the path and another parameter: those are data, kept
        "c1": f"wss://u:pw@eu.example:8443/api/v2/realtime?topic=a%20b+c&token={TOKEN}&x={TOKEN[:6]}#frag",
        "c2": "ws://127.0.0.1:8765/api/v2/realtime",
    })
    entries = json.loads(path.read_text())["log"]["entries"]
    assert [(e["_inspectorConnection"], e["request"]["url"]) for e in entries] == [
        ("c1", f"wss://***@eu.example:8443/api/v2/realtime?topic=a%20b+c&token=***&x={TOKEN[:6]}#frag"),
        ("c2", "ws://127.0.0.1:8765/api/v2/realtime")]
    assert entries[0]["request"]["queryString"] == [{"name": "topic", "value": "a b c"},
                                                    {"name": "token", "value": "***"},
                                                    {"name": "x", "value": TOKEN[:6]}]
    assert TOKEN not in path.read_text()
    rec = open_recording(path)
    assert rec.conn_urls == {"ws1": entries[0]["request"]["url"], "ws2": entries[1]["request"]["url"]}


def test_export_recording_selection(tmp_path):
    events = sample_events()[2:6]
    path = tmp_path / "sel.rirec"
    assert export_recording(events, path, profile="p", url=f"ws://h/?token={TOKEN}") == 4
    rec = open_recording(path)
    back = rec.load()
    assert rec.start == events[0].t and [e.data for e in back] == [e.data for e in events]
    assert TOKEN.encode() not in path.read_bytes()


# ---------------------------------------------------------------- time units and odd inputs

def ws_entry(messages, started="2025-11-28T03:20:00.000Z", url="ws://h/api/v2/realtime?token=abc&topic=x%20y"):
    entry = {"request": {"url": url}, "_webSocketMessages": messages}
    if started is not None:
        entry["startedDateTime"] = started
    return entry


def har_file(tmp_path, *entries, indent=None, name="x.har"):
    path = tmp_path / name
    path.write_text(json.dumps({"log": {"entries": list(entries)}}, indent=indent))
    return path


PING = encode(Ping(b"1"))


def msg(t, data=PING, kind="receive"):
    return {"type": kind, "time": t, "opcode": 2, "data": b64(data)}


def frame_times(path):
    return [e.t for e in open_recording(path).load() if isinstance(e, FrameSeen)]


@pytest.mark.parametrize("started", ["2025-11-28T03:20:00.000Z", None, "2025-11-28T08:20:00+05:00",
                                     "2025-11-27T22:20:00", "not a date"])
def test_milliseconds_and_seconds_land_at_the_same_wall_time(tmp_path, started):
    ms = har_file(tmp_path, ws_entry([msg(T0 * 1000 + 100.5), msg(T0 * 1000 + 250)], started), name="ms.har")
    s = har_file(tmp_path, ws_entry([msg(T0 + 0.1005), msg(T0 + 0.25)], started), name="s.har")
    assert frame_times(ms) == pytest.approx([T0 + 0.1005, T0 + 0.25], abs=1e-6)
    assert frame_times(s) == pytest.approx([T0 + 0.1005, T0 + 0.25], abs=1e-6)


def test_each_entry_has_its_own_unit_and_they_interleave(tmp_path):
    path = har_file(tmp_path, ws_entry([msg(T0 * 1000 + 100), msg(T0 * 1000 + 300)]),
                    ws_entry([msg(T0 + 0.2)], started="2025-11-28T03:20:00.150Z"))
    events = [e for e in open_recording(path).load() if isinstance(e, FrameSeen)]
    assert [(e.conn, round(e.t - T0, 3)) for e in events] == [("ws1", 0.1), ("ws2", 0.2), ("ws1", 0.3)]


def test_devtools_layout_pretty_printed_keys_reordered_with_bom(tmp_path):
    entry = {"_resourceType": "websocket",
             "_webSocketMessages": [{"data": b64(EVENT), "opcode": 2, "time": T0 + 0.5, "type": "receive"},
                                    {"opcode": 1, "type": "send", "data": "hi", "time": T0 + 0.25}],
             "cache": {}, "request": {"headers": [], "url": "wss://h/api/v2/realtime"},
             "startedDateTime": "2025-11-28T03:20:00.000Z", "time": 12.5}
    path = tmp_path / "devtools.har"
    text = json.dumps({"log": {"creator": {"name": "WebInspector"}, "entries": [entry], "version": "1.2"}}, indent=2)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    rec = open_recording(path)
    frames = [e for e in rec.load() if isinstance(e, FrameSeen)]
    assert [(f.t, f.data, f.text) for f in frames] == [(T0 + 0.25, b"hi", True), (T0 + 0.5, EVENT, False)]
    assert rec.warning is None


@pytest.mark.parametrize("bad, why", [
    ({"type": "receive", "time": "1764300000.1", "opcode": 2, "data": ""}, "time is not a number, skipped"),
    ({"type": "receive", "time": True, "opcode": 2, "data": ""}, "time is not a number, skipped"),
    ({"type": "receive", "time": [1], "opcode": 2, "data": ""}, "time is not a number, skipped"),
    ({"type": "receive", "time": -5, "opcode": 2, "data": ""}, "time -5 is negative, skipped"),
    ({"type": "receive", "time": 1e300, "opcode": 2, "data": ""}, "time 1e+300 is past the year 9999, skipped"),
    ({"type": "receive", "time": 10 ** 400, "opcode": 2, "data": ""}, "is past the year 9999, skipped"),
    ({"type": "receive", "time": float("nan"), "opcode": 2, "data": ""}, "time is not a finite number, skipped"),
    ({"type": "receive", "time": float("inf"), "opcode": 2, "data": ""}, "time is not a finite number, skipped"),
    ({"time": T0, "opcode": 2, "data": ""}, "type is null, not send or receive, skipped"),
    ({"type": "ping", "time": T0, "opcode": 2, "data": ""}, 'type is "ping", not send or receive, skipped'),
    ({"type": "send", "time": T0, "data": ""}, "opcode null is not 1 (text) or 2 (binary), skipped"),
    ({"type": "send", "time": T0, "opcode": "2", "data": ""}, 'opcode "2" is not 1 (text) or 2 (binary), skipped'),
    ({"type": "send", "time": T0, "opcode": True, "data": ""}, "opcode true is not 1 (text) or 2 (binary), skipped"),
    ({"type": "send", "time": T0, "opcode": 2}, "data is missing, skipped"),
    ({"type": "send", "time": T0, "opcode": 1, "data": None}, "data is not a string, skipped"),
    ({"type": "send", "time": T0, "opcode": 2, "data": "@@@"}, "binary data is not base64, skipped"),
    ("a string", "not an object, skipped"),
    (None, "not an object, skipped"),
])
def test_an_unusable_message_is_one_line_naming_it_and_the_rest_is_kept(tmp_path, bad, why):
    path = har_file(tmp_path, {"request": {"url": "https://page/"}},
                    ws_entry([msg(T0 + 0.1), bad, msg(T0 + 0.3, EVENT)]))
    rec = open_recording(path)
    frames = [e for e in rec.load() if isinstance(e, FrameSeen)]
    assert [(f.t, f.data) for f in frames] == [(T0 + 0.1, encode(Ping(b"1"))), (T0 + 0.3, EVENT)]
    assert len(rec.errors) == 1 and rec.errors[0].startswith("entry 2 (_webSocketMessages[1]): ")
    assert rec.errors[0].endswith(why) and "\n" not in rec.errors[0] and "Error" not in rec.errors[0]
    assert rec.warning == "x.har: 1 unreadable message skipped"


@pytest.mark.parametrize("time_field", [{"time": None}, {"time": -1}, {}])
def test_a_message_without_a_time_is_kept_in_capture_order(tmp_path, time_field):
    untimed = {"type": "send", "opcode": 2, "data": b64(encode(Ping(b"2"))), **time_field}
    path = har_file(tmp_path, ws_entry([msg(T0 + 0.1), untimed, msg(T0 + 0.3, EVENT)]))
    rec = open_recording(path)
    frames = [e for e in rec.load() if isinstance(e, FrameSeen)]
    assert [(f.t, f.direction) for f in frames] == [(T0 + 0.1, IN), (T0 + 0.1, OUT), (T0 + 0.3, IN)]
    assert rec.errors == ["entry 1: 1 message without a time (none or -1), shown in capture order at the "
                          "time before them"]
    assert rec.warning == "x.har: 1 message without a time, kept in capture order"


def test_unusable_entries_are_reported_and_the_others_kept(tmp_path):
    path = har_file(tmp_path, None, 5, "entry", {"_webSocketMessages": None},
                    {"_webSocketMessages": {"0": msg(T0)}},
                    {"startedDateTime": 17, "_webSocketMessages": [msg(T0 + 0.5)]},          # no request at all
                    {"startedDateTime": "yesterday", "request": {"url": 42}, "_webSocketMessages": []},
                    ws_entry([msg(T0 + 0.2)]))
    rec = open_recording(path)
    events = rec.load()
    assert rec.errors == [
        "entry 1: not an object, skipped", "entry 2: not an object, skipped", "entry 3: not an object, skipped",
        "entry 4: _webSocketMessages is not a list, skipped", "entry 5: _webSocketMessages is not a list, skipped",
        "entry 6: request.url is missing",
        "entry 6: startedDateTime 17 is not an ISO 8601 date, the first message's time is used",
        "entry 7: request.url is not a string",
        "entry 7: startedDateTime \"yesterday\" is not an ISO 8601 date, the first message's time is used",
    ]
    assert rec.warning == "x.har: 5 unreadable entries skipped; 4 unusable entry fields"
    assert [(e.conn, e.t) for e in events if isinstance(e, FrameSeen)] == [("ws3", T0 + 0.2), ("ws1", T0 + 0.5)]
    # the entry with nothing timed opens at the capture's start; every open is an event
    assert sorted(e.conn for e in events if isinstance(e, StateChanged)) == ["ws1", "ws2", "ws3"]
    assert {e.t for e in events if isinstance(e, StateChanged) and e.conn == "ws2"} == {T0}


def test_errors_beyond_the_limit_are_counted_not_kept(tmp_path):
    path = har_file(tmp_path, ws_entry([{"type": "x"}] * 250 + [msg(T0)]))
    rec = open_recording(path)
    assert len([e for e in rec.load() if isinstance(e, FrameSeen)]) == 1
    assert len(rec.errors) == 100 and rec.warning == "x.har: 250 unreadable messages skipped"


def test_replay_of_a_bad_har_prints_what_it_read_and_one_line_per_problem(tmp_path):
    import subprocess
    import sys
    path = har_file(tmp_path, ws_entry([msg(T0 * 1000 + 100), {"type": "send", "time": "x"}, msg(T0 * 1000 + 200)]))
    r = subprocess.run([sys.executable, "-m", "inspector", "replay", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0
    assert len([line for line in r.stdout.splitlines() if " PING " in line]) == 2
    assert "03:20:00.100" in r.stdout or "+0.100" in r.stdout
    assert r.stderr.splitlines() == [
        "realtime-inspector: x.har: entry 1 (_webSocketMessages[1]): time is not a number, skipped",
        "realtime-inspector: warning: x.har: 1 unreadable message skipped"]
