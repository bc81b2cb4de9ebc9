"""The receive, send and ping side of the open connection (ConnectionIO, owned by RealtimeClient).

This is the hot path. Messages are not awaited one by one: ``WireConnection`` hands
each complete data message to the client synchronously, right where websockets'
Sans-I/O parser produced it (one socket read = one tight batch). Message EVENTs are
only peeked at (``FrameSeen.frame`` stays None); everything else is decoded once.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass
from typing import Callable

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import BINARY, CONT, TEXT, CloseCode
from websockets.protocol import OPEN

from inspector.client.model import ClientConfig, ClientStats
from inspector.protocol.events import (
    IN,
    OUT,
    FrameSeen,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    SessionEvent,
)
from inspector.protocol.frames import DecodeError, Error, Event, Frame, Ping, Pong, try_decode
from inspector.protocol.heads import is_message_head
from inspector.protocol.pings import PingTracker

# Same bound (and variable) as websockets' own assembler: fragments of one message.
MAX_FRAGMENTS = int(os.environ.get("WEBSOCKETS_MAX_FRAGMENTS", "4096"))
_TEXT_FRAME = "text frame; every message must be a binary frame"

OnMessage = Callable[[bytes, bool], None]  # (message bytes, was a text frame)
_LATER: set[asyncio.Task] = set()  # answers waiting for a fragmented send (keeps the tasks alive)


_NO_LIMIT = 2**63


def _at_frame_boundary(conn: ClientConnection) -> bool:
    """Whether websockets' parser waits for the start of a frame with nothing buffered.

    It then sits in StreamReader.at_eof() (mid-frame it sits in read_exact()). If a
    websockets version is shaped differently this says False: websockets frames all.
    """
    if conn.protocol.reader.buffer:
        return False
    gen = getattr(conn.protocol, "parser", None)
    for _ in range(8):
        inner = getattr(gen, "gi_yieldfrom", None)
        if inner is None:
            break
        gen = inner
    code = getattr(gen, "gi_code", None)
    return code is not None and code.co_name == "at_eof"


class WireConnection(ClientConnection):
    """A ClientConnection that delivers data messages by callback instead of ``recv()``.

    No assembler queue and no Future per message. Control frames (PING, PONG, CLOSE)
    still go through websockets; so do the limits (max_size counts fragmented messages).
    Messages that arrive before ``set_handler`` are kept and replayed to it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fast = False      # framing complete binary messages ourselves (see data_received)
        self._tail = b""        # an incomplete frame held back while framing ourselves
        self._early: list[tuple[bytes, bool]] = []
        self._on_message: OnMessage = lambda data, text: self._early.append((data, text))
        self._fragments: list | None = None
        self._fragments_text = False
        self.handler_error: BaseException | None = None
        self.handler_set = False

    def set_handler(self, on_message: OnMessage) -> None:
        self._on_message = on_message
        self.handler_set = True
        early, self._early = self._early, []
        for data, text in early:
            self._deliver(data, text)

    # ------------------------------------------------------------ framing

    def data_received(self, data: bytes) -> None:
        """Deliver unfragmented binary frames straight from the socket data.

        websockets' Sans-I/O parser costs more per frame than all the rest of the
        client, so while the connection is open and websockets' parser waits at a frame
        boundary, this reads the frame headers itself: a complete, unmasked, FIN binary
        frame with no RSV bits within max_size is delivered as is; every other frame
        (text, fragments, PING, PONG, CLOSE, bad framing, too large) is handed to
        websockets whole, so it stays at a frame boundary and keeps doing the protocol.
        An incomplete frame at the end waits for the next data.
        """
        if not self._fast:
            super().data_received(data)
            self._fast = self.response is not None and self.protocol.state is OPEN and _at_frame_boundary(self)
            return
        if self._tail:
            data = self._tail + data
            self._tail = b""
        on_message = self._on_message
        limit = self.protocol.max_message_size or _NO_LIMIT
        i, n = 0, len(data)
        while n - i >= 2:
            b1 = data[i + 1]
            length = b1 & 0x7F
            header = 2
            if length == 126:
                header = 4
                if n - i < 4:
                    break
                length = int.from_bytes(data[i + 2:i + 4], "big")
            elif length == 127:
                header = 10
                if n - i < 10:
                    break
                length = int.from_bytes(data[i + 2:i + 10], "big")
            if b1 & 0x80:
                header += 4  # masked: wrong from a server, websockets says so
            if length > limit:  # websockets fails it: from here on everything is its
                self._fast = False
                super().data_received(data[i:])
                return
            end = i + header + length
            if end > n:
                break
            if data[i] == 0x82 and not b1 & 0x80:  # FIN, no RSV, BINARY, unmasked
                try:
                    on_message(data[i + header:end], False)
                except Exception as exc:  # noqa: BLE001 - see _deliver
                    self._handler_failed(exc)
            else:
                super().data_received(data[i:end])
                if self.protocol.state is not OPEN:  # closing: the rest is websockets'
                    self._fast = False
                    if end < n:
                        super().data_received(data[end:])
                    return
                on_message = self._on_message
            i = end
        if i < n:
            self._tail = data[i:]

    def eof_received(self) -> None:
        if self._tail:  # websockets reports the cut frame as it would have
            tail, self._tail = self._tail, b""
            self._fast = False
            super().data_received(tail)
        return super().eof_received()

    # ------------------------------------------------------------ events from websockets

    def process_event(self, event) -> None:
        if self.response is None:  # the handshake response
            super().process_event(event)
            return
        op = event.opcode
        if op is BINARY and event.fin:  # the hot case, without the extra call of _deliver
            try:
                self._on_message(bytes(event.data), False)
            except Exception as exc:  # noqa: BLE001 - see _deliver
                self._handler_failed(exc)
        elif op is BINARY or op is TEXT:
            if event.fin:
                self._deliver(bytes(event.data), op is TEXT)
            else:
                self._fragments = [event.data]
                self._fragments_text = op is TEXT
        elif op is CONT:  # the protocol has checked that a fragmented message is open
            fragments = self._fragments
            if fragments is None:  # dropped: we failed the connection in the middle of it
                return
            fragments.append(event.data)
            if event.fin:
                self._fragments = None
                self._deliver(b"".join(fragments), self._fragments_text)
            elif len(fragments) >= MAX_FRAGMENTS:
                self._fragments = None
                self._fail(CloseCode.MESSAGE_TOO_BIG, "too many fragments")
        else:
            super().process_event(event)  # PONG; PING and CLOSE were answered by the protocol

    def _deliver(self, data: bytes, text: bool) -> None:
        if text:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:  # what recv() does: the connection fails with 1007
                self._fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
                return
        try:
            self._on_message(data, text)
        except Exception as exc:  # noqa: BLE001
            self._handler_failed(exc)

    def _handler_failed(self, exc: Exception) -> None:
        """A bug of ours in the handler: end this connection; _read re-raises the error."""
        if self.handler_error is None:
            self.handler_error = exc
            self._fail(CloseCode.INTERNAL_ERROR, "client error")

    def _fail(self, code: int, reason: str) -> None:
        """Close with ``code`` from synchronous code; abort if the peer does not finish closing in time."""
        if self.protocol.state is OPEN:
            self.protocol.fail(code, reason)
            self._flush()
            self.loop.call_later(self.close_timeout or 10.0, self._abort_if_open)

    def _abort_if_open(self) -> None:
        if not self.connection_lost_waiter.done():
            self.transport.abort()

    def send_now(self, data: bytes) -> bool:
        """Send one binary frame at once, from synchronous code; False if it cannot be now.

        What ``send()`` does for a single frame, minus the wait for the write buffer to
        drain (this is for small answers). Never in the middle of a fragmented send.
        """
        if self.protocol.state is not OPEN or self.send_in_progress is not None:
            return False
        self.protocol.send_binary(data)
        self._flush()
        return True

    def _flush(self) -> None:
        try:
            self.send_data()
        except Exception as exc:  # noqa: BLE001 - as data_received does: the transport reports it
            self.set_connection_exc(exc)


