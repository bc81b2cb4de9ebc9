"""One realtime connection on the mock server: outgoing queue, writer task, liveness timers.

Outgoing frames go through a per-connection queue drained by one writer task, so a
publisher never awaits a client. The queue is bounded in bytes: a client that falls
further behind than ``max_queue_bytes`` is closed with 1008 ``slow consumer`` (a quota,
like the others in the 1008 family) instead of letting memory grow without end.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from inspector.protocol import closecodes
from inspector.protocol.limits import SERVER_PING_BODY_SIZE

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from inspector.protocol.filters import CompiledFilter

log = logging.getLogger("inspector.mock")

# The writer hands this many queued frames to the socket per wake-up.
_BATCH = 256


class MockConnection:
    """State of one accepted realtime connection (never holds the token itself)."""

    def __init__(self, ws: ServerConnection, member: str, token_label: str, *,
                 max_queue_bytes: int, on_close: Callable[[int, str], Any] | None = None):
        self.ws = ws
        self.member = member
        self.token_label = token_label
        self.loop = asyncio.get_running_loop()
        self.connected_at = self.loop.time()
        self.subscriptions: dict[str, CompiledFilter | None] = {}
        self.filter_text: dict[str, str] = {}
        self.frames_in = 0
        self.frames_out = 0
        self.bytes_out = 0
        self.closing = False
        self.close_code: int | None = None
        self.close_reason = ""
        # liveness
        self.last_recv = self.connected_at
        self.last_ping = float("-inf")
        self.outstanding: dict[bytes, asyncio.TimerHandle] = {}
        self.missed = 0
        # outgoing queue: (enqueue time, frame bytes)
        self._queue: deque[tuple[float, bytes]] = deque()
        self._queued_bytes = 0
        self._max_queue_bytes = max_queue_bytes
        self._wake = asyncio.Event()
        self._below_high = asyncio.Event()
        self._below_high.set()
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[bool]] = set()
        self._writer: asyncio.Task[None] | None = None
        self.latency_of: Callable[[], float] = lambda: 0.0

    # ------------------------------------------------------------ sending

    def start_writer(self) -> None:
        self._writer = self.loop.create_task(self._write_loop(), name=f"mock-writer-{self.member}")

    def send(self, frame: bytes) -> bool:
        """Queue one frame; False when the connection is closing or was dropped as too slow."""
        if self.closing:
            return False
        self._queue.append((self.loop.time(), frame))
        self._queued_bytes += len(frame)
        if self._queued_bytes > self._max_queue_bytes:
            self.drop_queue()
            self.close_soon(closecodes.POLICY_VIOLATION, "slow consumer")
            return False
        if self._queued_bytes > self._max_queue_bytes // 4:
            self._below_high.clear()
        self._wake.set()
        return True

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def wait_drained(self) -> None:
        """Wait until the queue is back under a quarter of its bound (publisher backpressure)."""
        await self._below_high.wait()

    def drop_queue(self) -> None:
        self._queue.clear()
        self._queued_bytes = 0
        self._below_high.set()

    async def _write_loop(self) -> None:
        queue = self._queue
        try:
            while True:
                if not queue:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                latency = self.latency_of()
                if latency > 0:
                    due = queue[0][0] + latency - self.loop.time()
                    if due > 0:
                        await asyncio.sleep(due)
                        continue
                    cutoff = self.loop.time() - latency
                else:
                    cutoff = float("inf")
                batch: list[bytes] = []
                size = 0
                while queue and len(batch) < _BATCH and queue[0][0] <= cutoff:
                    frame = queue.popleft()[1]
                    batch.append(frame)
                    size += len(frame)
                self._queued_bytes -= size
                if not self._below_high.is_set() and self._queued_bytes <= self._max_queue_bytes // 4:
                    self._below_high.set()
                await self._send_batch(batch)
                self.frames_out += len(batch)
                self.bytes_out += size
        except ConnectionClosed:
            pass
        except Exception:
            log.exception("writer of %s failed", self.member)
            self.close_soon(closecodes.INTERNAL_ERROR, "internal error")
        finally:
            self.drop_queue()

    async def _send_batch(self, batch: list[bytes]) -> None:
        """Frame a batch through the Sans-I/O protocol and hand it to the socket in one write.

        Per-frame ``ws.send`` costs a context switch and a syscall per frame; this keeps
        websockets' framing and state checks but pays them once per batch.
        """
        ws = self.ws
        async with ws.send_context():
            protocol = ws.protocol
            for frame in batch:
                protocol.send_binary(frame)
            ws.transport.writelines(protocol.data_to_send())

    # ------------------------------------------------------------ timers

    def set_timer(self, name: str, delay: float, callback: Callable[[], Any]) -> None:
        self.cancel_timer(name)
        self._handles[name] = self.loop.call_later(max(0.0, delay), callback)

    def cancel_timer(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def new_ping_body(self) -> bytes:
        while True:
            body = os.urandom(SERVER_PING_BODY_SIZE)
            if body not in self.outstanding:
                return body

    # ------------------------------------------------------------ closing

    def close_soon(self, code: int, reason: str) -> asyncio.Task[bool] | None:
        """Start closing with ``code``/``reason`` in the background; idempotent."""
        if self.closing:
            return None
        task = self.loop.create_task(self.close(code, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self, code: int, reason: str) -> bool:
        """Close the WebSocket; True when this call started the close."""
        if self.closing:
            return False
        self.closing = True
        self.close_code, self.close_reason = code, reason
        self.drop_queue()
        self.shutdown_timers()
        if self._writer is not None:
            self._writer.cancel()
        try:
            await self.ws.close(code, reason)
        except Exception:
            log.debug("close of %s failed", self.member, exc_info=True)
        return True

    def shutdown_timers(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for handle in self.outstanding.values():
            handle.cancel()
        self.outstanding.clear()

    def finish(self) -> None:
        """Release everything once the connection is gone."""
        self.closing = True
        self.shutdown_timers()
        self.drop_queue()
        if self._writer is not None:
            self._writer.cancel()
