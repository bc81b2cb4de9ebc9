"""Against the real mock server: record a real client session byte for byte, and
`mock --replay` feeding real websockets clients (topics, filters, order, timing)."""

from __future__ import annotations

import asyncio
import json
import time

from net_kit import run, until
from rec_helpers import T0, TOKEN
from websockets.asyncio.client import connect as ws_connect

from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.mock.replay import play
from inspector.mock.server import MockConfig, MockServer
from inspector.protocol.events import IN, OUT, FrameSeen, State, StateChanged
from inspector.protocol.frames import Event, encode
from inspector.recording import RecordingWriter, open_recording
from inspector.recording.server_events import server_events


def raw_client(url: str):
    return ws_connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, ping_interval=None,
                      compression=None, max_size=None, open_timeout=5, close_timeout=2)


async def subscribe(ws, topic: str, flt: str | None = None) -> None:
    body = {"topic": topic} if flt is None else {"topic": topic, "filter": flt}
    await ws.send(b"\x01" + json.dumps(body).encode())
    sync = json.loads((await asyncio.wait_for(ws.recv(), 3))[1:])
    assert sync["data"]["action"] == "sync"


async def collect(ws, n: int) -> list[bytes]:
    return [await asyncio.wait_for(ws.recv(), 5) for _ in range(n)]


async def drain(ws, quiet: float = 0.3) -> list[bytes]:
    """Every frame until none came for ``quiet`` seconds."""
    frames = []
    try:
        while True:
            frames.append(await asyncio.wait_for(ws.recv(), quiet))
    except TimeoutError:
        return frames


def test_record_real_client_session_byte_for_byte(tmp_path):
    path = tmp_path / "live.rirec"
    seen: list = []

    async def go():
        async with MockServer(MockConfig(port=0)) as server:
            url = server.url + "?token=" + TOKEN  # the token in the URL must not reach the file
            client = RealtimeClient(ClientConfig(url=url, token=TokenSource.literal(TOKEN), auth="query"))
            with RecordingWriter(path, profile="dev", url=url) as writer:
                client.add_listener(writer.write_event)
                client.add_listener(seen.append)
                client_has_all = asyncio.Event()  # the client may be behind the witness

                def count_messages(_ev) -> None:
                    if sum(isinstance(e, FrameSeen) and b'"message"' in e.data for e in seen) >= 20:
                        client_has_all.set()
                client.add_listener(count_messages)
                async with raw_client(server.url) as witness:
                    await subscribe(witness, "orders.eu")
                    client.start()
                    await client.wait_state(State.OPEN, 5)
                    client.subscribe("orders.eu")
                    await client.wait_event(lambda e: getattr(e, "state", None) == "active", 5)
                    for i in range(20):
                        server.publish("orders.eu", {"i": i, "odd": "\u2028\x00\U0001F600", "blob": "x" * i})
                    got = await collect(witness, 21)  # 1 join presence + 20 messages
                    await client_has_all.wait()
                await client.stop()
        return got

    witness_frames = run(go())
    rec = open_recording(path)
    back = rec.load()
    assert not rec.truncated and rec.count == len(seen)
    assert [(type(e), e.conn, e.t, getattr(e, "data", None), getattr(e, "direction", None)) for e in back] == \
        [(type(e), e.conn, e.t, getattr(e, "data", None), getattr(e, "direction", None)) for e in seen]
    recorded_msgs = [e.data for e in back if isinstance(e, FrameSeen) and e.direction == IN and b'"message"' in e.data]
    witness_msgs = [f for f in witness_frames if b'"message"' in f]
    assert len(recorded_msgs) == 20 and recorded_msgs == witness_msgs  # every byte as the server sent it
    assert any(isinstance(e, FrameSeen) and e.direction == OUT and e.data[:1] == b"\x01" for e in back)
    raw = path.read_bytes()
    assert TOKEN.encode() not in raw and "token=***" in rec.url