Tap = Callable[[tuple], None]  # a recorder's list.extend (see RealtimeClient.add_tap)


@dataclass(frozen=True, slots=True)
class ConnectionOwner:
    """What ConnectionIO needs from the client that owns it, as typed callbacks."""

    conn_id: str
    stats: ClientStats
    config: ClientConfig
    emit: Callable[[SessionEvent], None]    # to listeners and taps
    notify: Callable[[SessionEvent], None]  # to listeners only: the message handler feeds taps itself
    taps: Callable[[], tuple[Tap, ...]]
    on_presence: Callable[[Event], None]    # subscriptions are the client's business
    on_error: Callable[[Error], None]
    ping_due: Callable[[], bool]            # the ping interval elapsed: ping if open (True = pinged)


class ConnectionIO:
    """Receiving, sending and pinging on the client's open connection (the client owns one)."""

    def __init__(self, owner: ConnectionOwner) -> None:
        self._owner = owner
        self.tracker = PingTracker(timeout=owner.config.pong_timeout)
        self._ping_wake: asyncio.Event | None = None

    def opened(self) -> None:
        """A new connection: pings start afresh."""
        self.tracker = PingTracker(timeout=self._owner.config.pong_timeout)
        self._ping_wake = asyncio.Event()

    def closed(self) -> None:
        self._ping_wake = None

    def ping_sent(self) -> bytes:
        """The payload for a PING the client sends now (its RTT comes back as RttMeasured)."""
        payload = self.tracker.next_payload()
        self.tracker.sent(payload, time.monotonic())
        if self._ping_wake is not None:
            self._ping_wake.set()
        return payload

    async def read(self, ws: WireConnection) -> None:
        """Receive until the connection closes; raises ConnectionClosed (or our own error)."""
        ws.set_handler(self.message_handler(ws))
        await ws.wait_closed()
        if ws.handler_error is not None:
            raise ws.handler_error
        raise ws.close_exc

    def message_handler(self, ws: WireConnection) -> OnMessage:
        """The per-message callback: as few steps as possible for a message EVENT. With taps
        (``add_tap``, rebuilt when they change), every binary message also goes to them as
        ``(conn, t, data)``; listeners get it through ``notify``, so taps do not see it twice."""
        owner = self._owner
        conn = owner.conn_id
        stats = owner.stats
        emit = owner.emit
        notify = owner.notify
        now = time.time
        is_message = is_message_head
        dispatch = self._dispatch
        taps = owner.taps()
        tap = None if not taps else taps[0] if len(taps) == 1 else (lambda item: [fn(item) for fn in taps])

        def on_message(data: bytes, text: bool) -> None:
            t = now()
            stats.frames_in += 1
            stats.bytes_in += len(data)
            if text:
                emit(FrameSeen(conn, t, IN, data, DecodeError("bad_frame", _TEXT_FRAME), True))
                return
            if tap is not None:
                tap((conn, t, data))
            if is_message(data):
                notify(FrameSeen(conn, t, IN, data))  # nothing to act on: consumers decode if they need to
                return
            frame = try_decode(data)
            notify(FrameSeen(conn, t, IN, data, frame))
            dispatch(ws, frame, t)
        return on_message

    def _dispatch(self, ws: WireConnection, frame: Frame | DecodeError, t: float) -> None:
        """Act on a decoded incoming frame (after listeners have seen it)."""
        if type(frame) is Event:
            if frame.type == "presence":
                self._owner.on_presence(frame)
        elif type(frame) is Ping:
            self._answer_ping(ws, frame.payload, t)
        elif type(frame) is Pong:
            self._on_pong(frame.payload)
        elif type(frame) is Error:
            self._owner.on_error(frame)
        elif type(frame) is DecodeError:
            frame.__traceback__ = None  # do not keep the decoder's frames alive with the event

    def _answer_ping(self, ws: WireConnection, payload: bytes, received: float) -> None:
        data = b"\x21" + payload
        if ws.send_now(data):
            self._pong_sent(data, payload, received)
        elif ws.protocol.state is OPEN:  # a fragmented send is under way: answer right after it
            task = asyncio.get_running_loop().create_task(self._answer_ping_later(ws, data, payload, received))
            _LATER.add(task)
            task.add_done_callback(_LATER.discard)

    async def _answer_ping_later(self, ws: WireConnection, data: bytes, payload: bytes, received: float) -> None:
        try:
            await ws.send(data)
        except ConnectionClosed:
            return
        self._pong_sent(data, payload, received)

    def _pong_sent(self, data: bytes, payload: bytes, received: float) -> None:
        t = time.time()
        owner = self._owner
        owner.stats.frames_out += 1
        owner.stats.bytes_out += len(data)
        owner.emit(FrameSeen(owner.conn_id, t, OUT, data, Pong(payload)))
        owner.emit(ServerPingAnswered(owner.conn_id, t, payload, t - received))

    def _on_pong(self, payload: bytes) -> None:
        rtt = self.tracker.pong(payload, time.monotonic())
        if rtt is not None:
            self._owner.stats.last_rtt = rtt
            self._owner.emit(RttMeasured(self._owner.conn_id, time.time(), rtt))

    async def write(self, ws: WireConnection, outbox: asyncio.Queue[bytes]) -> None:
        """Send what the client queues until the connection closes."""
        owner = self._owner
        conn, stats, emit = owner.conn_id, owner.stats, owner.emit
        try:
            while True:
                data = await outbox.get()
                await ws.send(data)
                stats.frames_out += 1
                stats.bytes_out += len(data)
                emit(FrameSeen(conn, time.time(), OUT, data, try_decode(data)))
        except ConnectionClosed:
            pass

    async def ping_loop(self) -> None:
        """Ask for a ping every interval; report pongs that did not come in time."""
        interval = self._owner.config.ping_interval
        wake = self._ping_wake
        if wake is None:  # not open
            return
        tracker = self.tracker
        next_ping = time.monotonic() + interval if interval else math.inf
        while True:
            deadline = tracker.next_deadline()
            wake_at = min(next_ping, deadline if deadline is not None else math.inf)
            wake.clear()
            if wake_at != math.inf:
                try:
                    await asyncio.wait_for(wake.wait(), max(0.0, wake_at - time.monotonic()))
                except asyncio.TimeoutError:
                    pass
            else:
                await wake.wait()
            now = time.monotonic()
            missed = tracker.expire(now)
            for i in range(missed):
                consecutive = tracker.consecutive_missed - missed + i + 1
                self._owner.emit(PongMissed(self._owner.conn_id, time.time(), consecutive))
            if interval and now >= next_ping and self._owner.ping_due():
                next_ping = now + interval
