"""Connection events in a HAR export: kept in ``_inspectorEvents``, read back, ignored by others."""

from __future__ import annotations

import io
import json

from framegen import event, subscribe

from inspector.cli.replay_args import ReplayArgs
from inspector.cli.replay_cmd import run_replay
from inspector.protocol.events import FrameSeen, PongMissed, State, StateChanged, SubscriptionChanged, SubState
from inspector.recording.export import export_har
from inspector.recording.reader import open_recording

T0 = 1_764_300_000.0


def session() -> list:
    return [
        StateChanged("c1", T0, State.CONNECTING),
        StateChanged("c1", T0 + 0.1, State.OPEN),
        subscribe(t=T0 + 0.2),
        SubscriptionChanged("c1", T0 + 0.3, "orders.eu", SubState.ACTIVE),
        event(seq=1, t=T0 + 0.4),
        PongMissed("c1", T0 + 0.5, 1),
        StateChanged("c1", T0 + 0.6, State.CLOSED, code=1011, reason="boom", meaning="Internal server error"),
        StateChanged("c9", T0 + 0.7, State.CLOSED, message="connect failed: connection refused"),  # never opened
    ]


def test_har_export_keeps_connection_events_and_reads_them_back(tmp_path):
    path = tmp_path / "out.har"
    assert export_har(session(), path, conn_urls={"c1": "ws://h/a", "c9": "ws://h/b"}) == 2  # messages
    doc = json.loads(path.read_text())
    entries = doc["log"]["entries"]
    assert [e["_inspectorConnection"] for e in entries] == ["c1", "c9"]
    assert entries[1]["_webSocketMessages"] == [] and entries[1]["request"]["url"] == "ws://h/b"
    assert entries[0]["_inspectorEvents"][-1] == {"time": T0 + 0.6, "e": "state", "state": "closed", "code": 1011,
                                                  "reason": "boom", "meaning": "Internal server error"}
    back = open_recording(path).load(decode=False)
    label = {"c1": "ws1", "c9": "ws2"}
    want = [(label[e.conn], e.t, type(e).__name__) for e in session()]
    assert sorted((e.conn, e.t, type(e).__name__) for e in back) == sorted(want)
    closed = [e for e in back if isinstance(e, StateChanged) and e.state is State.CLOSED]
    assert closed[0].code == 1011 and closed[1].message == "connect failed: connection refused"
    assert not any(e.message == "ws://h/a" for e in back if isinstance(e, StateChanged))  # no made-up "open"
    frames = [e for e in back if isinstance(e, FrameSeen)]
    assert [f.data for f in frames] == [e.data for e in session() if isinstance(e, FrameSeen)]
    out = io.StringIO()
    run_replay(ReplayArgs(file=str(path), json=False, speed=0.0), out, io.StringIO())
    assert "closed 1011 — Internal server error — reason: boom" in out.getvalue()
    assert "connect failed: connection refused" in out.getvalue()


def test_bad_inspector_events_are_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "odd.har"
    export_har(session(), path)
    doc = json.loads(path.read_text())
    doc["log"]["entries"][0]["_inspectorEvents"][1:3] = [{"time": "soon", "e": "state", "state": "open"}, 7]
    path.write_text(json.dumps(doc))
    rec = open_recording(path)
    back = rec.load()
    assert sum(isinstance(e, StateChanged) for e in back) == 3 and len(rec.errors) == 2
    assert "entry 1 (_inspectorEvents[1])" in rec.errors[0] and "skipped" in rec.errors[0]
