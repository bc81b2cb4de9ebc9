"""One test connection to the server under test: every message it sends or receives goes into
the case's Traffic, and the expectations turn a mismatch into CaseFailed naming the frame."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from inspector.conformance.harness_text import connect_failure
from inspector.conformance.traffic import CaseFailed, HarnessError, Traffic, describe_frame
from inspector.protocol import closecodes
from inspector.protocol.events import State
from inspector.protocol.frames import (
    DecodeError,
    Error,
    Event,
    Frame,
    Ping,
    Pong,
    Subscribe,
    Unsubscribe,
    encode,
    try_decode,
)
from inspector.protocol.urls import dial
from inspector.redact import redacting_logger

WS_LOG = redacting_logger("inspector.conformance.websockets")


@dataclass
class Target:
    """Where and how to connect: the URL, the token value, its transport and TLS."""

    url: str
    token: str
    auth: str = "header"  # or "query"
    ssl: ssl.SSLContext | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 3.0  # how long an expected answer may take

    def dial(self, token: str | None = None, auth: str | None = None) -> tuple[str, list[tuple[str, str]]]:
        """URL and headers of an upgrade carrying ``token`` (the target's by default; "" for none)."""
        url, auth_headers = dial(self.url, self.token if token is None else token, auth or self.auth)
        return url, list(self.headers) + auth_headers


@dataclass
class Received:
    index: int  # the frame's number in the case's recording
    data: bytes | str
    frame: Frame | DecodeError | None

    @property
    def text(self) -> str:
        return describe_frame(self.data)


class Closed(Exception):
    def __init__(self, code: int | None, reason: str, index: int | None = None):
        super().__init__(f"closed with {code}")
        self.code, self.reason, self.index = code, reason, index


class Probe:
    """A websockets client connection (no library keepalive, no size limit) that logs every message."""

    def __init__(self, target: Target, traffic: Traffic, conn: str, ws: ClientConnection):
        self.target, self.traffic, self.conn, self.ws = target, traffic, conn, ws
        self.answer_pings = True
        self.closed: Closed | None = None

    @classmethod
    async def open(cls, target: Target, traffic: Traffic, conn: str = "c1", token: str | None = None,
                   auth: str | None = None) -> Probe:
        url, headers = target.dial(token, auth)
        traffic.state(conn, State.CONNECTING)
        try:
            ws = await connect(url, additional_headers=headers, ping_interval=None, compression=None,
                               max_size=None, max_queue=None, open_timeout=10, close_timeout=2,
                               ssl=target.ssl if url.startswith("wss:") else None, logger=WS_LOG, proxy=None)
        except InvalidStatus as exc:
            status = exc.response.status_code
            traffic.state(conn, State.STOPPED, http_status=status, message=f"upgrade refused with HTTP {status}")
            raise HarnessError(f"the server refused the upgrade with HTTP {status} "
                               "(is the token accepted?)") from None
        except (TimeoutError, OSError) as exc:
            line = connect_failure(url, exc)
            traffic.state(conn, State.STOPPED, message=f"connect failed: {line}")
            raise HarnessError(f"cannot connect: {line}") from None
        traffic.state(conn, State.OPEN)
        return cls(target, traffic, conn, ws)

    # ------------------------------------------------------------ sending

    async def send(self, data: bytes | str) -> int:
        index = self.traffic.sent(self.conn, data)
        try:
            await self.ws.send(data)
        except ConnectionClosed as exc:
            self._closed(exc)
        return index

    async def send_frame(self, frame: Frame) -> int:
        return await self.send(encode(frame))

    async def send_json(self, kind: int, body: dict[str, Any]) -> int:
        return await self.send(bytes((kind,)) + json.dumps(body, separators=(",", ":")).encode())

    # ------------------------------------------------------------ receiving

    def _closed(self, exc: ConnectionClosed) -> Closed:
        if self.closed is None:
            code = exc.rcvd.code if exc.rcvd else closecodes.ABNORMAL
            reason = exc.rcvd.reason if exc.rcvd else ""
            self.traffic.state(self.conn, State.CLOSED, code=code, reason=reason)
            self.closed = Closed(code, reason, self.traffic.frames - 1 if self.traffic.frames else None)
        raise self.closed

    async def recv(self, timeout: float | None = None) -> Received | None:
        """The next message, None after ``timeout``; Closed when the server closed the connection.
        Server PINGs are answered (unless ``answer_pings`` is off) and passed on like any message."""
        try:
            data = await asyncio.wait_for(self.ws.recv(), self.target.timeout if timeout is None else timeout)
        except TimeoutError:
            return None
        except ConnectionClosed as exc:
            self._closed(exc)
            raise  # not reached: _closed raises
        index = self.traffic.received(self.conn, data)
        frame = None if isinstance(data, str) else try_decode(data)
        if isinstance(frame, Ping) and self.answer_pings:
            await self.send_frame(Pong(frame.payload))
        return Received(index, data, frame)

    async def expect(self, rule: str, what: str, match: Callable[[Received], bool],
                     skip: Callable[[Received], bool] | None = None, timeout: float | None = None) -> Received:
        """The next message that is not skipped (server PINGs always are) must match, in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.target.timeout if timeout is None else timeout)
        while True:
            try:
                got = await self.recv(max(0.0, deadline - loop.time()))
            except Closed as closed:
                raise CaseFailed(rule, "the server closed the connection", what,
                                 f"close {closed.code} {closed.reason!r}".strip(), closed.index) from None
            if got is None:
                raise CaseFailed(rule, f"nothing arrived within {self.target.timeout:g} s", what, "nothing")
            if match(got):
                return got
            if isinstance(got.frame, Ping) or (skip is not None and skip(got)):
                continue
            raise CaseFailed(rule, "wrong answer", what, got.text, got.index)

    async def expect_error(self, rule: str, code: str, ref: int | None) -> Received:
        what = f"ERROR {code} (ref {'null' if ref is None else ref})"
        got = await self.expect(rule, what, lambda r: isinstance(r.frame, Error) and r.frame.code == code)
        assert isinstance(got.frame, Error)
        if got.frame.ref != ref:
            raise CaseFailed("RT-FRAME-4", "the ERROR's ref is not the request's id", f"ref {_js(ref)}",
                             f"ref {_js(got.frame.ref)}", got.index)
        await self.still_open()
        return got

    async def still_open(self) -> None:
        """An ERROR leaves the connection open: a PING must still be answered (whether the
        body is echoed is the ping-echo cases' business)."""
        await self.send_frame(Ping(b"open?"))
        await self.expect("RT-ERR-1", "a PONG (the connection stays open)", lambda r: isinstance(r.frame, Pong))

    async def subscribe(self, topic: str, filter: str | None = None, id: int | None = None,
                        skip_presence_of_others: bool = True, rule: str = "RT-PRES-1") -> Event:
        """SUBSCRIBE and wait for the presence sync that confirms it (RT-PRES-1)."""
        await self.send_frame(Subscribe(topic, filter, id))
        got = await self.expect(rule, f"a presence sync for {topic!r}", lambda r: _is_sync(r, topic),
                                skip=(lambda r: _is_presence(r) and not _is_sync(r, topic))
                                if skip_presence_of_others else None)
        assert isinstance(got.frame, Event)
        return got.frame

    async def unsubscribe(self, topic: str, id: int | None = None) -> int:
        return await self.send_frame(Unsubscribe(topic, id))

    async def wait_close(self, timeout: float) -> Closed | None:
        """Read until the server closes (answering PINGs); None when it did not within ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while loop.time() < deadline:
                await self.recv(max(0.0, deadline - loop.time()))
        except Closed as closed:
            return closed
        return None

    async def close(self) -> None:
        if self.closed is None:
            try:
                await self.ws.close()
            finally:
                self.traffic.state(self.conn, State.CLOSED, code=closecodes.NORMAL)
                self.closed = Closed(closecodes.NORMAL, "")

    async def abort(self) -> None:
        """Close without waiting on the server (used during cleanup)."""
        if self.closed is None:
            self.closed = Closed(None, "")
            await self.ws.close()


def _is_presence(r: Received) -> bool:
    return isinstance(r.frame, Event) and r.frame.type == "presence"


def _is_sync(r: Received, topic: str) -> bool:
    f = r.frame
    return (isinstance(f, Event) and f.type == "presence" and f.topic == topic
            and isinstance(f.data, dict) and f.data.get("action") == "sync")


def _js(value: object) -> str:
    return json.dumps(value)
