"""The listener: each accepted client gets its own upstream connection, its upgrade passed
on, the upstream's answer passed back, and then a Pair forwarding frames both ways."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inspector.proxy.frame_log import FrameLog, PairLog
from inspector.proxy.held import HeldFrames
from inspector.proxy.pair import Pair, Side
from inspector.proxy.rules import PairRules, Rule, RuleBook
from inspector.proxy.tcp_toxics import PairToxics
from inspector.proxy.timing import Timing
from inspector.proxy.toxics import ToxicSet
from inspector.proxy.upgrade import (
    MAX_HEAD,
    BadHead,
    bad_gateway,
    is_upgrade,
    parse_request,
    response,
    upstream_request,
)
from inspector.proxy.upstream import Upstream, UpstreamFailed, open_upstream, read_body, read_response
from inspector.proxy.wire import RawFrame
from inspector.redact import redact_url

OPEN_TIMEOUT = 10.0
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class ProxyConfig:
    upstream: Upstream
    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    strict: bool = False
    rules: list[Rule] = field(default_factory=list)
    emit: Callable[[str], None] | None = None  # one log line at a time; None: no log
    log_factory: Callable[[str, str, str], PairLog] | None = None  # (conn, client, upstream): instead of emit
    as_json: bool = False
    max_frame: int = 64 * 2**20
    on_frame: Callable[[int, bool, RawFrame], None] | None = None  # (pair index, c2s, frame): recording
    timing: Timing | None = None  # the proxy's own time per frame (bench/bench_proxy.py)


class ProxyServer:
    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.pairs: dict[int, Pair] = {}
        self._count = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._handshake_counts: dict[int, Any] = {}
        self.book = RuleBook(config.rules)
        self.toxics = ToxicSet()
        self.held = HeldFrames()
        self.enabled = False
        self._pairs_changed = asyncio.Condition()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def listen(self) -> str:
        host = self.config.host
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    async def start(self) -> None:
        c = self.config
        self._server = await asyncio.start_server(self._accepted, c.host, c.port, ssl=c.ssl_context, limit=MAX_HEAD)
        c.port = self.port  # a restart (enable after disable) listens where this did
        self.enabled = True

    async def disable(self) -> None:
        """Stop listening and end every pair (Toxiproxy's enabled=false)."""
        if self.enabled:
            await self.close()
            self.enabled = False

    def toxics_changed(self) -> None:
        for pair in list(self.pairs.values()):
            pair.toxics_changed()

    async def close(self) -> None:
        """Stop listening and end every pair (abruptly: the proxy is going away)."""
        self.enabled = False
        if self._server is not None:
            self._server.close()
        for pair in list(self.pairs.values()):
            pair.close(abrupt=True)
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def wait_pairs(self, at_most: int = 0) -> None:
        """Until no more than ``at_most`` pairs are open."""
        async with self._pairs_changed:
            await self._pairs_changed.wait_for(lambda: len(self.pairs) <= at_most)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(next(self._count), reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # close() ends the handlers; the stream's callback must not see it
            pass
        finally:
            self._handlers.discard(task)
            if not writer.transport.is_closing():
                writer.transport.abort()

    def _log(self, index: int, peer: str) -> PairLog | None:
        c = self.config
        if c.log_factory is not None:
            return c.log_factory(str(index), peer, c.upstream.host_header)
        if c.emit is None:
            return None
        return FrameLog(str(index), peer, c.upstream.host_header, c.as_json, c.emit)

    async def _serve(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        c = self.config
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        log = self._log(index, peer)
        rules = PairRules(self.book, index, self._handshake_counts)
        fault = rules.handshake()
        if fault is not None and fault.action.name == "refuse":
            _note(log, "refused", rule=fault.text)
            writer.transport.abort()
            return
        try:
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), OPEN_TIMEOUT)
            request = parse_request(raw[:-4])
        except (BadHead, asyncio.LimitOverrunError, TimeoutError) as exc:
            _answer(writer, response(400, {"error": "bad_request", "message": str(exc) or "no request head"}))
            return
        if not is_upgrade(request):
            _answer(writer, response(400, {"error": "bad_request", "message": "not a WebSocket upgrade"}))
            return
        _note(log, "upgrade", path=redact_url(request.target))
        if fault is not None:
            _note(log, "handshake_fault", rule=fault.text)
            _answer(writer, _fault_answer(fault, request.get("Sec-WebSocket-Key") or ""))
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(open_upstream(c.upstream), OPEN_TIMEOUT)
        except (UpstreamFailed, TimeoutError) as exc:
            message = str(exc) or f"timed out connecting to {c.upstream.host_header}"
            _note(log, "upstream_failed", message=message)
            _answer(writer, bad_gateway(message))
            return
        try:
            options = c.upstream.options
            up_writer.write(upstream_request(request, c.upstream.host_header, options.headers, options.origin,
                                             options.subprotocols))
            try:
                head, head_bytes = await asyncio.wait_for(read_response(up_reader), OPEN_TIMEOUT)
            except (UpstreamFailed, TimeoutError) as exc:
                _answer(writer, bad_gateway(str(exc) or "timed out waiting for the upstream's answer"))
                return
            if head.status != 101:
                _answer(writer, head_bytes + await read_body(up_reader, head))
                _note(log, "upstream_refused", status=head.status)
                return
            writer.write(head_bytes)
            _note(log, "open")
            pair = Pair(index, Side("client", reader, writer), Side("server", up_reader, up_writer), log, rules,
                        c.strict, c.max_frame, _bind(c.on_frame, index), PairToxics(self.toxics), c.timing)
            pair.on_hold = self.held.park
            self.pairs[index] = pair
            try:
                await pair.run()
            finally:
                del self.pairs[index]
                discarded = self.held.discard_pair(pair)
                if discarded:
                    _note(log, "held_discarded", frames=discarded)
                async with self._pairs_changed:
                    self._pairs_changed.notify_all()
                _note(log, "closed", frames_c2s=pair.frames[True], frames_s2c=pair.frames[False],
                      seconds=round(time.monotonic() - pair.opened, 3))
        finally:
            if not up_writer.transport.is_closing():
                up_writer.transport.abort()


def _answer(writer: asyncio.StreamWriter, data: bytes) -> None:
    """The proxy's own answer to the upgrade; the connection ends once it is sent."""
    writer.write(data)
    writer.close()


def _bind(on_frame: Callable[[int, bool, RawFrame], None] | None,
          index: int) -> Callable[[bool, RawFrame], None] | None:
    if on_frame is None:
        return None
    return lambda c2s, frame: on_frame(index, c2s, frame)


def _note(log: PairLog | None, event: str, **fields: Any) -> None:
    if log is not None:
        log.note(event, **fields)


def _fault_answer(rule: Rule, key: str) -> bytes:
    action = rule.action
    if action.name == "status":
        return response(action.code, {"error": "proxy_fault", "message": action.reason or "refused by a rule"})
    accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()

