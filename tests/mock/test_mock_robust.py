"""Garbage, floods and vanishing clients never take the server down or disturb others."""

import asyncio
import base64
import os
import random
import struct

from inspector.mock.server import MockConfig, MockServer


async def healthy(kit, server, topic="probe"):
    """A fresh client can still connect, subscribe and get a published event."""
    async with kit.connect(server.url, token="healthy-check") as ws:
        await kit.subscribe(ws, topic)
        server.publish(topic, {"ok": 1})
        return (await kit.recv_json(ws))["data"] == {"ok": 1}


async def raw_upgrade(port, token):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /api/v2/realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


def masked_frame(payload: bytes, opcode=0x2, fin=True) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_random_garbage_frames_get_errors_and_nothing_breaks(kit):
    rng = random.Random(1234)

    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as bystander,
            kit.connect(server.url) as ws,
        ):
            await kit.subscribe(bystander, "t")
            for _ in range(300):
                n = rng.choice([0, 1, 2, 5, 40, 300])
                first = rng.choice([0x01, 0x02, 0x10, 0x20, 0x21, 0xFF, rng.randrange(256)])
                await ws.send(bytes([first]) + rng.randbytes(n) if n else b"")
            await ws.send(b"\x20end")
            kinds = set()
            while True:
                frame = await kit.recv(ws)
                if frame == b"\x21end":
                    break
                kinds.add(frame[0])
            server.publish("t", 1)
            event = await kit.recv_json(bystander)
            return kinds, event["data"], await healthy(kit, server)
    kinds, data, ok = kit.run(go())
    assert kinds <= {0xFF, 0x21, 0x10} and 0xFF in kinds
    assert data == 1 and ok


def test_abrupt_disconnect_mid_frame(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as bystander:
            await kit.subscribe(bystander, "room")
            actions = []
            for cut in (1, 2, 6, 20):  # inside header, inside mask, inside payload
                _reader, writer = await raw_upgrade(server.port, kit.TOKEN)
                writer.write(masked_frame(b'\x01{"topic": "room"}'))
                await writer.drain()
                actions.append((await kit.recv_json(bystander))["data"]["action"])  # subscribed: its join
                frame = masked_frame(b'\x01{"topic": "room", "filter": "data"}' + b" " * 200)
                writer.write(frame[:cut])
                await writer.drain()
                writer.transport.abort()  # vanish: no close frame, no FIN
                # its leave reached the bystander: the server has dropped it by then
                actions.append((await kit.recv_json(bystander))["data"]["action"])
            return actions, server.stats()["connections"], await healthy(kit, server)
    actions, conns, ok = kit.run(go())
    assert actions == ["join", "leave"] * 4
    assert conns == 1 and ok


def test_garbage_instead_of_http_and_half_handshakes(kit):
    async def go():
        async with MockServer(MockConfig()) as server:
            for junk in (b"\x00\xff" * 100, b"GET / HTTP/1.1\r\n", b"POST /api/v2/realtime HTTP/1.1\r\n\r\n",
                         b"GET /api/v2/realtime HTTP/1.1\r\nHost: x\r\n" + b"X: " + b"a" * 10000 + b"\r\n\r\n"):
                _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(junk)
                await writer.drain()
                writer.transport.abort()
            await asyncio.sleep(0.05)
            return await healthy(kit, server)
    assert kit.run(go())


def test_invalid_websocket_framing_closes_only_that_client(kit):
    async def go():
        async with MockServer(MockConfig()) as server, kit.connect(server.url) as bystander:
            await kit.subscribe(bystander, "t")
            reader, writer = await raw_upgrade(server.port, kit.TOKEN)
            writer.write(b"\x82\x05hello")  # unmasked client frame: a protocol error
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), 3)
            writer.close()
            server.publish("t", 2)
            return data[:1], (await kit.recv_json(bystander))["data"], await healthy(kit, server)
    first, data, ok = kit.run(go())
    assert first == b"\x88"  # a close frame
    assert data == 2 and ok


def test_flooding_client_does_not_disturb_others(kit):
    async def go():
        async with (
            MockServer(MockConfig()) as server,
            kit.connect(server.url) as calm,
            kit.connect(server.url) as flood,
        ):
            await kit.subscribe(calm, "t")

            async def flooding():
                for i in range(20000):
                    await flood.send(b"\x20" + i.to_bytes(4, "big"))

            task = asyncio.ensure_future(flooding())
            for i in range(5):  # the calm client is answered while the flood goes on
                await calm.send(b"\x20calm" + bytes([i]))
                assert await kit.recv(calm) == b"\x21calm" + bytes([i])
            await task
            pongs = 0
            while pongs < 20000:  # a loaded machine can stall the drain for seconds: the run's own limit bounds it
                frame = await kit.recv(flood, 20)
                pongs += frame[0] == 0x21
            return pongs, server.stats()["frames_in"]
    pongs, frames_in = kit.run(go())
    assert pongs == 20000 and frames_in >= 20006


def test_many_connections_churning(kit):
    async def go():
        async with MockServer(MockConfig(max_connections_per_token=100)) as server:
            async def one(i):
                async with kit.connect(server.url) as ws:
                    await kit.subscribe(ws, f"t{i % 5}")
            await asyncio.gather(*(one(i) for i in range(60)))
            await kit.until(lambda: server.stats()["connections"] == 0, "every connection dropped")
            s = server.stats()
            return s["connections"], s["members"], await healthy(kit, server)
    assert kit.run(go()) == (0, 0, True)
