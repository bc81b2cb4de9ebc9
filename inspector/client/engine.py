"""The client engine: one Realtime session with reconnects, driven by the CLI and the app.

Everything it sees or does is reported as a SessionEvent to listeners, synchronously
and in loop order. The reconnect policy is docs/protocol.md's "Client reconnect policy".
The receive path is kept light (connection.WsConnection and wire.ConnectionIO, which
the client owns: messages by callback, message EVENTs only peeked at): the benchmark
compares it with a bare websockets receive loop.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
from inspector.client.tokens import TokenError, TokenSource
from inspector.client.wire import ConnectionIO, ConnectionOwner, Tap
from inspector.protocol.backoff import Backoff
from inspector.protocol.closecodes import (
    ABNORMAL,
    AUTH_EXPIRED,
    INTERNAL_ERROR,
    NO_STATUS,
    NORMAL,
    Policy,
    describe,
)
from inspector.protocol.events import FrameSeen, SessionEvent, State, StateChanged, SubscriptionChanged, SubState
from inspector.protocol.filters import compile_filter
from inspector.protocol.frames import Error, Event, Subscribe, Unsubscribe, encode
from inspector.protocol.limits import MAX_REQUEST_ID
from inspector.protocol.topics import topic_error
from inspector.redact import redacting_logger, scrub

__all__ = ["ClientConfig", "ClientStats", "NotConnected", "RealtimeClient", "SubscriptionInfo", "TopicError"]

_log = redacting_logger("inspector.client.engine")
# Received frames in a list (in order), then the event that follows them or None.
BatchListener = Callable[[list[FrameSeen], SessionEvent | None], None]
WS_LOG = redacting_logger("websockets.client")  # the logger websockets gets: tokens masked
_USER_AGENT = f"realtime-inspector/{__version__}"
_MAX_TRACKED_REQUESTS = 1024
STOPPED_ON_REQUEST = "stopped on request"


class _Ended:
    """How one connection attempt ended."""

    __slots__ = ("code", "error", "http_code", "http_status", "opened", "reason", "stop")

    def __init__(self, opened=False, code=None, reason="", http_status=None, http_code=None, error="", stop=False):
        self.opened = opened
        self.code = code
        self.reason = reason
        self.http_status = http_status
        self.http_code = http_code
        self.error = error
        self.stop = stop  # a failure retrying cannot help (TLS verification): the session stops with it


class RealtimeClient:
    def __init__(self, config: ClientConfig, conn_id: str = "c1"):
        config.validate()
        self.config = config
        self.conn_id = conn_id
        self.state = State.IDLE
        self.subscriptions: dict[str, SubscriptionInfo] = {}
        self.stats = ClientStats()
        self.last_state: StateChanged | None = None
        self._listeners: tuple[Callable[[SessionEvent], None], ...] = ()
        self._batch_listeners: tuple[BatchListener, ...] = ()
        self._received: list[FrameSeen] = []  # received frames not yet given to batch listeners
        self._loop: asyncio.AbstractEventLoop | None = None  # the session's, set by start()
        self._taps: tuple[Tap, ...] = ()
        self._backoff = Backoff(initial=config.backoff_initial, cap=config.backoff_cap,
                                reset_after=config.backoff_reset_after, rng=config.rng or random.random)
        self._io = ConnectionIO(ConnectionOwner(conn_id, self.stats, config, self._emit, self._notify_received,
                                                lambda: self._taps, self._on_presence, self._on_error,
                                                self._ping_due))
        self._task: asyncio.Task | None = None
        self._ws: WsConnection | None = None
        self._outbox: asyncio.Queue[bytes] | None = None
        self._wake = asyncio.Event()  # start() makes a fresh one: an Event binds to the loop that waits on it
        self._stopping = False
        self._skip_wait = False
        self._token: str | None = None
        self._next_id = 0
        self._requests: dict[int, str] = {}
        self._state_waiters: list[tuple[State, asyncio.Future]] = []
        self.session_info: SessionInfo | None = None  # of the open connection: TLS, subprotocol, proxy

    # ------------------------------------------------------------ listeners

    def add_listener(self, fn: Callable[[SessionEvent], None]) -> None:
        self._listeners = self._listeners + (fn,)

    def remove_listener(self, fn: Callable[[SessionEvent], None]) -> None:
        # ==, not is: a bound method is a new object each time it is read
        self._listeners = tuple(f for f in self._listeners if f != fn)

    def add_batch_listener(self, fn: BatchListener) -> None:
        """Like ``add_listener``, for a consumer of floods: ``fn(frames, event)``. Received
        frames are collected and handed over as one list, ``fn(frames, None)``, once per turn
        of the loop; any other event comes as ``fn(frames, event)``, after the frames received
        before it, so everything arrives once and in order. Every batch listener gets the
        same list: read it, do not change or keep it."""
        self._batch_listeners = self._batch_listeners + (fn,)

    def remove_batch_listener(self, fn: BatchListener) -> None:
        self._batch_listeners = tuple(f for f in self._batch_listeners if f != fn)

    def add_tap(self, extend: Callable[[tuple], None]) -> None:
        """A recorder's way in: ``extend`` (a ``list.extend``: cheap, never raises) gets every
        binary message received as ``(conn, t, data)`` and every other event as
        ``(None, None, event)``, in order. Cheaper per frame than a listener: no call of
        Python code, and no event object to take apart later."""
        self._taps = self._taps + (extend,)
        self._retap()

    def remove_tap(self, extend: Callable[[tuple], None]) -> None:
        self._taps = tuple(f for f in self._taps if f != extend)
        self._retap()

    def _retap(self) -> None:
        ws = self._ws
        if ws is not None and ws.handler_set:  # reading already: take the taps in now
            ws.set_handler(self._io.message_handler(ws))

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

    def _set_state(self, state: State, **fields) -> StateChanged:
        self.state = state
        ev = StateChanged(self.conn_id, time.time(), state, **fields)
        self.last_state = ev
        self._emit(ev)
        if self._state_waiters:
            keep = []
            for want, fut in self._state_waiters:
                if fut.done():
                    continue
                if want is state:
                    fut.set_result(ev)
                else:
                    keep.append((want, fut))
            self._state_waiters = keep
        return ev

    # ------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the session on the running loop (no-op when already running)."""
        if self.running:
            return
        loop = self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._skip_wait = False
        self._wake = asyncio.Event()
        self._token = None
        self._task = loop.create_task(self._run(), name=f"realtime-client-{self.conn_id}")

    async def stop(self) -> None:
        """Close with 1000 and end the session; no reconnect. Returns when the task finished."""
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is None or task.done():
            return
        ws = self._ws
        if ws is not None:
            try:
                await ws.close(NORMAL, "client stop")
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
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
        fut = asyncio.get_running_loop().create_future()

        def watch(ev):
            if not fut.done() and predicate(ev):
                fut.set_result(ev)

        self.add_listener(watch)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.remove_listener(watch)

    def set_token(self, source: TokenSource) -> None:
        """Use another token source from the next connection on."""
        if not isinstance(source, TokenSource):
            raise TypeError("token must be a TokenSource")
        self.config.token = source
        self._token = None

    def reconnect_now(self) -> None:
        """Skip the backoff wait; reconnect an open client; restart a stopped one."""
        if not self.running:
            self._backoff.reset()
            self.start()
            return
        self._skip_wait = True
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
        old = self.subscriptions.get(topic)
        is_open = self.state is State.OPEN and self._outbox is not None
        sub = SubscriptionInfo(topic, filter)
        if old is not None and old.state is SubState.ACTIVE and is_open:
            # The server replaces the filter in place; the subscription stays active.
            sub.state = SubState.ACTIVE
            sub.previous_filter = old.filter
            sub.refiltering = True
        self.subscriptions[topic] = sub
        if is_open:
            self._send_subscribe(sub)
        self._emit(SubscriptionChanged(self.conn_id, time.time(), topic, sub.state, filter,
                                       message="filter changed" if sub.refiltering else ""))

    def unsubscribe(self, topic: str) -> None:
        reason = topic_error(topic)
        if reason is not None:
            raise TopicError(topic, reason)
        sub = self.subscriptions.pop(topic, None)
        if self.state is State.OPEN and self._outbox is not None:
            ident = self._new_id(topic)
            self._queue(encode(Unsubscribe(topic, ident)))
        if sub is not None:
            self._emit(SubscriptionChanged(self.conn_id, time.time(), topic, SubState.REMOVED, sub.filter))

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

    def _new_id(self, topic: str) -> int:
        self._next_id = self._next_id + 1 if self._next_id < MAX_REQUEST_ID else 1
        self._requests[self._next_id] = topic
        if len(self._requests) > _MAX_TRACKED_REQUESTS:
            del self._requests[next(iter(self._requests))]
        return self._next_id

    def _send_subscribe(self, sub: SubscriptionInfo) -> None:
        sub.request_id = self._new_id(sub.topic)
        self._queue(encode(Subscribe(sub.topic, sub.filter, sub.request_id)))

    def _queue(self, data: bytes) -> None:
        assert self._outbox is not None, "only while open"
        self._outbox.put_nowait(data)

    # ------------------------------------------------------------ subscriptions as the server answers

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

    def _on_presence(self, frame: Event) -> None:
        data = frame.data
        if not isinstance(data, dict) or data.get("action") != "sync":
            return
        sub = self.subscriptions.get(frame.topic)
        if sub is None:
            return
        if sub.request_id is not None:
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

    # ------------------------------------------------------------ the session loop

    async def _run(self) -> None:
        try:
            await self._session()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            self._set_state(State.STOPPED, message=STOPPED_ON_REQUEST)
        except Exception as exc:  # noqa: BLE001 - report, never leave a dead task behind
            message = scrub(f"{type(exc).__name__}: {exc}", self._token)
            _log.error("client session failed: %s", message)
            self._set_state(State.STOPPED, message=f"internal error: {message}")
        finally:
            self._ws = None
            self._outbox = None

    async def _session(self) -> None:
        attempt = 0
        refresh = True
        while True:
            if self._stopping:
                self._set_state(State.STOPPED, message=STOPPED_ON_REQUEST)
                return
            if refresh or self._token is None:
                try:
                    self._token = await self.config.token.fetch()
                except TokenError as exc:
                    self._set_state(State.STOPPED, message=f"no token: {exc}")
                    return
                refresh = False
            self._set_state(State.CONNECTING, attempt=attempt)
            ended = await self._connect_once(self._token)
            if self._stopping:
                self._set_state(State.STOPPED, code=ended.code, reason=ended.reason, message=STOPPED_ON_REQUEST)
                return
            if self._skip_wait:
                self._skip_wait = False
                self._backoff.reset()
                attempt = 0
                continue
            if ended.stop:
                self._set_state(State.STOPPED, message=f"connect failed: {ended.error}")
                return
            if ended.http_status is not None and not 500 <= ended.http_status <= 599:
                self._stop_on_http(ended)
                return
            info = describe(ended.code)
            if ended.opened and info.policy is Policy.DONE:
                self._set_state(State.STOPPED, code=ended.code, reason=ended.reason,
                                message=f"server closed the connection normally ({NORMAL}); not reconnecting")
                return
            if ended.opened and info.policy is Policy.STOP:
                why = ended.reason or info.meaning
                self._set_state(State.STOPPED, code=ended.code, reason=ended.reason,
                                message=f"closed by the server with {ended.code} ({why}); not reconnecting")
                return
            if ended.opened and info.policy is Policy.REFRESH_TOKEN:
                if not await self._refresh_token():
                    return
            if not self.config.auto_reconnect:
                self._set_state(State.STOPPED, code=ended.code, reason=ended.reason,
                                message="connection ended; automatic reconnect is off")
                return
            delay = self._backoff.next_delay()
            attempt = self._backoff.attempt
            self._set_state(State.WAITING, attempt=attempt, delay=delay)
            await self._sleep(delay)

    async def _refresh_token(self) -> bool:
        """After a 4401: fetch a different token, or stop and say why. True = go on."""
        source = self.config.token
        if not source.refreshable:
            self._set_state(State.STOPPED, code=AUTH_EXPIRED, reason="token expired",
                            message="token expired; enter a fresh token")
            return False
        old = self._token
        try:
            fresh = await source.fetch()
        except TokenError as exc:
            self._set_state(State.STOPPED, code=AUTH_EXPIRED, message=f"token expired and refreshing it failed: {exc}")
            return False
        if fresh == old:
            self._set_state(State.STOPPED, code=AUTH_EXPIRED,
                            message=f"token expired and the {source.describe()} still gives the same token")
            return False
        self._token = fresh
        return True

    def _stop_on_http(self, ended: _Ended) -> None:
        status = ended.http_status
        assert status is not None
        self._set_state(State.STOPPED, http_status=status, http_code=ended.http_code,
                        message=http_line(status, ended.http_code))

    async def _sleep(self, delay: float) -> None:
        wake = self._wake
        wake.clear()
        if not (self._stopping or self._skip_wait):
            try:
                await asyncio.wait_for(wake.wait(), delay)
            except TimeoutError:
                pass
        self._skip_wait = False

    # ------------------------------------------------------------ one connection

    def _target(self, token: str) -> tuple[str, dict | None]:
        url = self.config.url
        if self.config.auth == "query":
            parts = urlsplit(url)
            pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
            pairs.append(("token", token))
            return urlunsplit(parts._replace(query=urlencode(pairs))), None
        return url, {"Authorization": f"Bearer {token}"}

    def dialled_url(self, token: str) -> str:
        """The URL a connection with ``token`` dials (the token is in it only with query auth)."""
        return self._target(token)[0]

    async def _connect_once(self, token: str) -> _Ended:
        url, headers = self._target(token)
        parts = urlsplit(url)
        host = parts.hostname or ""
        options = self.config.options
        self.stats.attempts += 1
        self.session_info = None
        carrier = options.header_with(token)
        if carrier is not None:
            return _Ended(error=f"header {carrier!r} carries the token's value: use the token options", stop=True)
        try:
            async with asyncio.timeout(self.config.open_timeout):
                ws = await open_connection(url, headers=headers, user_agent=_USER_AGENT, max_size=MAX_INCOMING,
                                           logger=WS_LOG, use_proxy=not is_loopback_host(host), options=options)
        except InvalidStatus as exc:
            ended = self._refused(exc)
            if 500 <= ended.http_status <= 599:
                self._set_state(State.CLOSED, http_status=ended.http_status,
                                message=f"connect failed: server answered HTTP {ended.http_status}")
            return ended
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is one line; classify says whether to retry
            failure = classify(exc, host, parts.port or (443 if parts.scheme == "wss" else 80))
            message = scrub(failure.message, token)
            if not failure.stop:
                self._set_state(State.CLOSED, message=f"connect failed: {message}")
            return _Ended(error=message, stop=failure.stop)
        self.session_info = ws.session
        try:
            return await self._serve(ws)
        finally:
            self._ws = None

    def _refused(self, exc: InvalidStatus) -> _Ended:
        status = exc.response.status_code
        code = None
        try:
            body = json.loads(exc.response.body or b"")
            if isinstance(body, dict) and isinstance(body.get("code"), str):
                code = body["code"][:100]
        except (ValueError, TypeError):
            pass
        return _Ended(http_status=status, http_code=code, error=f"HTTP {status}")

    async def _serve(self, ws: WsConnection) -> _Ended:
        loop = asyncio.get_running_loop()
        self._ws = ws
        self._outbox = asyncio.Queue()
        self._io.opened()
        self._requests.clear()
        self.stats.connects += 1
        self._backoff.opened(time.monotonic())
        self._skip_wait = False  # a reconnect_now() made while connecting is satisfied
        self._set_state(State.OPEN)
        if self._stopping:
            await ws.close(NORMAL, "client stop")
        self._restore_subscriptions()
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
            self._backoff.closed(time.monotonic())
        if code is None or code == NO_STATUS:
            code = ABNORMAL if code is None else code
        self._set_state(State.CLOSED, code=code, reason=reason, meaning=describe(code).meaning, message=message)
        self._suspend_subscriptions()
        return _Ended(opened=True, code=code, reason=reason)


def _name(fn: Callable[..., object]) -> str:
    """A listener by name: the repr of one whose owner is already gone can itself raise."""
    return getattr(fn, "__qualname__", type(fn).__name__)


async def _close_quietly(ws: WsConnection, code: int, reason: str) -> None:
    try:
        await asyncio.wait_for(ws.close(code, reason), 2.0)
    except BaseException:  # noqa: BLE001 - best effort on the way out
        pass

