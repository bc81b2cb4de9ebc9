"""The mock speaks through the codec: every frame it sends decodes, and encoding the
decoded frame gives back the very same bytes (so no hand-built layout hides in it)."""

import json

from inspector.mock.server import MockConfig, MockServer
from inspector.protocol import frames


def _round_trips(data: bytes) -> frames.Frame:
    frame = frames.decode(data)
    assert frames.encode(frame) == data, data
    return frame


def test_every_kind_the_mock_sends_round_trips_through_the_codec(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            async with kit.connect(server.url) as a, kit.connect(server.url) as b:
                got = []
                await a.send(frames.encode(frames.Subscribe("room", id=1)))
                got.append(await kit.recv(a))                        # presence sync
                await b.send(frames.encode(frames.Subscribe("room")))
                got.append(await kit.recv(b))                        # presence sync
                got.append(await kit.recv(a))                        # presence join
                server.publish("room", {"text": "héllo", "n": [1, 2.5, None, True]})
                got.append(await kit.recv(a))                        # message with seq
                assert await kit.recv(b) == got[-1]                  # the same bytes to every subscriber
                await a.send(frames.encode(frames.Ping(b"\x00rtt")))
                got.append(await kit.recv(a))                        # PONG
                await a.send(frames.encode(frames.Subscribe("Bad", id=7)))
                got.append(await kit.recv(a))                        # ERROR with ref
                await b.send(frames.encode(frames.Unsubscribe("room")))
                got.append(await kit.recv(a))                        # presence leave
            server.config.ping_interval = 0.1  # for connections made from now on
            async with kit.connect(server.url) as silent:
                got.append(await kit.recv(silent, 2))                # a server PING after silence
                return got
    got = kit.run(go())
    decoded = [_round_trips(data) for data in got]
    kinds = [type(f).__name__ for f in decoded]
    assert kinds == ["Event", "Event", "Event", "Event", "Pong", "Error", "Event", "Ping"]
    sync, _, join, message, pong, error, leave, ping = decoded
    assert sync.type == "presence" and sync.data["action"] == "sync" and sync.seq is None
    assert join.data["action"] == "join" and leave.data["action"] == "leave"
    assert message.type == "message" and message.seq == 1 and message.data["text"] == "héllo"
    assert pong.payload == b"\x00rtt"
    assert error.code == "invalid_topic" and error.ref == 7
    assert len(ping.payload) == 8


def test_a_delivered_body_keeps_its_key_order_and_extra_fields(kit):
    # mock --replay re-sends recorded bodies as recorded: the codec encodes them as given
    body = {"data": {"b": 2, "a": 1}, "ts": 5, "type": "message", "topic": "room", "seq": 3, "region": "eu"}

    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as ws:
            await kit.subscribe(ws, "room")
            assert server.deliver_event(body) == 1
            return await kit.recv(ws)
    data = kit.run(go())
    assert data == frames.encode_event_body(body)
    assert list(json.loads(data[1:])) == ["data", "ts", "type", "topic", "seq", "region"]
    event = frames.decode(data)
    assert (event.topic, event.seq, event.data) == ("room", 3, {"b": 2, "a": 1})
