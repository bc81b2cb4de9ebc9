"""The proxy's log written by a child process (``log_sink``): making a ``--json`` line per
frame costs several times what forwarding it does, so the proxy only hands each frame's
bytes over, pickled in batches written to the child's stdin by the event loop itself
(non-blocking, no thread).

When the log process falls behind (a flood), the batches wait in a queue of their own and
go to the pipe's transport a little at a time: its buffer is one bytearray that is copied
whole as it grows, which would cost the forwarding more than the log does.

A batch is handed over at most every ``HAND_OVER_EVERY`` seconds (or once it is large),
not after each read: each hand-over wakes the log process, and on a busy machine those
wake-ups take the CPU the forwarding needs, which shows as latency."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import sys
import time
from collections import deque
from typing import IO, Any

from inspector.proxy.checks import Violation
from inspector.proxy.wire import RawFrame

LENGTH = 4  # bytes of the big-endian length before each pickled batch
BACKLOG = 32 * 2**20  # bytes handed over and not yet written past which the proxy waits for the log
IN_TRANSPORT = 2**20  # bytes the pipe's transport buffers; more waits in LogPipe's queue
HAND_OVER_EVERY = 0.005  # seconds a record may wait in the proxy before it goes to the log process
LARGE_BATCH = 2048  # frames (and notes): handed over at once


class LogPipe:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._batch: list[tuple[Any, ...] | list[Any]] = []
        self._frames = 0  # records and frames of runs in the batch
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()
        assert proc.stdin is not None
        self._stdin = proc.stdin
        self._stdin.transport.set_write_buffer_limits(high=IN_TRANSPORT)
        self._queue: deque[bytes] = deque()
        self._queued = 0  # bytes in _queue
        self._feeder: asyncio.Task[None] | None = None
        self._room = asyncio.Event()

    @classmethod
    async def start(cls, as_json: bool, stdout: int | IO[Any] | None = None) -> LogPipe:
        """The log process, printing to ``stdout`` (None: the proxy's own)."""
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "inspector.proxy.log_sink",
                                                    "--json" if as_json else "--text", stdin=asyncio.subprocess.PIPE,
                                                    stdout=stdout)
        return cls(proc)

    @property
    def waiting(self) -> int:
        """Bytes handed over that wait in the proxy for the log process to take them."""
        return self._queued

    def pair(self, conn: str, client: str, upstream: str) -> PipedLog:
        return PipedLog(self, conn, client, upstream)

    def add(self, record: tuple[Any, ...] | list[Any]) -> None:
        self._batch.append(record)
        self._frames += 1

    def extend(self, run: list[Any], payload: bytes) -> bool:
        """Add a frame's payload to ``run``, when that is still the last record of the batch."""
        if not self._batch or self._batch[-1] is not run:
            return False
        run.append(payload)
        self._frames += 1
        return True

    def flush(self) -> None:
        """Hand the batch over soon (at once when it is large)."""
        if self._frames >= LARGE_BATCH:
            self.hand_over()
        elif self._batch and self._timer is None:
            self._timer = self._loop.call_later(HAND_OVER_EVERY, self.hand_over)

    def hand_over(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._batch and not self._stdin.is_closing():
            data = pickle.dumps(self._batch, protocol=pickle.HIGHEST_PROTOCOL)
            self._send(len(data).to_bytes(LENGTH, "big") + data)
        self._batch = []
        self._frames = 0

    def _send(self, data: bytes) -> None:
        if self._feeder is None and self._stdin.transport.get_write_buffer_size() < IN_TRANSPORT:
            self._stdin.write(data)
            return
        self._queue.append(data)
        self._queued += len(data)
        if self._feeder is None:
            self._feeder = self._loop.create_task(self._feed())

    async def _feed(self) -> None:
        """Move the queue into the transport as the log process takes it."""
        try:
            while self._queue:
                await self._stdin.drain()
                data = self._queue.popleft()
                self._queued -= len(data)
                if self._queued <= BACKLOG:
                    self._room.set()
                self._stdin.write(data)
        except ConnectionError:  # the log process is gone: nothing more can reach it
            self._queue.clear()
            self._queued = 0
        finally:
            self._room.set()
            self._feeder = None

    async def caught_up(self) -> None:
        """Until the log process has taken most of what it was handed (a flood must not fill memory)."""
        while self._queued > BACKLOG and self._feeder is not None:
            self._room.clear()
            await self._room.wait()

    async def close(self) -> None:
        """Everything handed over is written; the log process ends at EOF."""
        self.hand_over()
        if self._feeder is not None:
            await self._feeder
        with contextlib.suppress(ConnectionError):
            await self._stdin.drain()
        self._stdin.close()
        try:
            async with asyncio.timeout(30):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class PipedLog:
    """One pair's log through the pipe (the PairLog of frame_log).

    The frames a flood is made of (whole binary frames, nothing to say about them) that one
    read brings go as one record, their payloads after its head, with one time: the read's.
    Handing a frame over then costs a list's append, on both sides of the pipe."""

    def __init__(self, pipe: LogPipe, conn: str, client: str, upstream: str) -> None:
        self.pipe = pipe
        self.head = (conn, client, upstream)
        self._run: list[Any] | None = None  # ["p", conn, client, upstream, t, c2s, payload...]

    def note(self, event: str, t: float | None = None, **fields: Any) -> None:
        self.pipe.add(("n", *self.head, time.time() if t is None else t, event, fields))
        self.pipe.flush()

    def frame(self, c2s: bool, frame: RawFrame, violation: Violation | None = None, action: str | None = None,
              t: float | None = None) -> None:
        if violation is None and action is None and t is None and frame.opcode == 0x2 and frame.fin and not frame.rsv:
            run = self._run
            if run is None or run[5] is not c2s or not self.pipe.extend(run, frame.payload):
                self._run = ["p", *self.head, time.time(), c2s, frame.payload]
                self.pipe.add(self._run)
            return
        self.pipe.add(("f", *self.head, time.time() if t is None else t, c2s, frame.opcode, frame.payload, frame.fin,
                       frame.rsv, frame.masked, None if violation is None else (violation.code, violation.reason),
                       action))

    def flush(self) -> None:
        """The read is done: its frames are handed over soon; the next read's start a record of their own."""
        self._run = None
        self.pipe.flush()

    async def caught_up(self) -> None:
        await self.pipe.caught_up()
