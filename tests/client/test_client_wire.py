"""The client's receive path (connection.WsConnection, wire.ConnectionIO) against small real websockets
servers: fragmented messages, text frames, limits, what is decoded and what is only peeked at."""

from __future__ import annotations

import asyncio
import contextlib
import json

from net_kit import run
from websockets.asyncio.server import serve

import inspector.client.connection as client_connection
from inspector.client.engine import ClientConfig, RealtimeClient
from inspector.client.tokens import TokenSource
from inspector.logstore.frame_store import FrameStore
from inspector.protocol.events import IN, FrameSeen, State, SubState
from inspector.protocol.frames import DecodeError, Error, Event, encode, try_decode
from inspector.protocol.heads import MessageHead

TOKEN = "wire-test-token-81b2"



def make_client(port: int, **kw):
    kw.setdefault("backoff_initial", 0.02)
    kw.setdefault("backoff_cap", 0.2)
    client = RealtimeClient(ClientConfig(f"ws://127.0.0.1:{port}/api/v2/realtime", TokenSource.literal(TOKEN), **kw))
    events: list = []
    client.add_listener(events.append)
    return client, events


@contextlib.asynccontextmanager
async def served(handler, **client_kw):
    """``handler`` served on 127.0.0.1 by a real websockets server, and a client for it, not started."""
    async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
        yield make_client(server.sockets[0].getsockname()[1], **client_kw)


def frames_in(events) -> list[FrameSeen]:
    return [e for e in events if isinstance(e, FrameSeen) and e.direction == IN]


