"""One simulated user's connection: connect, subscribe, answer PINGs, send PINGs, measure.

Built on the sans-I/O codec and websockets' threading client, which gevent's monkey
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
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from inspector.protocol import closecodes, frames, limits
from inspector.protocol.backoff import Backoff
from inspector.protocol.gaps import SeqGaps
from inspector.protocol.pings import PingTracker
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
    """The connection ended in a way no retry fixes (401, 1008, 1000 from the server)."""


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
    plan: Plan
    token: str
    record: Record
    clock: Callable[[], float] = time.monotonic
    ws: ClientConnection | None = None
    backoff: Backoff = field(default_factory=Backoff)
    _pending: dict[str, tuple[int, float]] = field(default_factory=dict)  # topic -> (request id, sent at)
    _gaps: SeqGaps = field(default_factory=SeqGaps)
    _pings: PingTracker | None = None
    _next_ping: float = 0.0
    _next_id: int = 1

    # ------------------------------------------------------------ connecting

    def start(self) -> None:
        """Connect (retrying what the reconnect policy retries) and send every SUBSCRIBE."""
        while not self._connect():
            time.sleep(self.backoff.next_delay())
        self._subscribe_all()

    def _connect(self) -> bool:
        url, headers = self.plan.url, {"Authorization": f"Bearer {self.token}"}
        if self.plan.auth == "query":
            url += ("&" if "?" in url else "?") + urlencode({"token": self.token})
            headers = {}
        started = self.clock()
        try:
            ws = opened(connect(url, additional_headers=headers, compression=None, ping_interval=None,
                         max_size=None, open_timeout=self.plan.open_timeout, close_timeout=2,
                         proxy=proxy_for(url), logger=WS_LOG))
        except InvalidStatus as exc:
            status = exc.response.status_code
            self.record(CONNECT, "ws", (self.clock() - started) * 1000, 0, LoadFailure(f"HTTP {status} on the upgrade"))
            if status in (401, 403):
                raise SessionOver(f"HTTP {status}") from None
            return False
        except (OSError, TimeoutError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            self.record(CONNECT, "ws", (self.clock() - started) * 1000, 0, LoadFailure(f"cannot connect: {reason}"))
            return False
        except Exception as exc:  # noqa: BLE001 - any handshake failure is one failure line
            self.record(CONNECT, "ws", (self.clock() - started) * 1000, 0, LoadFailure(f"handshake failed: {exc}"))
            return False
        self.ws = ws
        now = self.clock()
        self.record(CONNECT, "ws", (now - started) * 1000, 0, None)
        self.backoff.opened(now)
        self._gaps.reset()  # messages missed while closed are the close's failure, not a gap
        self._pings = PingTracker(timeout=self.plan.pong_timeout)
        self._next_ping = now + (self.plan.ping_every or 0.0)
        return True

    def _subscribe_all(self) -> None:
        for topic, flt in self.plan.subscriptions:
            ident, self._next_id = self._next_id, self._next_id + 1
            self._pending[topic] = (ident, self.clock())
            self._gaps.subscribed(topic, bool(flt))
            self._send(frames.Subscribe(topic, flt or None, ident))

    def _send(self, frame: frames.Frame) -> None:
        if self.ws is not None:
            self.ws.send(frames.encode(frame))

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
                time.sleep(min(self.backoff.next_delay(), until - now))
                if self._connect():
                    self._subscribe_all()
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
        self.backoff.closed(self.clock())
        code = exc.rcvd.code if exc.rcvd is not None else closecodes.ABNORMAL
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        info = closecodes.describe(code)
        self._pending.clear()
        why = f"closed by the server: {code} {reason or info.meaning}"
        if code == closecodes.POLICY_VIOLATION and reason == "connection limit":
            why += f" (more than {limits.MAX_CONNECTIONS_PER_TOKEN} connections on one token: the pool is too small)"
        self.record(CLOSE, f"{code} {info.name}", 0, 0, LoadFailure(why))
        if info.policy in (closecodes.Policy.STOP, closecodes.Policy.DONE):
            raise SessionOver(f"closed {code}")

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
            self.record(ERROR, frame.code, 0, size, LoadFailure(f"ERROR {frame.code}: {frame.message}"))

    def _event(self, ev: frames.Event, received: float, size: int) -> None:
        if ev.type == "presence":
            pending = self._pending.get(ev.topic)
            action = ev.data.get("action") if isinstance(ev.data, dict) else None
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
