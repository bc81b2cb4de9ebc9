"""The client engine: one Realtime session with reconnects, driven by the CLI and the app.

Everything it sees or does is reported as a SessionEvent to listeners, synchronously
and in loop order. Its decisions (reconnects, tokens, close codes, subscriptions) are
protocol/session.py's SessionPolicy: this is its asyncio driver. The receive path is
kept light (connection.WsConnection and wire.ConnectionIO, which the client owns:
messages by callback, message EVENTs only peeked at): the benchmark compares it with a
bare websockets receive loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.exceptions import InvalidStatus

from inspector import __version__
from inspector.client.connection import Closed, WsConnection, open_connection
from inspector.client.failures import classify, http_line
from inspector.client.model import (
    MAX_INCOMING,
    ClientConfig,
    ClientStats,
    NotConnected,
    SubscriptionInfo,
    TopicError,
    is_loopback_host,
)
from inspector.client.tls import SessionInfo
from inspector.client.tokens import TokenError
from inspector.client.wire import ConnectionIO, ConnectionOwner, Tap
from inspector.protocol.backoff import Backoff
from inspector.protocol.closecodes import INTERNAL_ERROR, NORMAL
from inspector.protocol.events import FrameSeen, SessionEvent, State, StateChanged, SubscriptionChanged
from inspector.protocol.filters import compile_filter
from inspector.protocol.frames import Error, Event
from inspector.protocol.session import (
    Action,
    Connect,
    FetchToken,
    Output,
    Send,
    SessionPolicy,
    SessionSettings,
    Wait,
)
from inspector.protocol.topics import topic_error
from inspector.protocol.urls import dial
from inspector.redact import redacting_logger, scrub

__all__ = ["ClientConfig", "ClientStats", "NotConnected", "RealtimeClient", "SubscriptionInfo", "TopicError"]

_log = redacting_logger("inspector.client.engine")
# Received frames in a list (in order), then the event that follows them or None.
BatchListener = Callable[[list[FrameSeen], SessionEvent | None], None]
WS_LOG = redacting_logger("websockets.client")  # the logger websockets gets: tokens masked
_USER_AGENT = f"realtime-inspector/{__version__}"


class RealtimeClient:
    def __init__(self, config: ClientConfig, conn_id: str = "c1"):
        config.validate()
        self.config = config
        self.conn_id = conn_id
        self.state = State.IDLE
        self.stats = ClientStats()
        self.last_state: StateChanged | None = None
        self._listeners: tuple[Callable[[SessionEvent], None], ...] = ()
        self._batch_listeners: tuple[BatchListener, ...] = ()
        self._received: list[FrameSeen] = []  # received frames not yet given to batch listeners
        self._loop: asyncio.AbstractEventLoop | None = None  # the session's, set by start()
        self._taps: tuple[Tap, ...] = ()
        backoff = Backoff(initial=config.backoff_initial, cap=config.backoff_cap,
                          reset_after=config.backoff_reset_after, rng=config.rng or random.random)
        self._policy = SessionPolicy(conn_id, SessionSettings(
            config.url, config.auth, config.auto_reconnect, config.token.refreshable, config.token.describe()), backoff)
        self._io = ConnectionIO(ConnectionOwner(conn_id, self.stats, config, self._emit, self._notify_received,
                                                self._notify_all_received,
                                                lambda: self._taps, self._on_presence, self._on_error,
                                                self._ping_due))
        self._task: asyncio.Task[None] | None = None
        self._ws: WsConnection | None = None
        self._outbox: asyncio.Queue[bytes] | None = None
        self._wake = asyncio.Event()  # start() makes a fresh one: an Event binds to the loop that waits on it
        self._token: str | None = None  # the one in use: scrubbed from error text
        self._state_waiters: list[tuple[State, asyncio.Future[StateChanged]]] = []
        self.session_info: SessionInfo | None = None  # of the open connection: TLS, subprotocol, proxy

    @property
    def subscriptions(self) -> dict[str, SubscriptionInfo]:
        """Every subscription by topic, as the server last answered (read only)."""
        return self._policy.subscriptions

    # ------------------------------------------------------------ listeners

    def add_listener(self, fn: Callable[[SessionEvent], None]) -> None:
        self._listeners = (*self._listeners, fn)

    def remove_listener(self, fn: Callable[[SessionEvent], None]) -> None:
        # ==, not is: a bound method is a new object each time it is read
        self._listeners = tuple(f for f in self._listeners if f != fn)

    def add_batch_listener(self, fn: BatchListener) -> None:
        """Like ``add_listener``, for a consumer of floods: ``fn(frames, event)``. Received
        frames are collected and handed over as one list, ``fn(frames, None)``, once per turn
        of the loop; any other event comes as ``fn(frames, event)``, after the frames received
        before it, so everything arrives once and in order. Every batch listener gets the
        same list: read it, do not change or keep it."""
        self._batch_listeners = (*self._batch_listeners, fn)

    def remove_batch_listener(self, fn: BatchListener) -> None:
        self._batch_listeners = tuple(f for f in self._batch_listeners if f != fn)

    def add_tap(self, extend: Tap) -> None:
        """A recorder's way in: ``extend`` (a ``list.extend``: cheap, never raises) gets every
        binary message received as ``(conn, t, data)`` and every other event as
        ``(None, None, event)``, in order. Cheaper per frame than a listener: no call of
        Python code, and no event object to take apart later."""
        self._taps = (*self._taps, extend)
        self._retap()

    def remove_tap(self, extend: Tap) -> None:
        self._taps = tuple(f for f in self._taps if f != extend)
        self._retap()

    def _retap(self) -> None:
        ws = self._ws
        if ws is not None and ws.handler_set:  # reading already: take the taps in now
            ws.set_handler(*self._io.message_handler(ws))

    def _emit(self, event: SessionEvent) -> None:
        self._notify(event)
        if self._batch_listeners:
            self._flush_received(event)
        for tap in self._taps:
            tap((None, None, event))

    def _notify_received(self, event: FrameSeen) -> None:
        """A received frame: to listeners now, to batch listeners with the next batch."""
        for fn in self._listeners:
            try:
                fn(event)
            except Exception as exc:  # noqa: BLE001 - as in _notify
                _log.error("session listener %s failed: %s: %s", _name(fn), type(exc).__name__, exc)
        if self._batch_listeners:
            received = self._received
            if not received:  # on the session's loop: Qt may deliver a read outside the asyncio loop's run
                loop = self._loop
                assert loop is not None, "frames come only once started"
                loop.call_soon(self._flush_received, None)
            received.append(event)

    def _notify_all_received(self, events: list[FrameSeen]) -> None:
        """``_notify_received`` for each of ``events``, in order; the batch listeners' list
        grows by all of them at once."""
        if self._listeners:
            for event in events:
                for fn in self._listeners:
                    try:
                        fn(event)
                    except Exception as exc:  # noqa: BLE001 - as in _notify
                        _log.error("session listener %s failed: %s: %s", _name(fn), type(exc).__name__, exc)
        if self._batch_listeners and events:
            received = self._received
            if not received:
                loop = self._loop
                assert loop is not None, "frames come only once started"
                loop.call_soon(self._flush_received, None)
            received += events

    def _flush_received(self, event: SessionEvent | None) -> None:
        frames = self._received
        if not frames and event is None:
            return
        self._received = []
        for fn in self._batch_listeners:
            try:
                fn(frames, event)
            except Exception as exc:  # noqa: BLE001 - as for listeners
                _log.error("session listener %s failed: %s: %s", _name(fn), type(exc).__name__, exc)

    def _notify(self, event: SessionEvent) -> None:
        """Listeners only (the message handler gives taps their frames itself)."""
        for fn in self._listeners:
            try:
                fn(event)
            except Exception as exc:  # noqa: BLE001 - a broken listener must not kill the session
                _log.error("session listener %s failed: %s: %s", _name(fn), type(exc).__name__, exc)

    def _apply(self, outputs: list[Output]) -> Action | None:
        """Carry out what the policy said: report events, queue frames; the action to do next."""
        action: Action | None = None
        for item in outputs:
            if isinstance(item, StateChanged):
                self._state_changed(item)
            elif isinstance(item, SubscriptionChanged):
                self._emit(item)
            elif isinstance(item, Send):
                self._queue(item.data)
            else:
                action = item
        return action

    def _state_changed(self, ev: StateChanged) -> None:
        self.state = ev.state
        self.last_state = ev
        self._emit(ev)
        if self._state_waiters:
            keep = []
            for want, fut in self._state_waiters:
                if fut.done():
                    continue
                if want is ev.state:
                    fut.set_result(ev)
                else:
                    keep.append((want, fut))
            self._state_waiters = keep

    # ------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the session on the running loop (no-op when already running)."""
        if self.running:
            return
        loop = self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._token = None
        first = self._policy.start()
        self._task = loop.create_task(self._run(first), name=f"realtime-client-{self.conn_id}")

    async def stop(self) -> None:
        """Close with 1000 and end the session; no reconnect. Returns when the task finished."""
        self._policy.stop_requested()
        self._wake.set()
        task = self._task
        if task is None or task.done():
            return
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                await ws.close(NORMAL, "client stop")
        else:  # connecting, fetching a token or waiting: nothing to close politely
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise

    async def wait_closed(self) -> None:
        """Wait until the session task has finished (stopped for good)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def wait_state(self, state: State, timeout: float | None = None) -> StateChanged:
        """Wait for the next change into ``state`` (or return at once if already there)."""
        if self.state is state and self.last_state is not None:
            return self.last_state
        fut = asyncio.get_running_loop().create_future()
        self._state_waiters.append((state, fut))
        return await asyncio.wait_for(fut, timeout)

    async def wait_event(self, predicate: Callable[[SessionEvent], bool], timeout: float | None = None) -> SessionEvent:
        """Wait for the next event matching ``predicate``."""
        fut: asyncio.Future[SessionEvent] = asyncio.get_running_loop().create_future()

        def watch(ev: SessionEvent) -> None:
            if not fut.done() and predicate(ev):
                fut.set_result(ev)

        self.add_listener(watch)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.remove_listener(watch)

    def reconnect_now(self) -> None:
        """Skip the backoff wait; reconnect an open client; restart a stopped one."""
        if not self.running:
            self._policy.backoff.reset()
            self.start()
            return
        self._policy.reconnect_requested()
        self._wake.set()
        ws = self._ws
        if ws is not None:
            asyncio.get_running_loop().create_task(ws.close(NORMAL, "reconnect"))

    # ------------------------------------------------------------ subscriptions and sends

    def subscribe(self, topic: str, filter: str | None = None) -> None:
        """Subscribe, or change the filter of an existing subscription (refilter)."""
        reason = topic_error(topic)
        if reason is not None:
            raise TopicError(topic, reason)
        if filter == "":
            filter = None
        compile_filter(filter)  # FilterError (a ValueError) with the position
        self._apply(self._policy.subscribe(topic, filter, time.time()))

    def unsubscribe(self, topic: str) -> None:
        reason = topic_error(topic)
        if reason is not None:
            raise TopicError(topic, reason)
        self._apply(self._policy.unsubscribe(topic, time.time()))

    def send_raw(self, data: bytes) -> None:
        """Send any bytes as one binary message (the inspector's "send raw frame")."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("send_raw takes bytes")
        if self.state is not State.OPEN or self._outbox is None:
            raise NotConnected("not connected")
        self._queue(bytes(data))

    def ping(self) -> bytes:
        """Send a PING now; its RTT arrives as RttMeasured (or PongMissed)."""
        if self.state is not State.OPEN or self._outbox is None:
            raise NotConnected("not connected")
        payload = self._io.ping_sent()
        self._queue(b"\x20" + payload)
        return payload

    def _ping_due(self) -> bool:
        if self.state is not State.OPEN:
            return False
        self.ping()
        return True

    def _queue(self, data: bytes) -> None:
        assert self._outbox is not None, "the policy sends only while open"
        self._outbox.put_nowait(data)

    # ------------------------------------------------------------ what the server says about subscriptions

    def _on_presence(self, frame: Event) -> None:
        self._apply(self._policy.presence_received(frame.topic, frame.data, time.time()))

    def _on_error(self, frame: Error) -> None:
        if frame.ref is not None:
            self._apply(self._policy.error_received(frame.ref, frame.code, frame.message, time.time()))

    # ------------------------------------------------------------ the session loop: the policy's actions

    async def _run(self, first: list[Output]) -> None:
        try:
            await self._session(first)
        except asyncio.CancelledError:
            if not self._policy.stopping:
                raise
            self._apply(self._policy.cancelled(time.time()))
        except Exception as exc:  # noqa: BLE001 - report, never leave a dead task behind
            message = scrub(f"{type(exc).__name__}: {exc}", self._token)
            _log.error("client session failed: %s", message)
            self._apply(self._policy.failed(message, time.time()))
        finally:
            self._ws = None
            self._outbox = None

    async def _session(self, first: list[Output]) -> None:
        policy = self._policy
        action = self._apply(first)
        while action is not None:
            if type(action) is FetchToken:
                try:
                    token = await self.config.token.fetch()
                except TokenError as exc:
                    outputs = policy.token_failed(str(exc), time.time())
                else:
                    outputs = policy.token_fetched(token, time.time())
            elif type(action) is Connect:
                outputs = await self._connect_once(action)
            else:
                assert type(action) is Wait
                await self._sleep(action.delay)
                outputs = policy.timer_fired(time.time())
            action = self._apply(outputs)

    async def _sleep(self, delay: float) -> None:
        wake = self._wake
        wake.clear()
        if not (self._policy.stopping or self._policy.skip_wait):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await wake.wait()

    # ------------------------------------------------------------ one connection

    def _target(self, token: str) -> tuple[str, list[tuple[str, str]]]:
        return dial(self.config.url, token, self.config.auth)

    def dialled_url(self, token: str) -> str:
        """The URL a connection with ``token`` dials (the token is in it only with query auth)."""
        return self._target(token)[0]

    async def _connect_once(self, target: Connect) -> list[Output]:
        token = self._token = target.token
        parts = urlsplit(target.url)
        host = parts.hostname or ""
        options = self.config.options
        self.stats.attempts += 1
        self.session_info = None
        carrier = options.header_with(token)
        if carrier is not None:
            return self._policy.connect_failed(
                f"header {carrier!r} carries the token's value: use the token options", False, time.time())
        try:
            async with asyncio.timeout(self.config.open_timeout):
                ws = await open_connection(target.url, headers=target.headers, user_agent=_USER_AGENT,
                                           max_size=MAX_INCOMING, logger=WS_LOG, use_proxy=not is_loopback_host(host),
                                           options=options)
        except InvalidStatus as exc:
            status, code = _refusal(exc)
            return self._policy.connect_refused(status, code, http_line(status, code), time.time())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is one line; classify says whether to retry
            failure = classify(exc, host, parts.port or (443 if parts.scheme == "wss" else 80))
            return self._policy.connect_failed(scrub(failure.message, token), not failure.stop, time.time())
        self.session_info = ws.session
        try:
            return await self._serve(ws)
        finally:
            self._ws = None

    async def _serve(self, ws: WsConnection) -> list[Output]:
        loop = asyncio.get_running_loop()
        self._ws = ws
        self._outbox = asyncio.Queue()
        self._io.opened()
        self.stats.connects += 1
        self._apply(self._policy.opened(time.time(), time.monotonic()))
        if self._policy.stopping:
            await ws.close(NORMAL, "client stop")
        writer = loop.create_task(self._io.write(ws, self._outbox))
        pinger = loop.create_task(self._io.ping_loop())
        code, reason, message = None, "", ""
        try:
            await self._io.read(ws)
        except Closed as exc:
            if exc.violation is not None and exc.sent is not None:  # the server broke the protocol: say so
                code = exc.sent[0]
                message = exc.violation  # the code is a field of its own: not repeated here
            else:
                code, reason = exc.rcvd or exc.sent or (None, "")
        except BaseException:
            await _close_quietly(ws, INTERNAL_ERROR, "client error")
            raise
        finally:
            writer.cancel()
            pinger.cancel()
            self._outbox = None
            self._io.closed()
        return self._policy.closed(code, reason, message, time.time(), time.monotonic())


def _refusal(exc: InvalidStatus) -> tuple[int, str | None]:
    """The status of a refused upgrade, and the JSON body's ``code`` when it has one."""
    status = exc.response.status_code
    code = None
    try:
        body = json.loads(exc.response.body or b"")
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            code = body["code"][:100]
    except (ValueError, TypeError):
        pass
    return status, code


def _name(fn: Callable[..., object]) -> str:
    """A listener by name: the repr of one whose owner is already gone can itself raise."""
    return getattr(fn, "__qualname__", type(fn).__name__)


async def _close_quietly(ws: WsConnection, code: int, reason: str) -> None:
    with contextlib.suppress(BaseException):  # best effort on the way out
        await asyncio.wait_for(ws.close(code, reason), 2.0)

