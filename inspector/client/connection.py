"""One WebSocket connection of the client: our own asyncio Protocol over TCP (or TLS).

websockets' Sans-I/O ``ClientProtocol`` does the opening handshake and frames what we
send (masking included), through its public API only. What the server sends after the
handshake goes to ``FrameParser`` (protocol/wsframes.py): complete data messages are
handed to the client in order, in time slices: when a read completes more messages than
fit in ``SLICE_S``, reading pauses and the rest follow in later turns of the event loop,
so one connection's flood never keeps the loop (the GUI, other connections) waiting.
Connections of one event loop flooded at once share that time: each delivers for
``SLICE_S`` divided by how many of that loop's connections have a backlog, so the loop
waits no longer for several than for one. Loops on other threads keep their own count.
"""

from __future__ import annotations

import asyncio
import enum
import os
import ssl
import time
import weakref
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.datastructures import HeadersLike
from websockets.typing import LoggerLike, Origin, Subprotocol
from websockets.uri import parse_uri

from inspector.client.failures import CertificateRejected
from inspector.client.model import ConnectOptions
from inspector.client.proxy import Proxy, open_tunnel, parse_proxy, proxy_for
from inspector.client.tls import CertInfo, SessionInfo, client_context, describe_cert, probe_context, session_of
from inspector.protocol.closecodes import INTERNAL_ERROR, NO_STATUS
from inspector.protocol.wsframes import (
    CloseReceived,
    FrameParser,
    PingReceived,
    TextMessage,
    WsEvent,
    is_sendable_close_code,
)

# Same bound (and variable) as websockets' own assembler: frames of one message.
MAX_FRAGMENTS = int(os.environ.get("WEBSOCKETS_MAX_FRAGMENTS", "4096"))
CLOSE_TIMEOUT = 10.0  # for the server's side of a close (websockets' default too)
_MAX_HEAD = 64 * 1024  # a response head longer than this is ClientProtocol's to refuse
SLICE_S = 0.002  # delivery time per event-loop turn: several connections still fit in one 60 Hz frame
CHECK_EVERY = 32  # messages between clock reads: the budget check stays off the per-message path

OnMessage = Callable[[bytes, bool], None]  # (message bytes, was a text frame)
OnBatch = Callable[[list[bytes]], None]  # binary messages in order, nothing else between them

# Per event loop, the connections with messages waiting to be delivered: they split that loop's
# slice between them. Keyed weakly by the loop: a connection on another thread's loop takes
# nothing from this one's time.
_backlogged: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[WsConnection]] = weakref.WeakKeyDictionary()


class Phase(enum.Enum):
    HANDSHAKE = "handshake"
    REFUSED = "refused"    # not a 101: ClientProtocol reads the rest of the response
    OPEN = "open"
    CLOSING = "closing"    # a close frame sent; waiting for the server's, or for it to hang up
    CLOSED = "closed"


class Closed(Exception):
    """The connection has ended: the close frames exchanged (code, reason) and any violation."""

    def __init__(self, rcvd: tuple[int, str] | None, sent: tuple[int, str] | None, violation: str | None) -> None:
        super().__init__(violation or f"closed (received {rcvd}, sent {sent})")
        self.rcvd = rcvd
        self.sent = sent
        self.violation = violation


