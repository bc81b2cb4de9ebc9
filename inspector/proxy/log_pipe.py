"""The proxy's log written by a child process (``log_sink``): making a ``--json`` line per
frame costs several times what forwarding it does, so the proxy only hands each frame's
bytes over, a batch per read, and a thread writes them to the pipe without the GIL."""

from __future__ import annotations

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


class LogPipe:
    def __init__(self, as_json: bool) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "inspector.proxy.log_sink", "--json" if as_json else
                                      "--text"], stdin=subprocess.PIPE)
        self._batch: list[tuple[Any, ...]] = []
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
            self._queue.put(len(data).to_bytes(LENGTH, "big") + data)

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while (chunk := self._queue.get()) is not None:
                stdin.write(chunk)
                stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the log process is gone (its reader closed): the proxy goes on unlogged

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