def _replay_file(path, n: int = 30, step: float = 0.02) -> list[dict]:
    """A recording of two connections receiving orders.eu / ticker traffic (with duplicates and noise)."""
    bodies = []
    with RecordingWriter(path, created=T0, background_flush=False) as w:
        w.write_event(StateChanged("c1", T0, State.OPEN))
        sync = {"topic": "orders.eu", "type": "presence", "ts": 1, "data": {"action": "sync", "members": ["c-1"]}}
        w.write_event(FrameSeen("c1", T0, IN, b"\x10" + json.dumps(sync).encode()))
        for i in range(n):
            topic = "orders.eu" if i % 3 else "ticker"
            body = {"topic": topic, "type": "message", "seq": i + 1, "ts": 1764300000000 + i,
                    "data": {"total": i * 10, "u": "\u2028"}}
            frame = encode(Event(topic, "message", body["ts"], body["data"], body["seq"]))
            w.write_event(FrameSeen("c1", T0 + i * step, IN, frame))
            w.write_event(FrameSeen("c2", T0 + i * step + 0.001, IN, frame))  # same event on another conn
            w.write_event(FrameSeen("c1", T0 + i * step, OUT, b"\x20abc"))    # not server events
            bodies.append(body)
        w.write_event(FrameSeen("c1", T0 + n * step, IN, b"\x10not json"))
    return bodies


def test_mock_replay_respects_topics_filters_order_and_timing(tmp_path):
    path = tmp_path / "replay.rirec"
    bodies = _replay_file(path, n=30, step=0.02)  # 0.58 s recorded
    want_all_orders = [b for b in bodies if b["topic"] == "orders.eu"]
    want_big_orders = [b for b in want_all_orders if b["data"]["total"] > 150]
    want_ticker = [b for b in bodies if b["topic"] == "ticker"]

    async def go():
        async with (
            MockServer(MockConfig(port=0)) as server,
            raw_client(server.url) as a,
            raw_client(server.url) as b,
            raw_client(server.url) as c,
        ):
            player = asyncio.ensure_future(play(server, server_events(path), speed=2.0))
            # it waits for a subscriber, listening for the first subscription
            await until(lambda: server.listeners, "the player listening for a subscription")
            assert not player.done()
            start = time.monotonic()
            # all three sent before any answer is awaited: one after another, a busy machine's round trips
            # let more events play before the later ones than the tails below allow
            await asyncio.gather(subscribe(a, "orders.eu"), subscribe(b, "orders.eu", "data.total > `150`"),
                                 subscribe(c, "ticker"))
            delivered = await asyncio.wait_for(player, 5)
            elapsed = time.monotonic() - start
            return await drain(a), await drain(b), await drain(c), elapsed, delivered

    got_a, got_b, got_c, elapsed, delivered = run(go())
    msgs = lambda frames: [json.loads(f[1:]) for f in frames if b'"message"' in f]  # noqa: E731
    strip = lambda bs: [(b["topic"], b["seq"], b["data"]) for b in bs]  # noqa: E731
    # the first events may play before the later subscriptions are made: compare the tails exactly
    a, b, c = msgs(got_a), msgs(got_b), msgs(got_c)
    assert strip(a) == strip(want_all_orders)
    assert strip(b) == strip(want_big_orders[-len(b):]) and len(b) >= len(want_big_orders) - 1
    assert strip(c) == strip(want_ticker[-len(c):]) and len(c) >= len(want_ticker) - 2
    assert all(x["data"]["total"] > 150 for x in b)
    assert all(abs(x["ts"] / 1000 - time.time()) < 60 for x in a)  # ts is the delivery time
    assert elapsed >= 0.2  # 0.58 s recorded at 2x ≈ 0.29 s
    assert delivered == len(a) + len(b) + len(c)


def test_mock_replay_loop_keeps_seq_growing(tmp_path):
    path = tmp_path / "loop.rirec"
    _replay_file(path, n=3, step=0.01)

    async def go():
        async with MockServer(MockConfig(port=0)) as server, raw_client(server.url) as a:
            await subscribe(a, "orders.eu")
            player = asyncio.ensure_future(play(server, server_events(path), speed=10, loop=True))
            frames = await collect(a, 6)
            player.cancel()
            return [json.loads(f[1:])["seq"] for f in frames]

    seqs = run(go())
    assert seqs == [2, 3, 4, 5, 6, 7]  # orders.eu had seq 2..3: each pass adds the span, 2
