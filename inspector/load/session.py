"""One simulated user's connection: connect, subscribe, answer PINGs, send PINGs, measure.

Built on the sans-I/O codec and session policy and websockets' threading client, which gevent's monkey
patching makes cooperative (the load processes import Locust, which patches first).
Every measurement goes to ``record`` in the shape of Locust's request event:
(kind, name, milliseconds, bytes, failure or None).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from inspector.protocol import closecodes, frames, limits
from inspector.protocol.backoff import Backoff
from inspector.protocol.events import State, StateChanged, SubState
from inspector.protocol.gaps import SeqGaps
from inspector.protocol.pings import PingTracker
from inspector.protocol.session import Connect, FetchToken, Output, Send, SessionPolicy, SessionSettings, Wait
from inspector.redact import redacting_logger, scrub

Record = Callable[[str, str, float, int, "BaseException | None"], None]

# The kinds and names a load run reports (Locust's request_type and name).
CONNECT, SUBSCRIBE, EVENT, PRESENCE, PING, SERVER_PING, CLOSE, ERROR, GAP = (
    "CONNECT", "SUBSCRIBE", "EVENT", "PRESENCE", "PING", "SERVER_PING", "CLOSE", "ERROR", "GAP")
RTT = "rtt"
WS_LOG = redacting_logger("inspector.load.ws")


class LoadFailure(Exception):
    """A failure as Locust lists it: one line, never a token."""

    def __init__(self, message: str):
        super().__init__(scrub(message))

    def __repr__(self) -> str:  # Locust lists a failure by its repr: the line itself
        return str(self)


class SessionOver(Exception):
    """The session policy stopped: the connection ended in a way no retry fixes (an upgrade
    refused with 4xx, 1008 or 1000 from the server, 4401 on the pool's one token)."""


@dataclass(frozen=True)
class Plan:
    """What every simulated user does (the run's options)."""

    url: str
    subscriptions: tuple[tuple[str, str | None], ...]
    auth: str = "header"  # or "query"
    ping_every: float | None = 5.0
    pong_timeout: float = limits.PONG_TIMEOUT
    open_timeout: float = 10.0


def now_ms() -> float:
    """Wall clock in ms, the clock EVENT ``ts`` is on."""
    return time.time_ns() / 1e6


def lag_ms(ts: int, received_ms: float) -> float:
    """Delivery lag; below zero only when the two clocks disagree, so it is shown as 0."""
    return max(0.0, received_ms - ts)


def opened(ws: ClientConnection) -> ClientConnection:
    """The connection as ``with connect(...) as ws`` hands it over (the form websockets asks for);
    ``ws.close()`` ends it as leaving the block would."""
    return contextlib.ExitStack().enter_context(ws)


def proxy_for(url: str) -> Literal[True] | None:
    """No proxy for a loopback server; otherwise the environment's (HTTPS_PROXY, NO_PROXY ...)."""
    return None if (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1") else True


@dataclass
class Session:
    """A sync driver of the session policy (protocol/session.py): it decides what to dial, when
    to retry, which close ends the user and the SUBSCRIBE ids; this does the I/O and measures."""

    plan: Plan
    token: str = field(repr=False)  # never in a repr
    record: Record
    clock: Callable[[], float] = time.monotonic
    ws: ClientConnection | None = None
    backoff: Backoff = field(default_factory=Backoff)
    _policy: SessionPolicy = field(init=False, repr=False)
    _pending: dict[str, tuple[int, float]] = field(default_factory=dict)  # topic -> (request id, sent at)
    _gaps: SeqGaps = field(default_factory=SeqGaps)
    _pings: PingTracker | None = None
    _next_ping: float = 0.0
    _wait_until: float = 0.0  # when the policy's backoff wait ends (while not connected)

    def __post_init__(self) -> None:
        # One fixed token from the pool: a 4401 cannot be helped by fetching again.
        settings = SessionSettings(self.plan.url, self.plan.auth, token_refreshable=False, token_origin="token pool")
        self._policy = SessionPolicy("load", settings, self.backoff)
        for topic, flt in self.plan.subscriptions:
            self._policy.subscribe(topic, flt or None, time.time())

    # ------------------------------------------------------------ connecting

    def start(self) -> None:
        """Connect (retrying what the reconnect policy retries) and send every SUBSCRIBE."""
        self._advance(self._policy.start())
        while self.ws is None:
            time.sleep(max(0.0, self._wait_until - self.clock()))
            self._advance(self._policy.timer_fired(time.time()))

    def _advance(self, outputs: list[Output]) -> None:
        """Carry out the policy's outputs until it waits or a connection is open; SessionOver
        when it stops."""
        while True:
            action: FetchToken | Connect | Wait | None = None
            for item in outputs:
                if isinstance(item, Send):
                    self._send_bytes(item.data)
                elif isinstance(item, StateChanged) and item.state is State.STOPPED:
                    raise SessionOver(item.message)
                elif isinstance(item, (FetchToken, Connect, Wait)):
                    action = item
            if action is None:
                return
            if isinstance(action, Wait):
                self._wait_until = self.clock() + action.delay
                return
            if isinstance(action, FetchToken):
                outputs = self._policy.token_fetched(self.token, time.time())
            else:
                outputs = self._connect(action)

    def _connect(self, target: Connect) -> list[Output]:
        started = self.clock()
        try:
            ws = opened(connect(target.url, additional_headers=target.headers, compression=None, ping_interval=None,
                                max_size=None, open_timeout=self.plan.open_timeout, close_timeout=2,
                                proxy=proxy_for(target.url), logger=WS_LOG))
        except InvalidStatus as exc:
            status = exc.response.status_code
            self.record(CONNECT, "ws", (self.clock() - started) * 1000, 0, LoadFailure(f"HTTP {status} on the upgrade"))
            return self._policy.connect_refused(status, None, f"HTTP {status}", time.time())
        except (OSError, TimeoutError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            return self._connect_failed(started, scrub(f"cannot connect: {reason}", self.token))
        except Exception as exc:  # noqa: BLE001 - any handshake failure is one failure line
            return self._connect_failed(started, scrub(f"handshake failed: {exc}", self.token))
        self.ws = ws
        now = self.clock()
        self.record(CONNECT, "ws", (now - started) * 1000, 0, None)
        self._gaps.reset()  # messages missed while closed are the close's failure, not a gap
        self._pings = PingTracker(timeout=self.plan.pong_timeout)
        self._next_ping = now + (self.plan.ping_every or 0.0)
        outputs = self._policy.opened(time.time(), now)
        for topic, sub in self._policy.subscriptions.items():  # the SUBSCRIBEs about to be sent
            if sub.request_id is not None and sub.state is SubState.PENDING:
                self._pending[topic] = (sub.request_id, now)
                self._gaps.subscribed(topic, bool(sub.filter))
        return outputs

    def _connect_failed(self, started: float, why: str) -> list[Output]:
        self.record(CONNECT, "ws", (self.clock() - started) * 1000, 0, LoadFailure(why))
        return self._policy.connect_failed(why, True, time.time())

    def _send(self, frame: frames.Frame) -> None:
        self._send_bytes(frames.encode(frame))

    def _send_bytes(self, data: bytes) -> None:
        if self.ws is not None:
            self.ws.send(data)

    def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.close()

    # ------------------------------------------------------------ running

    def pump(self, seconds: float) -> None:
        """Handle frames and timers for ``seconds``; reconnects when the policy says so."""
        until = self.clock() + seconds
        while True:
            now = self.clock()
            if now >= until:
                return
            if self.ws is None:
                time.sleep(max(0.0, min(self._wait_until, until) - now))
                if self.clock() >= self._wait_until:
                    self._advance(self._policy.timer_fired(time.time()))
                continue
            self._timers(now)
            try:
                message = self.ws.recv(timeout=max(0.0, min(until, self._deadline()) - now))
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                self._closed(exc)
                continue
            self._frame(message)

    def _deadline(self) -> float:
        pings = self._pings
        out = self._next_ping if self.plan.ping_every else float("inf")
        expiry = pings.next_deadline() if pings is not None else None
        return min(out, expiry) if expiry is not None else out

    def _timers(self, now: float) -> None:
        pings = self._pings
        if pings is None:
            return
        for _ in range(pings.expire(now)):
            self.record(PING, RTT, self.plan.pong_timeout * 1000, 0,
                        LoadFailure(f"no PONG within {self.plan.pong_timeout:g} s"))
        if self.plan.ping_every and now >= self._next_ping:
            payload = pings.next_payload()
            pings.sent(payload, now)
            self._send(frames.Ping(payload))
            self._next_ping = now + self.plan.ping_every

    def _closed(self, exc: ConnectionClosed) -> None:
        self.ws = None
        code = exc.rcvd.code if exc.rcvd is not None else closecodes.ABNORMAL
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        info = closecodes.describe(code)
        self._pending.clear()
        why = f"closed by the server: {code} {reason or info.meaning}"
        if code == closecodes.POLICY_VIOLATION and reason == "connection limit":
            why += f" (more than {limits.MAX_CONNECTIONS_PER_TOKEN} connections on one token: the pool is too small)"
        self.record(CLOSE, f"{code} {info.name}", 0, 0, LoadFailure(why))
        self._advance(self._policy.closed(code, reason, "", time.time(), self.clock()))

    def _frame(self, message: bytes | str) -> None:
        received = now_ms()
        size = len(message)
        if isinstance(message, str):
            self.record(ERROR, "text frame", 0, size, LoadFailure(frames.TEXT_FRAME_ERROR))
            return
        frame = frames.try_decode(message)
        if isinstance(frame, frames.DecodeError):
            self.record(ERROR, "undecodable", 0, size, LoadFailure(f"undecodable frame: {frame.message}"))
        elif isinstance(frame, frames.Event):
            self._event(frame, received, size)
        elif isinstance(frame, frames.Ping):
            self._send(frames.Pong(frame.payload))
            self.record(SERVER_PING, "answered", now_ms() - received, size, None)
        elif isinstance(frame, frames.Pong):
            rtt = self._pings.pong(frame.payload, self.clock()) if self._pings is not None else None
            if rtt is not None:
                self.record(PING, RTT, rtt * 1000, size, None)
        elif isinstance(frame, frames.Error):
            for topic, (ident, _sent) in list(self._pending.items()):
                if frame.ref is not None and frame.ref == ident:
                    del self._pending[topic]
            self._policy.error_received(frame.ref, frame.code, frame.message, time.time())
            self.record(ERROR, frame.code, 0, size, LoadFailure(f"ERROR {frame.code}: {frame.message}"))

    def _event(self, ev: frames.Event, received: float, size: int) -> None:
        if ev.type == "presence":
            pending = self._pending.get(ev.topic)
            action = ev.data.get("action") if isinstance(ev.data, dict) else None
            self._policy.presence_received(ev.topic, ev.data, time.time())
            if action == "sync" and pending is not None:
                del self._pending[ev.topic]
                self.record(SUBSCRIBE, ev.topic, (self.clock() - pending[1]) * 1000, size, None)
                return
            self.record(PRESENCE, ev.topic, lag_ms(ev.ts, received), size, None)
            return
        self.record(EVENT, ev.topic, lag_ms(ev.ts, received), size, None)
        if ev.seq is not None:
            jump, expected = self._gaps.message(ev.topic, ev.seq)
            if jump > 0 and not expected:
                self.record(GAP, ev.topic, 0, 0, LoadFailure(f"seq gap: {jump} missed before seq {ev.seq}"))
