"""A simulated user's session against a server written here, whose frames are laid out the way
other producers write them (key order, whitespace), not the way our mock does.

The session runs on plain threads here (no gevent): websockets' threading client is what
gevent makes cooperative in a load process.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

from websockets.sync.server import ServerConnection, serve

from inspector.load.session import Plan, Session


def event(body: str) -> bytes:
    return b"\x10" + body.encode()


def serve_script(ws: ServerConnection, got: dict) -> None:
    for _ in range(2):
        sub = json.loads(ws.recv()[1:])
        got.setdefault("subscribe", []).append(sub)
        # presence sync with keys in another order and spaced out
        ts = time.time_ns() // 1_000_000
        ws.send(event(f'{{ "data": {{"members": ["c-1"], "action": "sync"}}, "ts": {ts}, "type": "presence", '
                      f'"topic": "{sub["topic"]}" }}'))
    now = time.time_ns() // 1_000_000
    for topic, seq in (("a", 1), ("a", 2), ("b", 1), ("a", 5), ("b", 4)):
        ws.send(event(f'{{"seq":{seq},"data":{{"x":1}},"topic":"{topic}","ts":{now - 40},"type":"message"}}'))
    ws.send(b"\x20" + b"ping-123")
    got["pong"] = ws.recv()
    ws.send(b"\xff" + b'{"ref": null, "message": "slow down", "code": "rate_limited"}')
    with contextlib.suppress(Exception):  # the client closing is the end
        ws.recv()


def test_a_session_measures_every_frame_kind_and_reports_gaps_on_unfiltered_topics_only():
    got: dict = {}
    with serve(lambda ws: serve_script(ws, got), "127.0.0.1", 0, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            port = server.socket.getsockname()[1]
            records: list[tuple] = []
            plan = Plan(url=f"ws://127.0.0.1:{port}/api/v2/realtime", subscriptions=(("a", None), ("b", "data.x")),
                        ping_every=None)
            session = Session(plan, "tok-secret", lambda *r: records.append(r))
            session.start()
            deadline = time.monotonic() + 5
            while not any(r[0] == "ERROR" for r in records) and time.monotonic() < deadline:
                session.pump(0.1)
            session.close()
        finally:
            server.shutdown()
            thread.join()
    assert [s["topic"] for s in got["subscribe"]] == ["a", "b"] and got["subscribe"][1]["filter"] == "data.x"
    by_kind: dict[str, list[tuple]] = {}
    for r in records:
        by_kind.setdefault(r[0], []).append(r)
    assert [r[1] for r in by_kind["SUBSCRIBE"]] == ["a", "b"] and all(r[4] is None for r in by_kind["SUBSCRIBE"])
    assert [r[1] for r in by_kind["EVENT"]] == ["a", "a", "b", "a", "b"]
    assert all(r[2] >= 40 for r in by_kind["EVENT"])  # lag: now - ts, ts 40 ms in the past
    gaps = by_kind["GAP"]
    assert [(r[1], str(r[4])) for r in gaps] == [("a", "seq gap: 2 missed before seq 5")]  # b is filtered
    assert got["pong"] == b"\x21ping-123" and by_kind["SERVER_PING"][0][4] is None
    assert [(r[1], str(r[4])) for r in by_kind["ERROR"]] == [("rate_limited", "ERROR rate_limited: slow down")]
    assert by_kind["CONNECT"][0][4] is None


def test_the_policy_decides_reconnects_and_the_end_and_resubscribes_with_new_ids():
    import pytest

    from inspector.load.session import SessionOver
    from inspector.protocol.backoff import Backoff

    subscribes: list[dict] = []
    paths: list[str] = []

    def handler(ws: ServerConnection) -> None:
        paths.append(ws.request.path)
        subscribes.append(json.loads(ws.recv()[1:]))
        ws.close(1001 if len(paths) == 1 else 1000, "bye")

    with serve(handler, "127.0.0.1", 0, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            port = server.socket.getsockname()[1]
            records: list[tuple] = []
            plan = Plan(url=f"ws://127.0.0.1:{port}/api/v2/realtime?region=eu", subscriptions=(("a", None),),
                        auth="query", ping_every=None)
            session = Session(plan, "tok-1", lambda *r: records.append(r), backoff=Backoff(initial=0.01))
            session.start()
            with pytest.raises(SessionOver, match="server closed the connection normally"):
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    session.pump(0.1)
            session.close()
        finally:
            server.shutdown()
            thread.join()
    assert paths == ["/api/v2/realtime?region=eu&token=tok-1"] * 2  # one token parameter, the query kept
    assert [s["id"] for s in subscribes] == [1, 2]
    assert [r[1] for r in records if r[0] == "CLOSE"] == ["1001 going_away", "1000 normal"]
