"""Time-sliced delivery in connection.WsConnection, over real sockets: a read that completes
many messages is delivered a slice at a time, the event loop running other callbacks in
between, and order, close, violations and handler errors come out as without slicing.

The connection's clock is replaced by one that jumps a second at every reading, so each
slice is exactly ``CHECK_EVERY`` messages, whatever the machine's speed."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from net_kit import run
from websockets.asyncio.server import serve
from websockets.frames import Frame, Opcode

from inspector.client.connection import CHECK_EVERY, WsConnection, open_connection

FLOOD = 3000  # messages in one server write: far more than a slice
MESSAGES = [b"\x10message %d" % i for i in range(FLOOD)]
# With the leaping clock: a connection alone on its loop gets 2 * CHECK_EVERY messages a slice
# (deadline 1.5 s away), one sharing with another gets CHECK_EVERY (0.75 s away).
SHARED_SLICE_S = 1.5


def leaping_clock():
    """A clock that says a second has passed each time it is read."""
    return itertools.count(0.0, 1.0).__next__


def flood_bytes(ws, close: tuple[int, str] | None = None) -> bytes:
    """The frames of MESSAGES as websockets writes them, then a close frame if asked."""
    for data in MESSAGES:
        ws.protocol.send_frame(Frame(Opcode.BINARY, data))
    if close is not None:
        ws.protocol.send_close(*close)
    return b"".join(ws.protocol.data_to_send())


async def connect(port: int) -> WsConnection:
    conn = await open_connection(f"ws://127.0.0.1:{port}/", headers=None, user_agent="slicing-test",
                                 max_size=2**20, logger=logging.getLogger("slicing-test"), use_proxy=False)
    conn.clock = leaping_clock()
    return conn


class Ticker:
    """Another callback on the same loop: counts the turns it gets until stopped."""

    def __init__(self) -> None:
        self.turns = 0
        self.running = True
        self.loop = asyncio.get_running_loop()
        self.loop.call_soon(self.tick)

    def tick(self) -> None:
        self.turns += 1
        if self.running:
            self.loop.call_soon(self.tick)


def test_a_flood_in_one_read_is_delivered_in_slices_with_the_loop_running_between():
    async def handler(ws):
        await ws.recv()  # the client is listening
        ws.transport.write(flood_bytes(ws))
        await ws.wait_closed()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            assert conn.transport is not None
            reads = [0]
            receive = conn.data_received

            def counting_reads(data: bytes) -> None:
                reads[0] += 1
                receive(data)
            conn.data_received = counting_reads  # type: ignore[method-assign]
            ticker = Ticker()
            seen: list[tuple[bytes, int, int, bool]] = []
            all_in = asyncio.Event()

            def on_message(data: bytes, text: bool) -> None:
                seen.append((data, reads[0], ticker.turns, conn.transport.is_reading()))
                if len(seen) == FLOOD:
                    all_in.set()
            conn.set_handler(on_message)
            conn.send_now(b"go")
            await all_in.wait()
            ticker.running = False
            assert [data for data, *_ in seen] == MESSAGES
            # The ticker ran between two messages that one read brought: not possible if a
            # read were delivered in one callback.
            assert any(a[1] == b[1] and a[2] != b[2] for a, b in itertools.pairwise(seen))
            assert not all(reading for *_, reading in seen)  # reading paused while a backlog waited
            assert conn.transport.is_reading()  # and resumed once it was delivered
            await conn.close(1000)
            assert conn.close_sent == (1000, "")
    run(body())


def test_a_close_after_the_flood_comes_after_its_last_message():
    async def handler(ws):
        await ws.recv()
        ws.transport.write(flood_bytes(ws, close=(1001, "going away")))
        await ws.wait_closed()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            seen: list[tuple[bytes, tuple | None]] = []
            conn.set_handler(lambda data, text: seen.append((data, conn.close_rcvd)))
            conn.send_now(b"go")
            await conn.wait_closed()
            assert [data for data, _ in seen] == MESSAGES
            assert all(rcvd is None for _, rcvd in seen)
            assert conn.close_rcvd == (1001, "going away") and conn.close_sent == (1001, "going away")
            assert conn.violation is None
    run(body())


def test_a_violation_after_the_flood_closes_1002_once_every_message_before_it_is_delivered():
    codes: list = []
    server_closed = asyncio.Event()

    async def handler(ws):
        await ws.recv()
        ws.transport.write(flood_bytes(ws) + b"\x83\x00")  # a frame with the reserved opcode 3
        await ws.wait_closed()
        codes.append(ws.close_code)
        server_closed.set()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            seen: list[tuple[bytes, tuple | None]] = []
            conn.set_handler(lambda data, text: seen.append((data, conn.close_sent)))
            conn.send_now(b"go")
            await conn.wait_closed()
            assert [data for data, _ in seen] == MESSAGES
            assert all(sent is None for _, sent in seen)
            assert conn.close_sent is not None and conn.close_sent[0] == 1002
            assert conn.violation is not None and "opcode" in conn.violation
            await asyncio.wait_for(server_closed.wait(), 5)
            assert codes == [1002]
    run(body())


def test_a_handler_error_in_a_later_slice_stops_delivery_and_closes_1011():
    codes: list = []
    server_closed = asyncio.Event()
    fail_at = 3 * CHECK_EVERY + 5  # in the fourth slice

    async def handler(ws):
        await ws.recv()
        ws.transport.write(flood_bytes(ws))
        await ws.wait_closed()
        codes.append(ws.close_code)
        server_closed.set()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            seen: list[bytes] = []

            def on_message(data: bytes, text: bool) -> None:
                seen.append(data)
                if len(seen) == fail_at:
                    raise RuntimeError("boom")
            conn.set_handler(on_message)
            conn.send_now(b"go")
            await conn.wait_closed()
            assert seen == MESSAGES[:fail_at]
            assert isinstance(conn.handler_error, RuntimeError)
            assert conn.close_sent == (1011, "client error")
            await asyncio.wait_for(server_closed.wait(), 5)
            assert codes == [1011]
    run(body())


def test_when_the_transport_ends_mid_backlog_the_reader_hears_of_it_after_the_last_message():
    async def handler(ws):
        await ws.recv()
        ws.transport.write(flood_bytes(ws))
        await ws.wait_closed()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            seen: list[bytes] = []
            closed_at: list[int] = []

            def on_message(data: bytes, text: bool) -> None:
                if not seen:
                    conn.abort()  # the transport ends in a later turn, the rest of this read still waiting
                seen.append(data)
            conn.set_handler(on_message)
            conn.send_now(b"go")
            await conn.wait_closed()
            closed_at.append(len(seen))
            await asyncio.sleep(0)  # a turn in which a late slice would show
            assert len(seen) == closed_at[0] > CHECK_EVERY
            assert seen == MESSAGES[:len(seen)]
    run(body())


async def flood_handler(ws) -> None:
    await ws.recv()
    ws.transport.write(flood_bytes(ws))
    await ws.wait_closed()


def first_slice(reading: list[bool]) -> int:
    """How many messages were delivered before reading first paused: the first slice's size."""
    return reading.index(False) if False in reading else len(reading)


