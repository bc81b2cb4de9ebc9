"""A scripted Realtime server for ``check-client``: one per case, driven by the case step by step.

Built on websockets' Sans-I/O ServerProtocol over asyncio streams, so a case can do what a
well-behaved server never does: answer 401 at will, close with any code, or drop the TCP
connection without a close frame. It answers SUBSCRIBE with a presence sync, echoes PINGs,
and logs every frame (from the client's point of view: the client's frames are "out").
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.protocol import State as ProtoState
from websockets.server import ServerProtocol

from inspector.conformance.traffic import Traffic
from inspector.mock import http as mock_http
from inspector.protocol.events import IN, OUT, State
from inspector.protocol.frames import Event, Ping, Pong, Subscribe, Unsubscribe, encode, try_decode
from inspector.protocol.limits import MAX_MESSAGE_SIZE


@dataclass
class Attempt:
    """One upgrade request of the client."""

    at: float  # loop time when the request arrived
    token: str | None
    conn: ScriptedConn | None = None  # None when it was refused


@dataclass
class ScriptedConn:
    server: ScriptedServer
    name: str
    proto: ServerProtocol
    writer: asyncio.StreamWriter
    opened_at: float
    subscriptions: dict[str, str] = field(default_factory=dict)  # topic -> filter ("" for none)
    last_subscribe: float | None = None
    pongs: list[tuple[float, bytes, int]] = field(default_factory=list)  # (time, body, frame index)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_sent_at: float | None = None

    def _flush(self) -> None:
        for chunk in self.proto.data_to_send():
            if chunk:
                self.writer.write(chunk)
            else:  # websockets asks to half-close once the closing handshake is done
                if self.writer.can_write_eof():
                    self.writer.write_eof()

    def send(self, data: bytes) -> int | None:
        if self.proto.state is not ProtoState.OPEN:  # closing: the frame could not be sent
            return None
        index = self.server.traffic.frame(self.name, IN, data)
        self.proto.send_binary(data)
        self._flush()
        return index

    def ping(self, body: bytes) -> int | None:
        return self.send(encode(Ping(body)))

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame; the connection ends when the client answers (or soon after)."""
        self.close_sent_at = self.server.now()
        self.server.traffic.state(self.name, State.CLOSED, code=code, reason=reason)
        self.proto.send_close(code, reason)
        self._flush()
        asyncio.get_running_loop().call_later(2.0, self._abort)

    def drop(self) -> None:
        """End the TCP connection without a close frame (the client sees 1006)."""
        self.close_sent_at = self.server.now()
        self.server.traffic.state(self.name, State.CLOSED, code=1006, reason="dropped by the test server")
        self._abort()

    def _abort(self) -> None:
        if not self.writer.is_closing():
            self.writer.transport.abort()
        self.closed.set()


class ScriptedServer:
    def __init__(self, traffic: Traffic, refuse: int = 0):
        self.traffic = traffic
        self.refuse = refuse  # answer this many upgrade requests with 401 invalid_token
        self.attempts: list[Attempt] = []
        self.changed = asyncio.Event()  # set on every new attempt, subscription or pong
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @staticmethod
    def now() -> float:
        return time.monotonic()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{mock_http.REALTIME_PATH}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for attempt in self.attempts:
                if attempt.conn is not None:
                    attempt.conn._abort()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    def _changed(self) -> None:
        self.changed.set()

    async def wait_change(self, timeout: float) -> bool:
        self.changed.clear()
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await self.changed.wait()
            return True
        except TimeoutError:
            return False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._connection(reader, writer)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            if not writer.is_closing():
                writer.transport.abort()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proto = ServerProtocol(max_size=MAX_MESSAGE_SIZE)
        request = None
        while request is None:
            data = await reader.read(65536)
            if not data:
                return
            proto.receive_data(data)
            for ev in proto.events_received():
                if isinstance(ev, Request):
                    request = ev
        name = f"c{len(self.attempts) + 1}"
        attempt = Attempt(self.now(), mock_http.token_from_request(request))
        self.attempts.append(attempt)
        self.traffic.state(name, State.CONNECTING, attempt=len(self.attempts) - 1)
        self._changed()
        if self.refuse > 0:
            self.refuse -= 1
            response = mock_http.unauthorized("invalid_token", mock_http.DOCS_PATH)
            proto.send_response(response)
            self.traffic.state(name, State.STOPPED, http_status=401, http_code="invalid_token")
        else:
            response = proto.accept(request)
            proto.send_response(response)
        for chunk in proto.data_to_send():
            writer.write(chunk)
        if response.status_code != 101:
            await writer.drain()
            writer.close()
            return
        conn = ScriptedConn(self, name, proto, writer, self.now())
        attempt.conn = conn
        self.traffic.state(name, State.OPEN)
        try:
            while not conn.closed.is_set():
                data = await reader.read(65536)
                if not data:
                    proto.receive_eof()
                    break
                proto.receive_data(data)
                for frame in proto.events_received():
                    if isinstance(frame, WsFrame):
                        self._frame(conn, frame.opcode, bytes(frame.data))
                conn._flush()
        finally:
            conn.closed.set()
            self._changed()

    def _frame(self, conn: ScriptedConn, opcode: Opcode, data: bytes) -> None:
        if opcode not in (Opcode.BINARY, Opcode.TEXT):
            return
        text = opcode is Opcode.TEXT
        index = self.traffic.frame(conn.name, OUT, data.decode("utf-8", "replace") if text else data)
        if text:
            return
        frame = try_decode(data)
        if isinstance(frame, Subscribe):
            conn.subscriptions[frame.topic] = frame.filter or ""
            conn.last_subscribe = self.now()
            members = [f"c-{conn.name}"]
            conn.send(encode(Event(frame.topic, "presence", int(time.time() * 1000),
                                   {"action": "sync", "members": members})))
        elif isinstance(frame, Unsubscribe):
            conn.subscriptions.pop(frame.topic, None)
        elif isinstance(frame, Ping):
            conn.send(encode(Pong(frame.payload)))
        elif isinstance(frame, Pong):
            conn.pongs.append((self.now(), frame.payload, index))
        else:
            return
        self._changed()

