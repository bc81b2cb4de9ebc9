"""The session writer's file writes, done by one thread of their own.

Nearly all that writing a session costs the app is the ``write`` calls themselves (the
kernel copying the bytes): ``SinkThread`` takes them off the caller's thread. A
``ThreadSink`` wraps a writer's file: ``write`` queues the bytes (the buffers themselves,
kept alive by the queue) and returns at once; the thread writes every queued part of
every file of the writer in the order given, so an index entry never reaches its file
before the batch it names. ``truncate`` and ``close`` wait for the writes queued before them.

A failed write (a full disk) stops every later write; ``error`` holds it, and the next
``write`` raises it, so the session writer stops and cuts its files back as it does for a
failure of its own. A cut never lengthens a file: it goes back no further than the bytes
that were written. A kill -9 loses what is queued, which the thread writes as it comes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the writer's module loads pyarrow
    from inspector.logstore.session_store.writer import Sink


class SinkThread:
    def __init__(self, name: str = "session-store-writes") -> None:
        self.error: OSError | None = None
        self._queue: queue.SimpleQueue[tuple[Callable[[], None], threading.Event | None] | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, done = item
            try:
                fn()
            except OSError as exc:
                if self.error is None:
                    self.error = exc
            except Exception as exc:  # noqa: BLE001 - a bug must not leave a waiter hanging: it stops the writes
                if self.error is None:
                    self.error = OSError(f"internal error: {type(exc).__name__}: {exc}")
            finally:
                if done is not None:
                    done.set()

    def post(self, fn: Callable[[], None]) -> None:
        self._queue.put((fn, None))

    def wait_for(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the thread after everything queued before it, and wait."""
        done = threading.Event()
        self._queue.put((fn, done))
        done.wait()

    def stop(self) -> None:
        """Finish the queued work and end the thread."""
        self._queue.put(None)
        self._thread.join()

    def opener(self, inner: Callable[[Any], Sink]) -> Callable[[Any], Sink]:
        """An opener for ``SessionWriter``: ``inner``'s files, written by this thread."""
        return lambda path: ThreadSink(inner(path), self)


class ThreadSink:
    def __init__(self, sink: Sink, thread: SinkThread) -> None:
        self._sink = sink
        self._thread = thread
        self.written = 0  # bytes the thread has written to this file

    def write(self, data: bytes | memoryview, /) -> int:
        if self._thread.error is not None:
            raise self._thread.error
        view = memoryview(data).cast("B")
        self._thread.post(lambda: self._write_all(view))
        return view.nbytes

    def _write_all(self, view: memoryview) -> None:
        if self._thread.error is not None:
            return  # nothing after a failed write: the files end where the failure left them
        while view:
            n = self._sink.write(view)
            if not n:
                raise OSError(f"short write ({len(view)} bytes not written)")
            self.written += n
            view = view[n:]

    def truncate(self, size: int, /) -> int:
        self._thread.wait_for(lambda: self._truncate(size))
        return size

    def _truncate(self, size: int) -> None:
        self._sink.truncate(min(size, self.written))
        self.written = min(size, self.written)

    def close(self) -> None:
        self._thread.wait_for(self._sink.close)
