"""Run a store scan (``logstore.store_scan.match_chunks``, or any callable giving such chunks)
on the GUI thread in time slices, without holding the window still.

Each turn of the event loop takes chunks for about ``SLICE_S`` and then gives the loop back
(a zero-interval single-shot timer), so the longest stall is one slice plus one chunk; a chunk
whose text is still being searched on the scan's own threads is not waited for (``scan_pace``):
the loop is given back and the scan asked again a millisecond later. The loop,
not a worker thread: the session reader a scan reads is the one the log view reads too, and it
is not made for two threads (bench/bench_store_scan.py measures the GUI thread's stalls both
ways). Results arrive as ``found`` chunks, in row order, so a view can show them as they come;
``cancel`` stops it between two chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QTimer, Signal

from inspector.logstore import scan_pace
from inspector.logstore.scan_pace import Pace
from inspector.logstore.session_store.errors import StoreError

if TYPE_CHECKING:  # the scan itself loads pyarrow: only when a store is read
    from inspector.logstore.store_scan import Chunk, MatchChunks

BEHIND_MS = 1  # when the scan's next chunk is still being searched on its threads: asked again this soon
SLICE_S = 0.004  # the GUI thread's time per turn, as the log's own slices: a 60 Hz frame holds it and a chunk


class ScanJob(QObject):
    progress = Signal(int, int)   # rows done, rows in all
    found = Signal(object)        # a chunk's matching rows: an int64 numpy array, ascending
    finished = Signal(bool)       # True: every row scanned; False: cancelled, replaced or failed
    failed = Signal(str)          # one line: the store could not be read (then finished(False))

    def __init__(self, parent: QObject | None = None, slice_s: float = SLICE_S,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(parent)
        self.slice_s = slice_s  # a test sets 0: one chunk a turn
        self._clock = clock
        self._chunks: Iterator[Chunk] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self.done = 0
        self.total = 0

    @property
    def running(self) -> bool:
        return self._chunks is not None

    def start(self, scan: MatchChunks) -> None:
        """Run ``scan()`` (a new iterator of chunks), cancelling the scan running now."""
        self.cancel()
        self._chunks = scan()
        self.done = self.total = 0
        self._timer.start(0)

    def cancel(self) -> None:
        """Stop between two chunks: nothing more is found; ``finished(False)``."""
        if self._chunks is not None:
            self._end(False)

    def _step(self) -> None:
        chunks = self._chunks
        if chunks is None:
            return
        t0 = self._clock()
        shown = (self.done, self.total)
        ended = False
        found: list[npt.NDArray[np.int64]] = []
        pace = Pace()  # a chunk searched ahead on another thread and not ready is not waited for here
        token = scan_pace.current.set(pace)
        try:
            while True:
                done, total, rows = next(chunks)
                if pace.behind:  # no rows, no progress: the scan is asked again soon
                    break
                self.done, self.total = done, total
                if len(rows):
                    found.append(rows)
                if self._clock() - t0 >= self.slice_s:
                    break
        except StopIteration:
            ended = True
        except StoreError as exc:  # a damaged block: say so, keep what was found before it
            self._emit_found(found)
            self.failed.emit(str(exc))
            self._end(False)
            return
        finally:
            scan_pace.current.reset(token)
        self._emit_found(found)
        if (self.done, self.total) != shown:
            self.progress.emit(self.done, self.total)
        if self._chunks is not chunks:  # cancelled or replaced by a slot of the signals above
            return
        if ended:
            self._chunks = None
            self.finished.emit(True)
        else:
            self._timer.start(BEHIND_MS if pace.behind else 0)

    def _emit_found(self, found: list[npt.NDArray[np.int64]]) -> None:
        if found:
            self.found.emit(np.concatenate(found) if len(found) > 1 else found[0])

    def _end(self, complete: bool) -> None:
        self._timer.stop()
        chunks, self._chunks = self._chunks, None
        if isinstance(chunks, Generator):
            chunks.close()  # it lets go of what it holds (the store's blocks) now
        self.finished.emit(complete)