async def until(predicate) -> None:
    deadline = asyncio.get_running_loop().time() + 15  # a safety net: a loaded machine can take seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def chunks(data: bytes, n: int) -> list[bytes]:
    step = max(1, len(data) // n)
    return [data[i:i + step] for i in range(0, len(data), step)]


MESSAGE = encode(Event("t", "message", 1, {"text": "ünïcode " * 20}, 7))
PRESENCE = encode(Event("t", "presence", 2, {"action": "sync", "members": ["m1"]}))


def test_fragmented_messages_are_reassembled_and_only_the_sync_is_decoded():
    """Messages sent before the client listens, fragmented ones, text ones: each is one FrameSeen, in order."""
    sent = [MESSAGE, b"\x10not json", PRESENCE, MESSAGE, "text message", MESSAGE]

    async def handler(ws):
        await ws.send(MESSAGE)  # right after the handshake: may arrive before the client's handler is set
        await ws.recv()  # the client's SUBSCRIBE
        await ws.send(iter(chunks(MESSAGE, 5)))
        await ws.send(iter(chunks(b"\x10not json", 3)))
        await ws.send(iter(chunks(PRESENCE, 4)))  # the sync makes the subscription active
        await ws.send(MESSAGE)
        await ws.send(iter(["text ", "message"]))
        await ws.send(iter(chunks(MESSAGE, 50)))
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            client.subscribe("t")
            client.start()
            await until(lambda: len(frames_in(events)) >= len(sent) + 1)
            got = frames_in(events)
            assert [e.data for e in got] == [MESSAGE] + [s.encode() if isinstance(s, str) else s for s in sent]
            assert [e.text for e in got] == [False] * 5 + [True, False]
            # message EVENTs are only peeked at; they decode to the event that was sent
            assert [type(e.frame).__name__ for e in got] == ["NoneType", "NoneType", "DecodeError", "Event",
                                                              "NoneType", "DecodeError", "NoneType"]
            assert try_decode(got[1].data) == Event("t", "message", 1, {"text": "ünïcode " * 20}, 7)
            # the head the client read goes along, so no consumer reads it again; the sync is decoded
            # (a message's head: a MessageHead from the one parse, or an EventHead for a long body)
            message = ("t", "message", 7)
            heads = [h if h is None else (h.topic, h.type, h.seq) for h in (e.head for e in got)]
            assert heads == [message, message, None, None, message, None, message]
            assert got[3].frame == Event("t", "presence", 2, {"action": "sync", "members": ["m1"]})
            assert type(got[0].head) is MessageHead  # read in the one parse, not made again
            assert client.subscriptions["t"].state is SubState.ACTIVE
            assert client.stats.frames_in == len(got) and client.stats.bytes_in == sum(len(e.data) for e in got)
            assert client.state is State.OPEN
            await client.stop()
    run(body())


def test_a_long_body_is_read_by_the_members_before_its_data_and_checked_when_its_row_is_shown():
    """A long message whose head comes before its data goes on by that head alone, the rest
    unread, even when the rest is cut short; the log finds it undecodable once the row is shown.
    So does one with its data first (read around it); cut short there, it is decoded, as before."""
    rows = json.dumps([{"id": k, "name": f"row-{k}"} for k in range(200)])
    def head_first(seq: int) -> bytes:
        return b'\x10{"topic":"t","type":"message","seq":%d,"ts":1,"data":%s}' % (seq, rows.encode())

    data_first = b'\x10{"data":' + rows.encode() + b',"topic":"t","type":"message","seq":11,"ts":1}'
    sent = [PRESENCE, head_first(9), head_first(10)[:-2], data_first, data_first[:-2]]

    async def handler(ws):
        await ws.recv()  # the client's SUBSCRIBE
        for data in sent:
            await ws.send(data)
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            client.subscribe("t")
            client.start()
            await until(lambda: len(frames_in(events)) >= len(sent))
            got = frames_in(events)[-4:]
            assert [e.data for e in got] == sent[1:]
            assert [(e.head.topic, e.head.seq) if e.head is not None else None for e in got] == [
                ("t", 9), ("t", 10), ("t", 11), None]
            assert [type(e.frame).__name__ for e in got] == ["NoneType", "NoneType", "NoneType", "DecodeError"]
            store = FrameStore()
            store.extend(got)
            assert [(store.topic(i), store.seq(i)) for i in range(4)] == [("t", 9), ("t", 10), ("t", 11), ("", None)]
            assert [store.undecodable(i) for i in range(4)] == [False, True, False, True]
            assert store.summary(1).startswith("undecodable: body is not JSON")
            await client.stop()
    run(body())


def test_invalid_utf8_text_frame_closes_with_1007_and_the_client_reconnects():
    closes: list = []

    async def handler(ws):
        if not closes:
            async with ws.send_context():
                ws.protocol.send_text(b"bad \xff utf-8")
        await ws.wait_closed()
        closes.append(ws.close_code)

    async def body():
        async with served(handler) as (client, events):
            client.start()
            closed = await client.wait_state(State.CLOSED, 5)
            assert closed.code == 1007
            await client.wait_state(State.OPEN, 5)  # 1007 is retried
            assert closes == [1007]
            assert not frames_in(events)
            await client.stop()
    run(body())


def test_too_many_fragments_closes_with_1009(monkeypatch):
    monkeypatch.setattr(client_connection, "MAX_FRAGMENTS", 5)
    codes: list = []

    async def handler(ws):
        await ws.send(iter(chunks(MESSAGE, 3)))  # 4 fragments and the closing empty one: within the limit
        with contextlib.suppress(Exception):  # the client closes in the middle
            await ws.send(iter(chunks(MESSAGE, 8)))
        await ws.wait_closed()
        codes.append(ws.close_code)

    async def body():
        async with served(handler, auto_reconnect=False) as (client, events):
            client.start()
            stopped = await client.wait_state(State.STOPPED, 5)
            assert stopped.code == 1009
            assert [e.data for e in frames_in(events)] == [MESSAGE]
            await until(lambda: codes)
            assert codes == [1009]
    run(body())


def test_error_frames_are_decoded_and_a_failing_handler_ends_the_session_with_1011(monkeypatch):
    codes: list = []
    error = b"\xff" + json.dumps({"code": "bad_frame", "message": "nope", "ref": 3}).encode()

    async def handler(ws):
        await ws.send(error)
        await ws.wait_closed()
        codes.append(ws.close_code)

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            seen: list = []

            def broken(client, frame):
                seen.append(frame)
                raise RuntimeError("boom")
            monkeypatch.setattr(RealtimeClient, "_on_error", broken)  # before the client hands it to its ConnectionIO
            client, events = make_client(server.sockets[0].getsockname()[1])
            client.start()
            stopped = await client.wait_state(State.STOPPED, 5)
            assert seen == [Error("bad_frame", "nope", 3)]
            assert stopped.message.startswith("internal error: RuntimeError: boom")
            assert isinstance(frames_in(events)[0].frame, Error)
            await until(lambda: codes)
            assert codes == [1011]
    run(body())


def test_text_frames_are_reported_undecodable():
    async def handler(ws):
        await ws.send("hello")
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            client.start()
            await until(lambda: frames_in(events))
            ev = frames_in(events)[0]
            assert ev.text and ev.data == b"hello" and isinstance(ev.frame, DecodeError)
            assert ev.frame.code == "bad_frame"
            await client.stop()
    run(body())


def _wire_bytes(ws, frames) -> bytes:
    """The bytes websockets would send for ``frames`` ((kind, payload, fin) tuples), not sent yet."""
    from websockets.frames import Frame, Opcode
    for opcode, payload, fin in frames:
        ws.protocol.send_frame(Frame(Opcode(opcode), payload, fin))
    return b"".join(ws.protocol.data_to_send())


def test_frames_cut_anywhere_by_the_network_arrive_whole_and_in_order():
    """Our own framing: headers and payloads split across reads, 7- 16- and 64-bit lengths, a protocol
    PING (answered with a PONG), fragments and text in between."""
    medium, large = encode(Event("t", "message", 3, "m" * 300, 8)), encode(Event("t", "message", 4, "L" * 70000, 9))
    ping = b"\x20" + b"\x00" * 7 + b"\x05"
    plan = [(0x2, MESSAGE, True), (0x9, b"ws-ping", True), (0x2, medium, True), (0x2, ping, True),
            (0x1, b"text", True), (0x2, large, True), (0x2, MESSAGE[:10], False), (0x0, MESSAGE[10:], True),
            (0x2, MESSAGE, True)]
    expect = [MESSAGE, medium, ping, b"text", large, MESSAGE, MESSAGE]
    got_pongs: list = []

    async def handler(ws):
        await ws.recv()  # the SUBSCRIBE: the client is listening
        data = _wire_bytes(ws, plan)
        for i in range(0, len(data), 7777):
            chunk = data[i:i + 7777]
            for j in range(0, 39, 3):  # the first bytes of each chunk a few at a time
                ws.transport.write(chunk[j:j + 3])
                await asyncio.sleep(0.002)
            ws.transport.write(chunk[39:])
            await asyncio.sleep(0.002)
        got_pongs.append(await ws.recv())  # the client's PONG to our protocol PING
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            client.subscribe("t")
            client.start()
            await client.wait_state(State.OPEN, 5)
            await until(lambda: len(frames_in(events)) >= len(expect) and got_pongs)
            assert [e.data for e in frames_in(events)] == expect
            assert [e.text for e in frames_in(events)] == [False, False, False, True, False, False, False]
            assert got_pongs == [b"\x21" + ping[1:]]
            assert client.state is State.OPEN
            await client.stop()
    run(body())


def test_a_frame_over_max_size_closes_with_1009():
    codes: list = []

    async def handler(ws):
        await ws.send(MESSAGE)
        with contextlib.suppress(Exception):  # the client closes meanwhile
            await ws.send(b"\x10" + b"x" * (4 * 2**20))  # one byte over the client's max_size
        await ws.wait_closed()
        codes.append(ws.close_code)

    async def body():
        async with served(handler, auto_reconnect=False) as (client, events):
            client.start()
            stopped = await client.wait_state(State.STOPPED, 10)
            assert stopped.code == 1009
            assert [e.data for e in frames_in(events)] == [MESSAGE]
            await until(lambda: codes)
            assert codes == [1009]
    run(body())


def test_batch_listeners_get_the_received_frames_in_lists_and_every_event_once_in_order():
    """add_batch_listener: what a listener sees one by one, in the same order, frames in lists."""
    flood = [encode(Event("t", "message", 1, {"i": i}, i + 1)) for i in range(200)]

    async def handler(ws):
        await ws.recv()  # the client's SUBSCRIBE
        async with ws.send_context():  # one write: the client reads the flood in few reads
            ws.protocol.send_binary(PRESENCE)
            for data in flood:
                ws.protocol.send_binary(data)
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            calls: list = []
            client.add_batch_listener(lambda frames, ev: calls.append((list(frames), ev)))
            client.subscribe("t")
            client.start()
            await until(lambda: sum(len(frames) for frames, _ in calls) >= len(flood) + 1)
            await client.stop()
            await asyncio.sleep(0)  # a batch flushed by the loop, if one waits
        seen = [e for frames, ev in calls for e in frames + ([ev] if ev is not None else [])]
        assert seen == events  # the same events, the same order
        assert all(isinstance(f, FrameSeen) and f.direction == IN for frames, _ in calls for f in frames)
        assert [f.data for f in frames_in(seen)] == [PRESENCE, *flood]
        assert len(calls) < len(flood) // 4  # in lists, not one call a frame
    run(body())


def test_a_flood_read_in_runs_gives_each_frame_its_head_its_bytes_counted_and_taps_in_order():
    """Runs of message EVENTs (short ones read as MessageHead, long ones with keys in any order as
    EventHead) go on with their heads only, undecoded; a sync and a presence join among them are
    decoded or read as they are one by one; taps get every message in order, the subscription's
    change after the sync that made it; the counters count every frame and byte."""
    def long_message(i: int) -> bytes:
        body = {"data": {"pad": "x" * 500, "i": i}, "seq": 1000 + i, "ts": 5, "type": "message", "topic": "t"}
        return b"\x10" + json.dumps(body).encode()
    join = encode(Event("t", "presence", 3, {"action": "join", "member": "m2", "members": 2}))
    first = [encode(Event("t", "message", 1, {"i": i}, i + 1)) if i % 3 else long_message(i) for i in range(150)]
    second = [*first[:70], PRESENCE, join, *first[70:]]

    async def handler(ws):
        await ws.recv()  # the client's SUBSCRIBE
        for flood in (first, second):
            async with ws.send_context():  # one write: the client reads the flood in few reads
                for data in flood:
                    ws.protocol.send_binary(data)
        await ws.wait_closed()

    async def body():
        async with served(handler) as (client, events):
            tapped: list = []
            client.add_tap(tapped.append)
            client.subscribe("t")
            client.start()
            await until(lambda: len(frames_in(events)) >= len(first) + len(second))
            stats = client.stats
            await client.stop()
        got = frames_in(events)
        assert [f.data for f in got] == [*first, *second]
        assert stats.frames_in == len(got) and stats.bytes_in == sum(map(len, [*first, *second]))
        for f in got:
            if f.data in (PRESENCE, join):
                continue
            event = try_decode(f.data)
            assert f.frame is None and f.head is not None
            assert (f.head.topic, f.head.type, f.head.seq) == (event.topic, event.type, event.seq)
        assert type(got[len(first) + 70].frame) is Event  # the sync: decoded, acted on
        assert got[len(first) + 71].frame is None and got[len(first) + 71].head.data.member == "m2"
        assert [item[2] for item in tapped if item[0] is not None] == [*first, *second]
        sync_at = next(k for k, item in enumerate(tapped) if item[2] == PRESENCE)
        active = next(k for k, item in enumerate(tapped) if item[0] is None and getattr(item[2], "state", None)
                      is SubState.ACTIVE)
        assert sync_at < active < sync_at + 2  # right after the sync's frame, before the next
    run(body())
