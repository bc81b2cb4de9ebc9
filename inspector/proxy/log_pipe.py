"""The proxy's log written by a child process (``log_sink``): making a ``--json`` line per
frame costs several times what forwarding it does, so the proxy only hands each frame's
bytes over, one pickled batch per read, written to the child's stdin by the event loop
itself (non-blocking, no thread)."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import sys
import time
from typing import Any

from inspector.proxy.checks import Violation
from inspector.proxy.wire import RawFrame

LENGTH = 4  # bytes of the big-endian length before each pickled batch
BACKLOG = 32 * 2**20  # bytes handed over and not yet written past which the proxy waits for the log


class LogPipe:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._batch: list[tuple[Any, ...]] = []
        assert proc.stdin is not None
        self._stdin = proc.stdin
        self._stdin.transport.set_write_buffer_limits(high=BACKLOG)

    @classmethod
    async def start(cls, as_json: bool) -> LogPipe:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "inspector.proxy.log_sink",
                                                    "--json" if as_json else "--text", stdin=asyncio.subprocess.PIPE)
        return cls(proc)

    def pair(self, conn: str, client: str, upstream: str) -> PipedLog:
        return PipedLog(self, conn, client, upstream)

    def add(self, record: tuple[Any, ...]) -> None:
        self._batch.append(record)

    def flush(self) -> None:
        if self._batch and not self._stdin.is_closing():
            data = pickle.dumps(self._batch, protocol=pickle.HIGHEST_PROTOCOL)
            self._stdin.write(len(data).to_bytes(LENGTH, "big") + data)
        self._batch = []

    async def caught_up(self) -> None:
        """Until the log process has taken most of what it was handed (a flood must not fill memory)."""
        if self._stdin.transport.get_write_buffer_size() > BACKLOG:
            with contextlib.suppress(ConnectionError):
                await self._stdin.drain()

    async def close(self) -> None:
        """Everything handed over is written; the log process ends at EOF."""
        self.flush()
        with contextlib.suppress(ConnectionError):
            await self._stdin.drain()
        self._stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class PipedLog:
    """One pair's log through the pipe (the PairLog of frame_log)."""

    def __init__(self, pipe: LogPipe, conn: str, client: str, upstream: str) -> None:
        self.pipe = pipe
        self.head = (conn, client, upstream)

    def note(self, event: str, t: float | None = None, **fields: Any) -> None:
        self.pipe.add(("n", *self.head, time.time() if t is None else t, event, fields))
        self.pipe.flush()

    def frame(self, c2s: bool, frame: RawFrame, violation: Violation | None = None, action: str | None = None,
              t: float | None = None) -> None:
        self.pipe.add(("f", *self.head, time.time() if t is None else t, c2s, frame.opcode, frame.payload, frame.fin,
                       frame.rsv, frame.masked, None if violation is None else (violation.code, violation.reason),
                       action))

    def flush(self) -> None:
        self.pipe.flush()

    async def caught_up(self) -> None:
        await self.pipe.caught_up()
