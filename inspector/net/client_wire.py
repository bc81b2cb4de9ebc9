"""The receive, send and ping side of one open connection (a mixin of RealtimeClient).

This is the hot path: one decode and one FrameSeen per message, no logging, no
extra allocations, so the app keeps up with a bare websockets receive loop.
"""

from __future__ import annotations

import asyncio
import math
import time

from websockets.exceptions import ConnectionClosed

from ..protocol.events import IN, OUT, FrameSeen, PongMissed, RttMeasured, ServerPingAnswered, State, \
    SubscriptionChanged, SubState
from ..protocol.frames import DecodeError, Error, Event, Ping, Pong, try_decode


class ConnectionIO:
    """Needs from the client: conn_id, stats, subscriptions, _emit, _tracker, _requests,
    _ping_wake, _stopping, state, ping() and _send_subscribe()."""

    def _restore_subscriptions(self) -> None:
        for sub in self.subscriptions.values():
            if sub.state is SubState.FAILED:
                continue
            changed = sub.state is not SubState.PENDING or sub.error_code is not None
            sub.state = SubState.PENDING
            sub.refiltering = False
            sub.error_code = None
            sub.message = ""
            self._send_subscribe(sub)
            if changed:
                self._emit(SubscriptionChanged(self.conn_id, time.time(), sub.topic, SubState.PENDING, sub.filter))

    def _suspend_subscriptions(self) -> None:
        # Subscriptions end with the connection; they come back as PENDING on reconnect.
        if self._stopping:
            return
        for sub in self.subscriptions.values():
            if sub.state is SubState.ACTIVE:
                sub.state = SubState.PENDING
                self._emit(SubscriptionChanged(self.conn_id, time.time(), sub.topic, SubState.PENDING, sub.filter,
                                               message="connection ended"))

    async def _read(self, ws) -> None:
        conn = self.conn_id
        stats = self.stats
        emit = self._emit
        now = time.time
        recv = ws.recv
        while True:
            msg = await recv()
            t = now()
            if msg.__class__ is bytes:
                frame = try_decode(msg)
                ev = FrameSeen(conn, t, IN, msg, frame)
            else:
                msg = msg.encode("utf-8", "surrogatepass")
                frame = DecodeError("bad_frame", "text frame; every message must be a binary frame")
                ev = FrameSeen(conn, t, IN, msg, frame, True)
            stats.frames_in += 1
            stats.bytes_in += len(msg)
            emit(ev)
            cls = frame.__class__
            if cls is Event:
                if frame.type == "presence":
                    self._on_presence(frame)
            elif cls is Ping:
                await self._answer_ping(ws, frame.payload, t)
            elif cls is Pong:
                self._on_pong(frame.payload)
            elif cls is Error:
                self._on_error(frame)
            elif cls is DecodeError:
                frame.__traceback__ = None  # do not keep the decoder's frames alive with the event

    async def _answer_ping(self, ws, payload: bytes, received: float) -> None:
        data = b"\x21" + payload
        await ws.send(data)
        t = time.time()
        self.stats.frames_out += 1
        self.stats.bytes_out += len(data)
        self._emit(FrameSeen(self.conn_id, t, OUT, data, Pong(payload)))
        self._emit(ServerPingAnswered(self.conn_id, t, payload, t - received))

    def _on_pong(self, payload: bytes) -> None:
        rtt = self._tracker.pong(payload, time.monotonic())
        if rtt is not None:
            self.stats.last_rtt = rtt
            self._emit(RttMeasured(self.conn_id, time.time(), rtt))

    def _on_presence(self, frame: Event) -> None:
        data = frame.data
        if not isinstance(data, dict) or data.get("action") != "sync":
            return
        sub = self.subscriptions.get(frame.topic)
        if sub is None:
            return
        self._requests.pop(sub.request_id, None)
        sub.refiltering = False
        if sub.state is SubState.PENDING:
            sub.state = SubState.ACTIVE
            self._emit(SubscriptionChanged(self.conn_id, time.time(), sub.topic, SubState.ACTIVE, sub.filter))

    def _on_error(self, frame: Error) -> None:
        ref = frame.ref
        if ref is None:
            return
        topic = self._requests.pop(ref, None)
        sub = self.subscriptions.get(topic) if topic is not None else None
        if sub is None or sub.request_id != ref:
            return
        sub.error_code = frame.code
        sub.message = frame.message
        if sub.refiltering:
            # "the subscription is not made or not changed": the old filter still holds.
            sub.refiltering = False
            sub.filter = sub.previous_filter
            self._emit(SubscriptionChanged(self.conn_id, time.time(), sub.topic, sub.state, sub.filter,
                                           error_code=frame.code, message=f"filter not changed: {frame.message}"))
            return
        sub.state = SubState.FAILED
        self._emit(SubscriptionChanged(self.conn_id, time.time(), sub.topic, SubState.FAILED, sub.filter,
                                       error_code=frame.code, message=frame.message))

    async def _write(self, ws, outbox: asyncio.Queue) -> None:
        conn = self.conn_id
        stats = self.stats
        try:
            while True:
                data = await outbox.get()
                await ws.send(data)
                stats.frames_out += 1
                stats.bytes_out += len(data)
                self._emit(FrameSeen(conn, time.time(), OUT, data, try_decode(data)))
        except ConnectionClosed:
            pass

    async def _ping_loop(self) -> None:
        interval = self.config.ping_interval
        wake = self._ping_wake
        tracker = self._tracker
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
                self._emit(PongMissed(self.conn_id, time.time(), consecutive))
            if now >= next_ping and self.state is State.OPEN:
                self.ping()
                next_ping = now + interval