def recording_reading(conn: WsConnection, reading: list[bool], on_first: Callable[[], object],
                      all_in: asyncio.Event) -> None:
    """Set a handler on ``conn`` that notes, per message, whether reading was still on."""
    def on_message(data: bytes, text: bool) -> None:
        assert conn.transport is not None
        reading.append(conn.transport.is_reading())
        if len(reading) == 1:
            on_first()
        if len(reading) == FLOOD:
            all_in.set()
    conn.set_handler(on_message)


async def flood_one(on_first: Callable[[], object]) -> list[bool]:
    """One flooded connection on the running loop; ``on_first`` runs at its first message."""
    async with serve(flood_handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
        conn = await connect(server.sockets[0].getsockname()[1])
        conn.slice_s = SHARED_SLICE_S
        reading: list[bool] = []
        all_in = asyncio.Event()
        recording_reading(conn, reading, on_first, all_in)
        conn.send_now(b"go")
        await all_in.wait()
        await conn.close(1000)
        return reading


def test_connections_flooded_on_one_loop_share_its_slice():
    async def body():
        async with serve(flood_handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            first, second = await connect(port), await connect(port)
            readings: tuple[list[bool], list[bool]] = ([], [])
            done = (asyncio.Event(), asyncio.Event())
            for conn, reading, all_in in zip((first, second), readings, done, strict=True):
                conn.slice_s = SHARED_SLICE_S
                # the second flood is asked for from within the first's first slice: it arrives while that backlog waits
                start_second = (lambda: second.send_now(b"go")) if conn is first else (lambda: None)
                recording_reading(conn, reading, start_second, all_in)
            first.send_now(b"go")
            await asyncio.gather(*(event.wait() for event in done))
            assert first_slice(readings[0]) == 2 * CHECK_EVERY  # alone when it began
            assert first_slice(readings[1]) == CHECK_EVERY  # half a slice: the first still had a backlog
            await asyncio.gather(first.close(1000), second.close(1000))
    run(body())


def test_connections_on_loops_of_two_threads_do_not_share_a_slice():
    first_waiting = threading.Event()  # the first thread's connection is mid-slice, its backlog counted
    second_began = threading.Event()

    def hold_first_slice() -> None:
        first_waiting.set()
        second_began.wait(10)  # blocks only the first thread's loop

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="slice-loop") as pool:
        first = pool.submit(run, flood_one(hold_first_slice))
        assert first_waiting.wait(10)
        second = pool.submit(run, flood_one(second_began.set))
        readings = first.result(), second.result()
    assert second_began.is_set()
    # the second began while the first had a backlog on its own loop: a whole slice all the same
    assert [first_slice(reading) for reading in readings] == [2 * CHECK_EVERY, 2 * CHECK_EVERY]


def test_runs_of_binary_messages_go_to_the_batch_handler_and_others_between_them_in_order():
    """With a batch handler, a read of binary messages only goes in lists of at most a slice's
    check (one call for many); a read with a text message or a PING among them goes message by
    message, in order, the PING answered."""
    async def handler(ws):
        await ws.recv()
        ws.transport.write(flood_bytes(ws))
        await ws.recv()
        for data in MESSAGES[:50]:
            ws.protocol.send_frame(Frame(Opcode.BINARY, data))
        ws.protocol.send_frame(Frame(Opcode.PING, b"p"))
        ws.protocol.send_frame(Frame(Opcode.TEXT, b"text"))
        for data in MESSAGES[50:100]:
            ws.protocol.send_frame(Frame(Opcode.BINARY, data))
        ws.transport.write(b"".join(ws.protocol.data_to_send()))
        await ws.wait_closed()

    async def body():
        async with serve(handler, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
            conn = await connect(server.sockets[0].getsockname()[1])
            calls: list[tuple[str, list[bytes]]] = []
            count = [0]
            first, second = asyncio.Event(), asyncio.Event()

            def seen(n: int) -> None:
                count[0] += n
                if count[0] == FLOOD:
                    first.set()
                if count[0] == FLOOD + 101:
                    second.set()

            def on_message(data: bytes, text: bool) -> None:
                calls.append(("text" if text else "one", [data]))
                seen(1)

            def on_batch(datas: list[bytes]) -> None:
                calls.append(("batch", list(datas)))
                seen(len(datas))
            conn.set_handler(on_message, on_batch)
            conn.send_now(b"go")
            await first.wait()
            assert [d for _, ds in calls for d in ds] == MESSAGES
            assert {kind for kind, _ in calls} == {"batch"}
            assert max(len(ds) for _, ds in calls) <= CHECK_EVERY
            assert len(calls) < FLOOD // 2
            calls.clear()
            conn.send_now(b"more")
            await second.wait()
            assert [d for _, ds in calls for d in ds] == [*MESSAGES[:50], b"text", *MESSAGES[50:100]]
            assert ("text", [b"text"]) in calls
            await conn.close(1000)
    run(body())
