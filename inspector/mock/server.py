"""The mock Realtime API server: every behaviour of docs/protocol.md, over real sockets.

``MockServer`` serves ``/api/v2/realtime`` (binary frames, see inspector.protocol) and
``/mock/control`` (JSON text, see control.py) on one port, using websockets' asyncio
server with its own keepalive and compression switched off. control.py and demo.py see
the server only through the Protocols of hub.py, so neither imports this module.

Delivery: ``publish`` encodes each event once, evaluates each distinct filter of the
topic once, and queues the same bytes to every matching connection; a writer task per
connection drains its queue (see conn.py for the slow-consumer rule).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from inspector.mock import http as mock_http
from inspector.mock.conn import MockConnection
from inspector.mock.control import serve_control
from inspector.mock.demo import Demo
from inspector.mock.faults import check_faults
from inspector.mock.origin import OriginPolicy
from inspector.protocol import closecodes, frames, limits
from inspector.protocol.filters import CompiledFilter, FilterError, compile_filter
from inspector.protocol.kinds import Kind
from inspector.protocol.topics import topic_error
from inspector.redact import redacting_logger

log = logging.getLogger("inspector.mock")

Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class MockConfig:
    host: str = "127.0.0.1"
    port: int = 0
    tokens: frozenset[str] | None = None  # None: any non-empty token is accepted
    token_ttl: float | None = None  # 4401 "token expired" this long after connect
    ping_interval: float = limits.SERVER_PING_INTERVAL
    pong_timeout: float = limits.PONG_TIMEOUT
    max_missed_pongs: int = limits.MAX_MISSED_PONGS
    idle_timeout: float = limits.IDLE_TIMEOUT
    max_connections_per_token: int = limits.MAX_CONNECTIONS_PER_TOKEN
    max_subscriptions: int = limits.MAX_SUBSCRIPTIONS
    max_message_size: int = limits.MAX_MESSAGE_SIZE
    help_url: str = mock_http.DOCS_PATH  # served by the mock itself
    max_queue_bytes: int = 64 * 2**20  # per connection; beyond it: 1008 "slow consumer"
    close_timeout: float = 5.0  # how long a close waits for the peer's handshake
    allow_origins: tuple[str, ...] = ()  # browser origins beyond loopback ones; "*": every origin
    ssl_context: ssl.SSLContext | None = None  # serve wss:// (mock/certs.py makes one)
    faults: tuple[str, ...] = ()  # names from mock/faults.py: each breaks one rule on purpose


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Topic:
    """Subscribers, virtual members and the message counter of one topic."""

    __slots__ = ("_groups", "name", "seq", "subscribers", "virtual")

    def __init__(self, name: str):
        self.name = name
        self.seq = 0
        self.subscribers: dict[MockConnection, None] = {}  # ordered set
        self.virtual: dict[str, None] = {}
        self._groups: list[tuple[CompiledFilter | None, list[MockConnection]]] | None = None

    def changed(self) -> None:
        self._groups = None

    def groups(self) -> list[tuple[CompiledFilter | None, list[MockConnection]]]:
        """Subscribers grouped by filter text, so each filter runs once per event."""
        if self._groups is None:
            by_text: dict[str, tuple[CompiledFilter | None, list[MockConnection]]] = {}
            for conn in self.subscribers:
                flt = conn.subscriptions.get(self.name)
                key = flt.expression if flt is not None else ""
                by_text.setdefault(key, (flt, []))[1].append(conn)
            self._groups = list(by_text.values())
        return self._groups

    def members(self) -> list[str]:
        return [c.member for c in self.subscribers] + list(self.virtual)


class MockServer:
    """The mock server. Create, ``await start()``, then use ``url``; ``await stop()`` at the end."""

    def __init__(self, config: MockConfig | None = None):
        self.config = config or MockConfig()
        self.answer_pings = True  # False: client PINGs go unanswered (fault injection)
        self.latency = 0.0  # extra seconds before every server->client frame
        self.listeners: list[Listener] = []  # called as listener(event, info) on the server's loop
        self._server: Server | None = None
        self._conns: dict[MockConnection, None] = {}
        self._controls: set[ServerConnection] = set()
        self._topics: dict[str, _Topic] = {}
        self._per_label: dict[str, int] = {}
        self._labels: dict[str, str] = {}  # token -> "token-N"; labels are what stats and logs show
        self._member_ids: set[str] = set()
        self._frames_in = 0
        self._frames_out_closed = 0  # frames sent by connections that are gone
        self._demo: Demo | None = None
        self._origins = OriginPolicy(self.config.allow_origins)  # ValueError for a malformed origin
        self.faults = check_faults(self.config.faults)  # ValueError for an unknown fault
        self._refused_origins: set[str] = set()
        self.port: int | None = None

    # ------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return self._url(mock_http.REALTIME_PATH)

    @property
    def control_url(self) -> str:
        return self._url(mock_http.CONTROL_PATH)

    def _url(self, path: str) -> str:
        if self.port is None:
            raise RuntimeError("the mock server is not started")
        host = self.config.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        scheme = "wss" if self.config.ssl_context is not None else "ws"
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self) -> None:
        cfg = self.config
        self._server = await serve(
            self._handler, cfg.host, cfg.port,
            process_request=self._process_request,
            ping_interval=None, compression=None,
            max_size=None if "no-1009" in self.faults else cfg.max_message_size,
            close_timeout=cfg.close_timeout,
            logger=redacting_logger("inspector.mock.websockets"),
            server_header=None,
            ssl=cfg.ssl_context,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("mock server listening on %s", self.url)

    async def stop(self, code: int = closecodes.GOING_AWAY, reason: str = "server restart") -> None:
        """Close every connection (realtime and control) with ``code`` and stop listening."""
        self.stop_demo()
        if self._server is None:
            return
        server, self._server = self._server, None
        # Listening stops first (the close task's first step runs before close_all's closes are sent): a client
        # told to go away may reconnect at once, and on Python 3.11 a connection accepted while the server
        # closes is left open, never answered, until the client gives up.
        server.close(close_connections=True, code=code, reason=reason)
        await self.close_all(code, reason)
        await server.wait_closed()

    async def __aenter__(self) -> MockServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ HTTP

    def _accepts(self, token: str) -> bool:
        tokens = self.config.tokens
        return bool(token) and (tokens is None or token in tokens)

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path, _ = mock_http.split_path(request.path)
        if path == mock_http.DOCS_PATH:
            return mock_http.docs_response()
        if path not in (mock_http.REALTIME_PATH, mock_http.CONTROL_PATH):
            return mock_http.not_found(path)
        help_url = self.config.help_url
        # Before the token, so a foreign page learns nothing about which tokens work.
        origins = request.headers.get_all("Origin")
        if not self._origins.allows(origins):
            self._log_refused(path, origins)
            return mock_http.forbidden_origin(help_url)
        token = mock_http.token_from_request(request)
        if token is None:
            return self._unauthorized("missing_token", help_url)
        if not self._accepts(token):
            return self._unauthorized("invalid_token", help_url)
        if not mock_http.wants_upgrade(request):
            return self._unauthorized("upgrade_required", help_url)
        return None  # websockets completes the upgrade (or answers a malformed one itself)

    def _unauthorized(self, code: str, help_url: str) -> Response:
        response = mock_http.unauthorized(code, help_url)
        if "no-link-header" in self.faults:
            del response.headers["Link"]
        return response

    def _log_refused(self, path: str, origins: list[str]) -> None:
        shown = ", ".join(repr(o[:100]) for o in origins)
        # Loud once per origin; a page retrying in a loop must not flood the terminal.
        first = shown not in self._refused_origins and len(self._refused_origins) < 256
        if first:
            self._refused_origins.add(shown)
        log.log(logging.WARNING if first else logging.DEBUG,
                "refused %s from origin %s: 403 origin_not_allowed (allow it with --allow-origin)", path, shown)

    async def _handler(self, ws: ServerConnection) -> None:
        try:
            await self._route(ws)
        except Exception:
            log.exception("internal error while handling a connection")
            await ws.close(closecodes.INTERNAL_ERROR, "internal error")

    async def _route(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None  # a handler runs after the opening handshake
        path, _ = mock_http.split_path(request.path)
        token = mock_http.token_from_request(request) or ""
        if path == mock_http.CONTROL_PATH:
            self._controls.add(ws)
            try:
                await serve_control(self, ws)
            finally:
                self._controls.discard(ws)
            return
        await self._serve_realtime(ws, self._label(token))

    def _label(self, token: str) -> str:
        label = self._labels.get(token)
        if label is None:
            label = self._labels[token] = f"token-{len(self._labels) + 1}"
        return label

    # ------------------------------------------------------------ realtime connections

    def _new_member_id(self) -> str:
        while True:
            member = "c-" + secrets.token_hex(3)
            if member not in self._member_ids:
                self._member_ids.add(member)
                return member

    async def _serve_realtime(self, ws: ServerConnection, label: str) -> None:
        cfg = self.config
        limit = cfg.max_connections_per_token if "no-connection-limit" not in self.faults else float("inf")
        if self._per_label.get(label, 0) >= limit:
            await ws.close(closecodes.POLICY_VIOLATION, "connection limit")
            return
        self._per_label[label] = self._per_label.get(label, 0) + 1
        conn = MockConnection(ws, self._new_member_id(), label, max_queue_bytes=cfg.max_queue_bytes)
        conn.latency_of = lambda: self.latency
        self._conns[conn] = None
        try:
            conn.start_writer()
            self._arm_timers(conn)
            self._notify("connect", conn)
            await self._read_loop(conn)
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("internal error on connection %s", conn.member)
            await conn.close(closecodes.INTERNAL_ERROR, "internal error")
        finally:
            try:
                self._drop(conn)
            except Exception:
                log.exception("cleanup of connection %s failed", conn.member)

    async def _read_loop(self, conn: MockConnection) -> None:
        loop = conn.loop
        async for message in conn.ws:
            conn.frames_in += 1
            conn.last_recv = loop.time()
            if conn.closing:
                continue
            self.handle_frame(conn, message)

    def _drop(self, conn: MockConnection) -> None:
        conn.finish()
        if conn not in self._conns:
            return
        del self._conns[conn]
        self._frames_in += conn.frames_in
        self._frames_out_closed += conn.frames_out
        self._per_label[conn.token_label] -= 1
        for topic in list(conn.subscriptions):
            self._leave(conn, topic)
        self._member_ids.discard(conn.member)
        if conn.close_code is None and conn.ws.close_code is not None:
            conn.close_code, conn.close_reason = conn.ws.close_code, conn.ws.close_reason or ""
        self._notify("disconnect", conn)

    def _arm_timers(self, conn: MockConnection) -> None:
        cfg = self.config
        conn.set_timer("ping", cfg.ping_interval, _guarded(conn, self._ping_due))
        self._arm_idle(conn)
        if cfg.token_ttl is not None:
            conn.set_timer("ttl", cfg.token_ttl, lambda: conn.close_soon(closecodes.AUTH_EXPIRED, "token expired"))

    def _arm_idle(self, conn: MockConnection) -> None:
        conn.set_timer("idle", self.config.idle_timeout,
                       lambda: conn.close_soon(closecodes.POLICY_VIOLATION, "idle without subscription"))

    def _ping_due(self, conn: MockConnection) -> None:
        """Send a PING once ``ping_interval`` passed with nothing received and no PING sent."""
        if conn.closing:
            return
        cfg = self.config
        now = conn.loop.time()
        due = max(conn.last_recv, conn.last_ping) + cfg.ping_interval
        if now < due:
            conn.set_timer("ping", due - now, _guarded(conn, self._ping_due))
            return
        body = conn.new_ping_body()
        conn.last_ping = now
        conn.outstanding[body] = conn.loop.call_later(cfg.pong_timeout, _guarded(conn, self._pong_missed, body))
        conn.send(frames.encode(frames.Ping(body)))
        conn.set_timer("ping", cfg.ping_interval, _guarded(conn, self._ping_due))

    def _pong_missed(self, conn: MockConnection, body: bytes) -> None:
        if conn.outstanding.pop(body, None) is None or conn.closing:
            return
        conn.missed += 1
        if conn.missed >= self.config.max_missed_pongs:
            conn.close_soon(closecodes.POLICY_VIOLATION, "pong timeout")

    # ------------------------------------------------------------ frames from a client

    def handle_frame(self, conn: MockConnection, message: bytes | str) -> None:
        """Act on one client message; protocol problems become ERROR frames."""
        if isinstance(message, str):
            return self._error(conn, "bad_frame", frames.TEXT_FRAME_ERROR)
        if not message:
            return self._error(conn, "bad_frame", "empty frame")
        first = message[0]
        if first in (Kind.EVENT, Kind.ERROR):
            return self._error(conn, "unexpected_kind",
                               f"{Kind(first).name} frames are sent by the server, not the client")
        try:
            frame = frames.decode(message)
        except frames.DecodeError as exc:
            return self._error(conn, exc.code, exc.message, _request_id(message))
        if isinstance(frame, frames.Ping):
            if self.answer_pings:
                conn.send(frames.encode(frames.Pong(b"" if "unechoed-ping-body" in self.faults else frame.payload)))
        elif isinstance(frame, frames.Pong):
            conn.missed = 0
            handle = conn.outstanding.pop(frame.payload, None)
            if handle is not None:
                handle.cancel()
        elif isinstance(frame, frames.Subscribe):
            self._subscribe(conn, frame)
        elif isinstance(frame, frames.Unsubscribe):
            self._unsubscribe(conn, frame)

    def _error(self, conn: MockConnection, code: str, message: str, ref: int | None = None) -> None:
        if "wrong-error-code" in self.faults and code == "unknown_kind":
            code = "bad_frame"
        if "no-error-ref" in self.faults:
            ref = None
        conn.send(frames.encode(frames.Error(code, message, ref)))

    def _subscribe(self, conn: MockConnection, req: frames.Subscribe) -> None:
        problem = topic_error(req.topic)
        if not problem and "short-topics" in self.faults and len(req.topic) >= limits.MAX_TOPIC_LENGTH:
            problem = "topic is too long"
        if problem:
            return self._error(conn, "invalid_topic", problem, req.id)
        try:
            flt = compile_filter(req.filter)
        except FilterError as exc:
            where = f" at position {exc.position}" if exc.position is not None else ""
            return self._error(conn, "invalid_filter", f"filter does not parse: {exc.message}{where}", req.id)
        existing = req.topic in conn.subscriptions
        if not existing and len(conn.subscriptions) >= self.config.max_subscriptions:
            return self._error(conn, "subscription_limit",
                               f"at most {self.config.max_subscriptions} subscriptions per connection", req.id)
        topic = self._topic(req.topic)
        if not (existing and "filter-not-replaced" in self.faults):
            conn.subscriptions[req.topic] = flt
        topic.changed()
        conn.cancel_timer("idle")
        # The sync tells the subscriber its (new) filter is active; only a new member is a join.
        if not existing:
            topic.subscribers[conn] = None
        if "no-presence-sync" not in self.faults:
            self._presence_to(conn, topic, {"action": "sync", "members": topic.members()})
        if not existing:
            self._presence_others(topic, conn, "join", conn.member)
        self._notify("subscribe", conn)

    def _unsubscribe(self, conn: MockConnection, req: frames.Unsubscribe) -> None:
        problem = topic_error(req.topic)
        if problem:
            return self._error(conn, "invalid_topic", problem, req.id)
        if req.topic not in conn.subscriptions:
            return self._error(conn, "not_subscribed", f"not subscribed to {req.topic!r}", req.id)
        self._leave(conn, req.topic)
        if not conn.subscriptions:
            self._arm_idle(conn)
        self._notify("unsubscribe", conn)

    def _leave(self, conn: MockConnection, name: str) -> None:
        conn.subscriptions.pop(name, None)
        topic = self._topics.get(name)
        if topic is None or conn not in topic.subscribers:
            return
        del topic.subscribers[conn]
        topic.changed()
        if "no-leave" not in self.faults:
            self._presence_others(topic, conn, "leave", conn.member)

    # ------------------------------------------------------------ presence

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(name)
        return topic

    def _presence_frame(self, topic: _Topic, data: dict[str, Any]) -> bytes:
        return frames.encode(frames.Event(topic.name, "presence", _now_ms(), data))

    def _presence_to(self, conn: MockConnection, topic: _Topic, data: dict[str, Any]) -> None:
        conn.send(self._presence_frame(topic, data))

    def _presence_others(self, topic: _Topic, conn: MockConnection | None, action: str, member: str) -> None:
        others = [c for c in topic.subscribers if c is not conn]
        if not others:
            return
        frame = self._presence_frame(topic, {"action": action, "member": member,
                                             "members": len(topic.subscribers) + len(topic.virtual)})
        for other in others:
            other.send(frame)

    def add_member(self, topic: str) -> str:
        """Add a simulated member to ``topic``; subscribers get a join. Returns its member id."""
        _check_topic(topic)
        t = self._topic(topic)
        member = self._new_member_id()
        t.virtual[member] = None
        self._presence_others(t, None, "join", member)
        return member

    def remove_member(self, topic: str, member: str) -> bool:
        """Remove a simulated member; subscribers get a leave. False when it was not there."""
        t = self._topics.get(topic)
        if t is None or member not in t.virtual:
            return False
        del t.virtual[member]
        self._member_ids.discard(member)
        self._presence_others(t, None, "leave", member)
        return True

    def members(self, topic: str) -> list[str]:
        t = self._topics.get(topic)
        return t.members() if t is not None else []

    # ------------------------------------------------------------ publishing

    def publish(self, topic: str, data: Any) -> tuple[int, int]:
        """Publish a message event; returns (connections it was delivered to, its seq).

        Raises ValueError for an invalid topic or data that is not JSON.
        """
        t = self._topics.get(topic)
        if t is None:
            _check_topic(topic)
            t = self._topic(topic)
        # The body, not only the bytes: filters run against it.
        body = frames.event_body(topic, "message", _now_ms(), data, t.seq + 1)
        try:
            frame = frames.encode_event_body(body)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValueError(f"data is not JSON: {exc}") from None
        t.seq += 1
        return self._deliver_message(t, body, frame), t.seq

    def deliver_event(self, body: dict[str, Any]) -> int:
        """Deliver a ready-made EVENT body (e.g. from a recording) as it is, keeping seq and ts.

        Message events go through subscribers' filters; presence events go to every subscriber.
        """
        if not isinstance(body, dict):
            raise ValueError("an EVENT body must be a JSON object")
        name = _check_topic(body.get("topic"))
        try:
            frame = frames.encode_event_body(body)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ValueError(f"body is not JSON: {exc}") from None
        t = self._topic(name)
        seq = body.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and seq > t.seq:
            t.seq = seq
        if body.get("type") == "presence":
            n = 0
            for conn in t.subscribers:
                n += conn.send(frame)
            return n
        return self._deliver_message(t, body, frame)

    def _deliver_message(self, t: _Topic, body: dict[str, Any], frame: bytes) -> int:
        delivered = 0
        for flt, conns in t.groups():
            if flt is not None and not flt.matches(body):
                continue
            for conn in conns:
                delivered += conn.send(frame)
        return delivered

    async def wait_drained(self, topic: str | None = None) -> None:
        """Wait until no subscriber (of ``topic``, or any) has a backlog over its high-water mark."""
        conns = list(self._topics[topic].subscribers) if topic in self._topics else (
            [] if topic is not None else list(self._conns))
        for conn in conns:
            if not conn.closing:
                await conn.wait_drained()

    # ------------------------------------------------------------ closes and faults

    async def close_all(self, code: int, reason: str) -> int:
        """Close every realtime connection with ``code``/``reason``; returns how many."""
        conns = [c for c in self._conns if not c.closing]
        if conns:
            await asyncio.gather(*(c.close(code, reason) for c in conns), return_exceptions=True)
        return len(conns)

    async def expire_tokens(self) -> int:
        return await self.close_all(closecodes.AUTH_EXPIRED, "token expired")

    async def internal_error(self) -> int:
        return await self.close_all(closecodes.INTERNAL_ERROR, "internal error")

    # ------------------------------------------------------------ demo

    def start_demo(self) -> None:
        if self._demo is None:
            self._demo = Demo(self)
            self._demo.start()

    def stop_demo(self) -> None:
        if self._demo is not None:
            self._demo.stop()
            self._demo = None

    @property
    def demo_running(self) -> bool:
        return self._demo is not None

    # ------------------------------------------------------------ observation

    def _conn_info(self, conn: MockConnection) -> dict[str, Any]:
        return {
            "member": conn.member,
            "token": conn.token_label,
            "subscriptions": {name: (flt.expression if flt else "") for name, flt in conn.subscriptions.items()},
            "frames_in": conn.frames_in,
            "frames_out": conn.frames_out,
            "queued": conn.queued,
            "connected_for": round(conn.loop.time() - conn.connected_at, 3),
            "close_code": conn.close_code,
            "close_reason": conn.close_reason,
        }

    def _notify(self, event: str, conn: MockConnection) -> None:
        if not self.listeners:
            return
        info = self._conn_info(conn)
        for listener in list(self.listeners):
            try:
                listener(event, info)
            except Exception:
                log.exception("mock server listener failed")

    def stats(self) -> dict[str, Any]:
        """Counts for the control channel and the UI; tokens appear only as labels."""
        conns = list(self._conns)
        topics = {name: t for name, t in self._topics.items() if t.subscribers or t.virtual}
        return {
            "connections": len(conns),
            "subscriptions": sum(len(c.subscriptions) for c in conns),
            "topics": len(topics),
            "members": sum(len(t.subscribers) + len(t.virtual) for t in topics.values()),
            "frames_in": self._frames_in + sum(c.frames_in for c in conns),
            "frames_out": self._frames_out_closed + sum(c.frames_out for c in conns),
            "control_connections": len(self._controls),
            "demo": self.demo_running,
            "per_topic": {name: {"subscribers": len(t.subscribers), "members": len(t.subscribers) + len(t.virtual),
                                 "seq": t.seq} for name, t in sorted(topics.items())},
            "per_connection": [self._conn_info(c) for c in conns],
        }


def _guarded(conn: MockConnection, fn: Callable[..., Any], *args: Any) -> Callable[[], None]:
    """A timer callback whose unexpected failure closes the connection with an internal error."""
    def run() -> None:
        try:
            fn(conn, *args)
        except Exception:
            log.exception("internal error in a timer of %s", conn.member)
            conn.close_soon(closecodes.INTERNAL_ERROR, "internal error")
    return run


def _check_topic(topic: object) -> str:
    """``topic`` itself when it is a valid topic name; ValueError otherwise."""
    problem = topic_error(topic)
    if problem is not None or not isinstance(topic, str):  # the second only narrows the type
        raise ValueError(f"invalid topic: {problem}")
    return topic


def _request_id(message: bytes) -> int | None:
    """The ``id`` of a malformed SUBSCRIBE/UNSUBSCRIBE when it can still be read, for ERROR ``ref``."""
    if message[0] not in (Kind.SUBSCRIBE, Kind.UNSUBSCRIBE):
        return None
    try:
        obj = frames.decode_json_object(message[1:])
    except frames.DecodeError:
        return None
    ident = obj.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool) and 0 <= ident <= limits.MAX_REQUEST_ID:
        return ident
    return None
