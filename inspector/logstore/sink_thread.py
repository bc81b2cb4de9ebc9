"""The session writer's file writes, done by one thread of their own.

Nearly all that writing a session costs the app is the ``write`` calls themselves (the
kernel copying the bytes): ``SinkThread`` takes them off the caller's thread. A
``ThreadSink`` wraps a writer's file: ``write`` queues the bytes (the buffers themselves,
kept alive by the queue) and returns; ``write_gather`` queues a block's rows' bytes not
yet joined (``writer.Gather``), which the thread writes (``write_all``: small rows joined
first, large ones as they are): any copy is the thread's, not the caller's, and a join of a
megabyte or more copies without holding the GIL.
The thread writes every queued part of every file of the writer in the order given, so an
index entry never reaches its file before the batch it names. ``truncate`` and ``close``
wait for the writes queued before them.

The queue is bounded by bytes (``max_bytes``): a ``write`` that would pass the bound waits
until the thread has written enough (back-pressure: the caller goes at the disk's speed,
nothing is dropped, and the memory the queue holds stays bounded). One part larger than
the bound still goes in once the queue is empty. Work the thread queues for itself (a
writer it opens) never waits.

A failed write (a full disk) stops every later write; ``error`` holds it, the next
``write`` raises it, and no caller waits for room any more, so the session writer stops
and cuts its files back as it does for a failure of its own. A cut never lengthens a file:
it goes back no further than the bytes that were written. A kill -9 loses what is queued,
which the thread writes as it comes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the writer's module loads pyarrow
    from inspector.logstore.session_store.writer import Gather, Sink

# Two of the writer's blocks (16 MB each at most): the thread writes one while the caller
# builds the next, so a disk that keeps up never makes the caller wait, and one that does
# not holds the app's memory to this much beyond the ring.
MAX_QUEUED_BYTES = 32 * 1024 * 1024

_Item = tuple[Callable[[], None], threading.Event | None, int]


class SinkThread:
    def __init__(self, name: str = "session-store-writes", max_bytes: int = MAX_QUEUED_BYTES) -> None:
        self.error: OSError | None = None
        self.max_bytes = max_bytes
        self.queued_bytes = 0   # bytes of the writes waiting in the queue
        self.peak_bytes = 0     # the most ever waiting
        self.waits = 0          # writes that waited for room
        self.cpu_seconds = 0.0  # this thread's CPU time in the work queued (the write calls' kernel time too)
        self._items: deque[_Item | None] = deque()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._take()) is not None:
            t = time.thread_time()
            self._do(item)
            self.cpu_seconds += time.thread_time() - t

    def _take(self) -> _Item | None:
        with self._cond:
            while not self._items:
                self._cond.wait()
            return self._items.popleft()

    def _do(self, item: _Item) -> None:
        fn, done, nbytes = item
        try:
            fn()
        except OSError as exc:
            if self.error is None:
                self.error = exc
        except Exception as exc:  # noqa: BLE001 - a bug must not leave a waiter hanging: it stops the writes
            if self.error is None:
                self.error = OSError(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                self.queued_bytes -= nbytes
                self._cond.notify_all()
            if done is not None:
                done.set()

    def _on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def post(self, fn: Callable[[], None], nbytes: int = 0) -> None:
        """Queue ``fn``, which writes ``nbytes``; wait first while that would pass ``max_bytes``
        (never after a failed write, nor on the thread itself)."""
        with self._cond:
            if self.queued_bytes and self.queued_bytes + nbytes > self.max_bytes and not self._on_thread():
                self.waits += 1
                self._cond.wait_for(lambda: not self.queued_bytes or self.queued_bytes + nbytes <= self.max_bytes
                                    or self.error is not None or self._stopped)
            self.queued_bytes += nbytes
            self.peak_bytes = max(self.peak_bytes, self.queued_bytes)
            self._items.append((fn, None, nbytes))
            self._cond.notify_all()

    def wait_for(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the thread after everything queued before it, and wait (on the thread
        itself: run what is queued, then ``fn``; once stopped: nothing is left to wait for)."""
        if self._on_thread():
            while (item := self._pop()) is not None:
                self._do(item)
            self._do((fn, None, 0))
            return
        done = threading.Event()
        with self._cond:
            if self._stopped:
                return
            self._items.append((fn, done, 0))
            self._cond.notify_all()
        done.wait()

    def _pop(self) -> _Item | None:
        with self._cond:
            return self._items.popleft() if self._items and self._items[0] is not None else None

    def stop(self) -> None:
        """Finish the queued work and end the thread (again: nothing to do)."""
        with self._cond:
            if self._stopped:
                return
            self._stopped = True
            self._items.append(None)
            self._cond.notify_all()
        if not self._on_thread():
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
        self._thread.post(lambda: self._write_all(view), view.nbytes)
        if self._thread.error is not None:  # it failed while this write waited for room
            raise self._thread.error
        return view.nbytes

    def write_gather(self, data: Gather, /) -> None:
        """Queue ``data`` to be joined and written by the thread."""
        if self._thread.error is not None:
            raise self._thread.error
        self._thread.post(lambda: self._write_all(data), data.nbytes)
        if self._thread.error is not None:  # it failed while this write waited for room
            raise self._thread.error

    def _write_all(self, data: memoryview | Gather) -> None:
        if self._thread.error is not None:
            return  # nothing after a failed write: the files end where the failure left them
        from inspector.logstore.session_store.writer import write_all  # loaded: the writer made this sink
        write_all(self._sink, data, self._wrote)

    def _wrote(self, n: int) -> None:
        self.written += n

    def truncate(self, size: int, /) -> int:
        self._thread.wait_for(lambda: self._truncate(size))
        return size

    def _truncate(self, size: int) -> None:
        self._sink.truncate(min(size, self.written))
        self.written = min(size, self.written)

    def close(self) -> None:
        self._thread.wait_for(self._sink.close)
