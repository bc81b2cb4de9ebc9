"""Receiving, sending and pinging on the client's open connection (ConnectionIO, owned by RealtimeClient).

This is the hot path. Messages are not awaited one by one: the connection hands each
complete data message to ``message_handler``'s callbacks synchronously, right where a
socket read completed it (a run of binary messages as one list). Every EVENT's head is read
once (``peek_head``: a long body's from the members around its data, data left unread
until the log shows or searches the row); a message EVENT, or a presence join or leave (its
change read whole in the same parse), goes on with that head only (``FrameSeen.frame`` stays None,
``FrameSeen.head`` set, so no consumer reads it again); everything else (a sync, other
frames) is decoded once."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

from inspector.client.connection import Closed, OnBatch, OnMessage, WsConnection
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
from inspector.protocol.frames import DecodeError, Error, Event, Frame, Ping, Pong, decode_received, encode, try_decode
from inspector.protocol.heads import AnyHead, EventHead, MemberChangeEvent, MessageHead, peek_head
from inspector.protocol.pings import PingTracker

# What a tap gets: (conn, t, data) for a received binary message, (None, None, event) for any other event.
TapItem = tuple[str, float, bytes] | tuple[None, None, SessionEvent]
Tap = Callable[[TapItem], None]  # a recorder's list.extend (see RealtimeClient.add_tap)
_TYPE = attrgetter("type")
_MESSAGE_ONLY = {"message"}
_MESSAGE_HEAD = {MessageHead}  # always a message
_MAYBE_MESSAGE = {MessageHead, EventHead}  # a message when its type says so


@dataclass(frozen=True, slots=True)
class ConnectionOwner:
    """What ConnectionIO needs from the client that owns it, as typed callbacks."""

    conn_id: str
    stats: ClientStats
    config: ClientConfig
    emit: Callable[[SessionEvent], None]    # to listeners and taps
    notify: Callable[[FrameSeen], None]     # a received frame, to listeners only: the message handler feeds taps itself
    notify_all: Callable[[list[FrameSeen]], None]  # received frames, as ``notify`` each in order
    taps: Callable[[], tuple[Tap, ...]]
    on_presence: Callable[[Event], None]  # subscriptions are the client's business
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

    async def read(self, ws: WsConnection) -> None:
        """Receive until the connection closes; raises Closed (or our own error)."""
        ws.set_handler(*self.message_handler(ws))
        await ws.wait_closed()
        if ws.handler_error is not None:
            raise ws.handler_error
        raise ws.close_exc

    def message_handler(self, ws: WsConnection) -> tuple[OnMessage, OnBatch]:
        """The per-message callback, as few steps as possible for a message EVENT, and the
        callback for a run of binary messages: when every one is a message EVENT, the run goes
        on without a call of Python code per message (one clock read for the run: they came
        in the same read); else message by message. With taps (``add_tap``, rebuilt when they
        change), every binary message also goes to them as ``(conn, t, data)``; listeners get
        it through ``notify``, so taps do not see it twice."""
        owner = self._owner
        conn = owner.conn_id
        stats = owner.stats
        emit = owner.emit
        notify = owner.notify
        notify_all = owner.notify_all
        now = time.time
        read = peek_head
        dispatch = self._dispatch
        taps = owner.taps()
        tap = None if not taps else taps[0] if len(taps) == 1 else (lambda item: [fn(item) for fn in taps])

        def on_message(data: bytes, text: bool) -> None:
            if text:
                t = now()
                stats.frames_in += 1
                stats.bytes_in += len(data)
                emit(FrameSeen(conn, t, IN, data, decode_received(data, True), True))
                return
            received(data, read(data))

        def received(data: bytes, head: AnyHead | None) -> None:
            t = now()
            stats.frames_in += 1
            stats.bytes_in += len(data)
            if tap is not None:
                tap((conn, t, data))
            if head is not None and (head.type == "message"
                                     or (type(head) is MemberChangeEvent and head.data.action != "sync")):
                notify(FrameSeen(conn, t, IN, data, None, False, head))  # nothing to act on: not decoded
                return
            frame = try_decode(data)
            notify(FrameSeen(conn, t, IN, data, frame))
            dispatch(ws, frame, t)

        def on_batch(datas: list[bytes]) -> None:
            # the run in C-level maps, no Python call per message: bench/bench_receive.py's figures
            # and bench/bench_flood.py's "compact" line
            heads = list(map(read, datas))
            kinds = set(map(type, heads))  # a head's class first: cheaper to read than its type
            if kinds != _MESSAGE_HEAD and (not kinds <= _MAYBE_MESSAGE or set(map(_TYPE, heads)) != _MESSAGE_ONLY):
                for data, head in zip(datas, heads, strict=True):
                    received(data, head)
                return
            n = len(datas)
            t = now()
            stats.frames_in += n
            stats.bytes_in += sum(map(len, datas))
            if tap is not None:
                for data in datas:
                    tap((conn, t, data))
            notify_all(list(map(FrameSeen, repeat(conn, n), repeat(t, n), repeat(IN, n), datas, repeat(None, n),
                                repeat(False, n), heads)))
        return on_message, on_batch

    def _dispatch(self, ws: WsConnection, frame: Frame | DecodeError, t: float) -> None:
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

    def _answer_ping(self, ws: WsConnection, payload: bytes, received: float) -> None:
        data = encode(Pong(payload))
        if ws.send_now(data):
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

    async def write(self, ws: WsConnection, outbox: asyncio.Queue[bytes]) -> None:
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
        except Closed:
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
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, wake_at - time.monotonic())):
                        await wake.wait()
            else:
                await wake.wait()
            now = time.monotonic()
            missed = tracker.expire(now)
            for i in range(missed):
                consecutive = tracker.consecutive_missed - missed + i + 1
                self._owner.emit(PongMissed(self._owner.conn_id, time.time(), consecutive))
            if interval and now >= next_ping and self._owner.ping_due():
                next_ping = now + interval