class WsConnection(asyncio.Protocol):
    """The connection, from the first byte of the handshake to the end of the TCP stream.

    Data messages go to the handler given to ``set_handler``; those that arrive before
    it is set are kept and replayed to it. A run of binary messages with nothing else
    between them goes to its batch handler, when it has one, as one list. Server PINGs
    are answered here.
    """

    session: SessionInfo | None = None  # what the opened connection negotiated (TLS, subprotocol, proxy)

    def __init__(self, protocol: ClientProtocol, parser: FrameParser) -> None:
        self.protocol = protocol
        self.parser = parser
        self.phase = Phase.HANDSHAKE
        self.transport: asyncio.Transport | None = None
        # Kept: Qt may deliver a read while the asyncio loop is not the running one.
        loop = self._loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        # A connect cancelled inside create_connection closes the transport before anyone awaits
        # ``opened``: its failure then has no reader, and must not be reported as never retrieved.
        self.opened.add_done_callback(_seen)
        self._closed: asyncio.Future[None] = loop.create_future()
        self._head = bytearray()
        self._early: list[tuple[bytes, bool]] = []
        self._on_message: OnMessage = lambda data, text: self._early.append((data, text))
        self._on_batch: OnBatch | None = None
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self.handler_set = False
        self.handler_error: BaseException | None = None
        self.close_rcvd: tuple[int, str] | None = None
        self.close_sent: tuple[int, str] | None = None
        self.violation: str | None = None
        self.slice_s = SLICE_S
        self.clock: Callable[[], float] = time.perf_counter
        # Events parsed but not yet delivered (reading is paused while there are any).
        self._backlog: list[WsEvent] = []
        self._mixed = False  # the backlog holds events other than binary messages
        self._next = 0
        self._lost = False  # the transport has ended; _closed waits for the backlog
        self._peers = _backlogged.setdefault(loop, set())  # holds self while self has a backlog

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._flush()  # the handshake request

    def data_received(self, data: bytes) -> None:
        if self.phase is Phase.OPEN or self.phase is Phase.CLOSING:
            self._receive(data)
        elif self.phase is Phase.HANDSHAKE:
            self._handshake(data)
        elif self.phase is Phase.REFUSED:
            self.protocol.receive_data(data)
            self._check_refused()

    def eof_received(self) -> bool | None:
        if self.phase is Phase.HANDSHAKE or self.phase is Phase.REFUSED:
            if self._head:
                self.protocol.receive_data(bytes(self._head))
                self._head.clear()
            self.protocol.receive_eof()
            self._check_refused()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.phase = Phase.CLOSED
        self._lost = True
        if self._close_timer is not None:
            self._close_timer.cancel()
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("connection closed during the opening handshake"))
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        if not self._backlog:  # else the reader hears of the end after the last message
            self._set_closed()

    def _set_closed(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # ------------------------------------------------------------ opening handshake

    def _handshake(self, data: bytes) -> None:
        """Feed ClientProtocol the response head only: after a 101 the bytes are frames, ours."""
        head = self._head
        head += data
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > _MAX_HEAD:
                self.phase = Phase.REFUSED
                self.protocol.receive_data(bytes(head))
                head.clear()
                self._check_refused()
            return
        status = bytes(head[:end]).split(b" ", 2)
        if len(status) < 2 or status[1] != b"101":
            self.phase = Phase.REFUSED
            self.protocol.receive_data(bytes(head))
            head.clear()
            self._check_refused()
            return
        rest = bytes(head[end + 4:])
        self.protocol.receive_data(bytes(head[:end + 4]))
        head.clear()
        self.protocol.events_received()
        if self.protocol.handshake_exc is not None:
            self._handshake_failed(self.protocol.handshake_exc)
            return
        self.phase = Phase.OPEN
        self.opened.set_result(None)
        if rest:
            self._receive(rest)

    def _check_refused(self) -> None:
        exc = self.protocol.handshake_exc
        if exc is not None:
            self._handshake_failed(exc)

    def _handshake_failed(self, exc: BaseException) -> None:
        self.phase = Phase.CLOSED
        if not self.opened.done():
            self.opened.set_exception(exc)
        self.protocol.data_to_send()  # an EOF marker: we close the transport instead
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------ receiving

    def set_handler(self, on_message: OnMessage, on_batch: OnBatch | None = None) -> None:
        """``on_message(data, text)`` for every data message; ``on_batch(messages)``, when
        given, instead for runs of binary messages (one call for many)."""
        self._on_message = on_message
        self._on_batch = on_batch
        self.handler_set = True
        early, self._early = self._early, []
        for data, text in early:
            if self.handler_error is not None:
                return
            self._call(data, text)

    def _receive(self, data: bytes) -> None:
        parser = self.parser
        if parser.done:
            return  # after a close or a violation the rest is discarded until the server hangs up
        others = parser.others
        events = parser.feed(data)
        mixed = parser.others != others
        if self._backlog:  # a read that came in while paused: after what is already waiting
            self._backlog += events
            self._mixed |= mixed
            return
        if events:
            self._backlog = events
            self._mixed = mixed
            self._next = 0
            self._deliver()
        elif parser.failure is not None:
            self._fail()

    def _deliver(self) -> None:
        """Deliver backlog messages for about ``slice_s``; then, if any are left, pause
        reading and continue in a later turn of the loop."""
        events = self._backlog
        i, n = self._next, len(events)
        clock = self.clock
        peers = self._peers
        peers.add(self)
        deadline = clock() + self.slice_s / len(peers)
        on_message = self._on_message
        on_batch = None if self._mixed else self._on_batch
        try:
            while i < n:
                chunk = events[i:i + CHECK_EVERY]
                if on_batch is not None:  # binary messages only: one call for the chunk
                    on_batch(chunk)  # type: ignore[arg-type]
                    on_batch, on_message = self._on_batch, self._on_message  # a handler may replace them
                else:
                    for ev in chunk:
                        if type(ev) is bytes:
                            on_message(ev, False)
                        else:
                            self._other(ev)
                            on_message = self._on_message
                i += CHECK_EVERY
                if i < n and clock() >= deadline:
                    break
        except Exception as exc:  # noqa: BLE001 - a bug of ours in the handler: end this connection
            self._handler_failed(exc)
            self._end_backlog()
            return
        if i < n:
            self._next = i
            self._pause()
            self._loop.call_soon(self._deliver)
            return
        if self.parser.failure is not None:  # after every message before it, as the server sent them
            self._fail()
        self._end_backlog()

    def _pause(self) -> None:
        transport = self.transport
        if transport is not None and transport.is_reading():
            transport.pause_reading()

    def _end_backlog(self) -> None:
        self._peers.discard(self)
        self._backlog = []
        self._mixed = False
        self._next = 0
        if self._lost:
            self._set_closed()
        elif self.transport is not None and not self.transport.is_reading():
            self.transport.resume_reading()

    def _fail(self) -> None:
        failure = self.parser.failure
        assert failure is not None
        self.violation = failure.reason
        self._send_close(failure.code, failure.reason)

    def _other(self, ev: WsEvent) -> None:
        if type(ev) is TextMessage:
            self._on_message(ev.data, True)
        elif type(ev) is PingReceived:
            if self.phase is Phase.OPEN or self.phase is Phase.CLOSING:
                self.protocol.send_pong(ev.payload)
                self._flush()
        elif type(ev) is CloseReceived:
            self.close_rcvd = (ev.code, ev.reason)
            if self.parser.failure is None:
                self._server_closed(ev)
        # a PONG answers a PING we never send: nothing to do

    def _server_closed(self, ev: CloseReceived) -> None:
        if self.phase is Phase.OPEN:  # echo it (RFC 6455 5.5.1), then hang up
            if ev.code == NO_STATUS:
                self.protocol.send_close()
            else:
                self.protocol.send_close(ev.code, ev.reason)
            self.close_sent = (ev.code, ev.reason)
            self.phase = Phase.CLOSING
            self._flush()
        if self.transport is not None:
            self.transport.close()

    def _call(self, data: bytes, text: bool) -> None:
        try:
            self._on_message(data, text)
        except Exception as exc:  # noqa: BLE001 - see _receive
            self._handler_failed(exc)

    def _handler_failed(self, exc: Exception) -> None:
        """Stop delivering, close with 1011; the reader re-raises ``exc``."""
        if self.handler_error is None:
            self.handler_error = exc
            self._on_message = _drop
            self._on_batch = None
            self._send_close(INTERNAL_ERROR, "client error")

    # ------------------------------------------------------------ sending and closing

    def send_now(self, data: bytes) -> bool:
        """Send one binary message at once, from synchronous code; False when not open."""
        if self.phase is not Phase.OPEN:
            return False
        self.protocol.send_binary(data)
        self._flush()
        return True

    async def send(self, data: bytes) -> None:
        """Send one binary message; waits while the transport's buffer is full."""
        if not self.send_now(data):
            raise self.close_exc
        if self._paused:
            loop = asyncio.get_running_loop()
            if self._drained is None or self._drained.done():
                self._drained = loop.create_future()
            await self._drained
            if self.phase is Phase.CLOSED:
                raise self.close_exc

    async def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake (if open) and wait until the connection has ended."""
        self._send_close(code, reason)
        await self.wait_closed()

    def _send_close(self, code: int, reason: str) -> None:
        """Send a close frame (once) and give the server CLOSE_TIMEOUT to finish."""
        if self.phase is not Phase.OPEN:
            return
        if not is_sendable_close_code(code):
            code = INTERNAL_ERROR
        reason = _fit_reason(reason)
        self.protocol.send_close(code, reason)
        self.close_sent = (code, reason)
        self.phase = Phase.CLOSING
        self._flush()
        self._close_timer = self._loop.call_later(CLOSE_TIMEOUT, self.abort)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    @property
    def close_exc(self) -> Closed:
        return Closed(self.close_rcvd, self.close_sent, self.violation)

    def _flush(self) -> None:
        data = [chunk for chunk in self.protocol.data_to_send() if chunk]
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.writelines(data)


def _seen(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()


def _drop(data: bytes, text: bool) -> None:
    pass


def _fit_reason(reason: str) -> str:
    """A close reason that fits a control frame (123 bytes of UTF-8 after the code)."""
    raw = reason.encode("utf-8")
    if len(raw) <= 123:
        return reason
    return raw[:123].decode("utf-8", "ignore")


async def open_connection(url: str, *, headers: HeadersLike | None, user_agent: str, max_size: int,
                          logger: LoggerLike, use_proxy: bool, max_fragments: int | None = None,
                          options: ConnectOptions | None = None) -> WsConnection:
    """Connect and complete the opening handshake (the caller bounds the time it takes).

    Raises websockets' InvalidStatus for a response other than 101 (and its other
    InvalidHandshake errors for a bad 101), CertificateRejected when the server's
    certificate fails verification, TlsSetupError for unusable TLS files, ProxyError,
    ssl.SSLError and OSError for the rest (see failures.classify).
    ``use_proxy``: whether the environment's proxy may be used (an explicit one always is).
    """
    options = options or ConnectOptions()
    uri = parse_uri(url)
    protocol = ClientProtocol(uri, max_size=max_size, logger=logger,
                              origin=Origin(options.origin) if options.origin else None,
                              subprotocols=[Subprotocol(name) for name in options.subprotocols] or None)
    request = protocol.connect()
    for name, value in options.headers:
        request.headers[name] = value
    if headers is not None:
        request.headers.update(headers)
    request.headers.setdefault("User-Agent", user_agent)
    ssl_context = client_context(options) if uri.secure else None
    if options.no_proxy:
        proxy = None
    elif options.proxy:
        proxy = parse_proxy(options.proxy, "--proxy")
    else:
        proxy = proxy_for(url) if use_proxy else None
    protocol.send_request(request)
    loop = asyncio.get_running_loop()
    server_hostname = uri.host if ssl_context else None

    def factory() -> WsConnection:
        return WsConnection(protocol, FrameParser(max_size, MAX_FRAGMENTS if max_fragments is None else max_fragments))

    try:
        if proxy is None:
            transport, conn = await loop.create_connection(factory, uri.host, uri.port, ssl=ssl_context,
                                                           server_hostname=server_hostname)
        else:
            sock = await open_tunnel(proxy, uri.host, uri.port)
            transport, conn = await loop.create_connection(factory, sock=sock, ssl=ssl_context,
                                                           server_hostname=server_hostname)
    except ssl.SSLCertVerificationError as exc:
        raise CertificateRejected(exc, await rejected_certificate(uri.host, uri.port, proxy), uri.host) from None
    try:
        await conn.opened
    except BaseException:
        transport.abort()
        raise
    ssl_object = transport.get_extra_info("ssl_object")
    tls = session_of(ssl_object, ssl_context, options) if ssl_object is not None and ssl_context else None
    conn.session = SessionInfo(tls=tls, subprotocol=protocol.subprotocol,
                               proxy=f"{proxy.host}:{proxy.port}" if proxy is not None else None)
    return conn


async def rejected_certificate(host: str, port: int, proxy: Proxy | None) -> CertInfo | None:
    """Read the certificate that failed verification, to name it (no request is sent)."""
    loop = asyncio.get_running_loop()
    try:
        if proxy is None:
            transport, _ = await loop.create_connection(asyncio.Protocol, host, port, ssl=probe_context(),
                                                        server_hostname=host)
        else:
            sock = await open_tunnel(proxy, host, port)
            transport, _ = await loop.create_connection(asyncio.Protocol, sock=sock, ssl=probe_context(),
                                                        server_hostname=host)
    except (OSError, ssl.SSLError):
        return None
    try:
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return describe_cert(der) if der else None
    finally:
        transport.abort()
