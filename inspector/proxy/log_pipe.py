"""The proxy's log written by a child process (``log_sink``): making a ``--json`` line per
frame costs several times what forwarding it does, so the proxy only hands each frame's
bytes over, a batch per read, and a thread writes them to the pipe without the GIL."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from inspector.proxy.checks import Violation
from inspector.proxy.wire import RawFrame

LENGTH = 4  # bytes of the big-endian length before each pickled batch
BACKLOG = 32 * 2**20  # bytes handed over and not yet written past which the proxy waits for the log


class LogPipe:
    def __init__(self, as_json: bool) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "inspector.proxy.log_sink", "--json" if as_json else
                                      "--text"], stdin=subprocess.PIPE)
        self._batch: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._queued = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._caught_up: asyncio.Event | None = None
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, name="proxy-log-pipe", daemon=True)
        self._thread.start()

    def pair(self, conn: str, client: str, upstream: str) -> PipedLog:
        return PipedLog(self, conn, client, upstream)

    def add(self, record: tuple[Any, ...]) -> None:
        self._batch.append(record)

    def flush(self) -> None:
        if self._batch:
            data = pickle.dumps(self._batch, protocol=pickle.HIGHEST_PROTOCOL)
            self._batch = []
            with self._lock:
                self._queued += len(data)
            self._queue.put(len(data).to_bytes(LENGTH, "big") + data)

    async def caught_up(self) -> None:
        """Until the log process has taken most of what it was handed (a flood must not fill memory)."""
        if self._queued <= BACKLOG:
            return
        if self._caught_up is None:
            self._loop = asyncio.get_running_loop()
            self._caught_up = asyncio.Event()
        self._caught_up.clear()
        while self._queued > BACKLOG // 2 and self._thread.is_alive():
            await self._caught_up.wait()
            self._caught_up.clear()

    def _written(self, size: int) -> None:
        with self._lock:
            self._queued -= size
            wake = self._caught_up is not None and self._queued <= BACKLOG // 2
        if wake and self._loop is not None and self._caught_up is not None:
            self._loop.call_soon_threadsafe(self._caught_up.set)

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while (chunk := self._queue.get()) is not None:
                stdin.write(chunk)
                stdin.flush()
                self._written(len(chunk) - LENGTH)
        except (BrokenPipeError, OSError):
            pass  # the log process is gone (its reader closed): the proxy goes on unlogged
        finally:
            self._written(self._queued)

    def close(self) -> None:
        """Everything handed over is written; the log process ends at EOF."""
        self.flush()
        self._queue.put(None)
        self._thread.join()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
