"""What the log's EVENT rows mean under a contract and decoders, worked out off the GUI thread.

Readings (``payloads.lens``) are made on one worker thread: first for the rows the view
shows (asked for by the model as it paints them), then, a chunk per tick, for every other
row, so the per-topic violation counts cover the whole log. Ingest never waits for any of
it. Each row's reading is made once and counted once; the newest ``READINGS_KEPT`` readings
with something to show are kept (the rows asked for last stay), and a row whose reading was
given up is read again when it is shown (not counted again). A decoder that raises or hangs gives that
row an error line (the lens' guard) and the app goes on.

Each connection has its own lens (its profile's contract and decoders): a row is read with
the lens of its connection, or with the lens for every connection (an opened recording's),
and a connection without one is left alone. Violations are counted per connection.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor

from inspector.protocol.kinds import Kind

if TYPE_CHECKING:  # log_rows loads when a session store backs the log, not at start-up; the lens
    from inspector.logstore.log_rows import Rows  # with the first contract or decoders (a view's)
    from inspector.payloads.lens import Lens, Reading

VIOLATION_BACKGROUND = QColor(190, 24, 93, 80)
DECODE_ERROR_BACKGROUND = QColor(217, 119, 6, 80)
SCAN_EVERY_MS = 100
SCAN_CHUNK = 2000      # rows looked at per tick
QUEUE_LOW = 500        # the scan adds work only while the worker is nearly idle
READINGS_KEPT = 65_536  # readings kept: many screens of rows, a few MB, however long the log
_STOP = None
EVERY = None  # the lens of every connection's rows
# (generation, frame number, the lens for its row, the frame's bytes), or _STOP
_Job: TypeAlias = "tuple[int, int, Lens, bytes] | None"


@dataclass(frozen=True)
class Trouble:
    """A connection's decoders failed on a frame (the first failure of that chain)."""

    conn: str
    topic: str
    decoders: str
    error: str

    def line(self) -> str:
        return f"decoders {self.decoders} failed on {self.topic}: {self.error} (each failing row is marked)"

    def text(self) -> str:
        return f"{self.conn}: {self.line()}"


def _work(jobs: queue.SimpleQueue[_Job], done: Callable[[int, int, Reading], object]) -> None:
    while True:
        job = jobs.get()
        if job is _STOP:
            return
        generation, number, lens, data = job
        try:
            reading = lens.read(data)
        except Exception as exc:  # noqa: BLE001 - a reading that fails is that row's, never the app's
            from inspector.payloads.decoders import Outcome
            from inspector.payloads.lens import Reading
            reading = Reading(Outcome("?", error=f"cannot read this frame: {exc}"))
        done(generation, number, reading)


class PayloadView(QObject):
    readingReady = Signal(int, int, object)   # generation, frame number, Reading (from the worker, queued)
    readingShown = Signal(int, object)         # frame number, Reading: a row whose reading is now known
    countsChanged = Signal()
    troubled = Signal(object)                  # Trouble: a connection's decoders fail

    def __init__(self, store: Rows, lens: Lens, parent: QObject | None = None, conn: str | None = EVERY):
        super().__init__(parent)
        from inspector.payloads.lens import NOTHING  # a view comes with a lens: loaded by now
        self._nothing = NOTHING
        self.store = store
        self.lenses: dict[str | None, Lens] = {conn: lens}
        self._retired: list[Lens] = []  # replaced lenses, closed with the view (a job may still use one)
        # rows with something to show (and rows read ahead of the scan), the ones used last at the end
        self.readings: dict[int, Reading] = {}
        self._given_up = 0  # the newest number whose reading was dropped: any row to it may be read again
        self._again: set[int] = set()  # rows being read again: counted already
        self._ahead: set[int] = set()  # rows read (and counted) ahead of the scan, which skips them
        self.checked = 0
        self.violations: Counter[str] = Counter()  # per topic, every connection's
        self.conn_violations: dict[str, Counter[str]] = {}  # per connection, per topic
        self._troubled: set[tuple[str, str]] = set()  # (connection, decoders) already reported
        self._asked: set[int] = set()
        self._scan_at = store.first_number
        self._generation = 0  # readings asked for before a reset are for other frames
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(target=_work, args=(self._jobs, self.readingReady.emit),
                                        name="payload-readings", daemon=True)
        self._thread.start()
        self.readingReady.connect(self._keep)
        self._timer = QTimer(self)
        self._timer.setInterval(SCAN_EVERY_MS)
        self._timer.timeout.connect(self.scan)
        self._timer.start()

    def close(self) -> None:
        self._timer.stop()
        self._jobs.put(_STOP)
        self._thread.join(2.0)
        for lens in [*self.lenses.values(), *self._retired]:
            lens.close()

    def set_lens(self, conn: str | None, lens: Lens | None) -> None:
        """Read ``conn``'s rows (EVERY: every connection's) with ``lens`` (None: no more)."""
        old = self.lenses.pop(conn, None)
        if old is not None:
            self._retired.append(old)
        if lens is not None:
            self.lenses[conn] = lens
        self.reset()  # rows read before are read again with the lenses now in force

    def lens_for(self, conn: str) -> Lens | None:
        found = self.lenses.get(conn)
        return found if found is not None else self.lenses.get(EVERY)

    # ------------------------------------------------------------ asking

    def reading(self, number: int) -> Reading | None:
        """The row's reading, or None while it is being made (asked for now if it was not)."""
        found = self.readings.get(number)
        if found is not None:
            self.readings[number] = self.readings.pop(number)  # used last: kept longest
        elif number not in self._asked:
            if number < self._scan_at and number > self._given_up:  # the scan read it: nothing to show
                return self._nothing
            if number < self._scan_at and self._ask(number):  # read before, given up since
                self._again.add(number)
            elif number >= self._scan_at:
                self._ask(number)
        return found

    def _ask(self, number: int) -> bool:
        i = self.store.index_of(number)
        if i is None or self.store.kind(i) != Kind.EVENT:
            return False
        lens = self.lens_for(self.store.conn(i))
        if lens is None:  # a connection without a contract or decoders
            return False
        self._asked.add(number)
        self._jobs.put((self._generation, number, lens, self.store.data(i)))
        return True

    def scan(self) -> None:
        """Queue the next chunk of rows nobody has looked at yet."""
        if len(self._asked) > QUEUE_LOW:
            return
        first = self.store.first_number
        if self.readings and next(iter(self.readings)) < first - SCAN_CHUNK:  # rows the store dropped
            self.readings = {n: r for n, r in self.readings.items() if n >= first}
            self._ahead = {n for n in self._ahead if n >= first}
        start = max(self._scan_at, self.store.first_number)
        end = min(self.store.end_number, start + SCAN_CHUNK)
        for number in range(start, end):
            if number in self._ahead:
                self._ahead.discard(number)
            elif number not in self.readings and number not in self._asked:
                self._ask(number)
        self._scan_at = end

    @property
    def busy(self) -> bool:
        return bool(self._asked) or self._scan_at < self.store.end_number

    # ------------------------------------------------------------ results

    def reset(self) -> None:
        """After the store was cleared: numbers start again."""
        self._generation += 1
        self.readings.clear()
        self._given_up = 0
        self._again.clear()
        self._ahead.clear()
        self.checked = 0
        self._asked.clear()
        self.violations.clear()
        self.conn_violations.clear()
        self._scan_at = self.store.first_number
        self.countsChanged.emit()

    def _keep(self, generation: int, number: int, reading: Reading) -> None:
        if generation != self._generation:
            return
        self._asked.discard(number)
        if number < self.store.first_number:
            self._again.discard(number)
            return
        again = number in self._again or number in self._ahead
        if reading is not self._nothing or number >= self._scan_at or again:
            self._remember(number, reading)
        if again:  # read again after it was given up: counted the first time
            self._again.discard(number)
            self.readingShown.emit(number, reading)
            return
        self.checked += 1
        if number >= self._scan_at:
            self._ahead.add(number)
        self.readingShown.emit(number, reading)
        if reading.violation is None and (reading.outcome is None or reading.outcome.error is None):
            return
        i = self.store.index_of(number)
        conn, topic = (self.store.conn(i), self.store.topic(i)) if i is not None else ("?", "?")
        if reading.violation is not None:
            self.violations[topic] += 1
            self.conn_violations.setdefault(conn, Counter())[topic] += 1
            self.countsChanged.emit()
        outcome = reading.outcome
        if outcome is not None and outcome.error is not None and (conn, outcome.decoders) not in self._troubled:
            self._troubled.add((conn, outcome.decoders))
            self.troubled.emit(Trouble(conn, topic, outcome.decoders, outcome.error))

    def _remember(self, number: int, reading: Reading) -> None:
        self.readings[number] = reading
        while len(self.readings) > READINGS_KEPT:  # the one used longest ago goes
            gone = next(iter(self.readings))
            del self.readings[gone]
            self._given_up = max(self._given_up, gone)

    def counts_text(self) -> str:
        """Each connection's violations: "c2: 12 contract violations (orders.eu 10, …)"."""
        parts = []
        for conn, counts in sorted(self.conn_violations.items()):
            total = sum(counts.values())
            each = ", ".join(f"{t} {n:,}" for t, n in counts.most_common(3))
            more = " …" if len(counts) > 3 else ""
            parts.append(f"{conn}: {total:,} contract violation{'s' if total != 1 else ''} ({each}{more})")
        return " · ".join(parts)

    def decorate(self, number: int, summary: str, background: QColor | None) -> tuple[str, QColor | None]:
        """A row's summary and background with its reading: the decoder's summary, a violation marked."""
        reading = self.reading(number)
        if reading is None:
            return summary, background
        if reading.outcome is not None:
            o = reading.outcome
            if o.error is not None:
                summary, background = f"⚠ {o.error} · {summary}", background or DECODE_ERROR_BACKGROUND
            else:
                summary = f"{o.summary}"
        if reading.violation is not None:
            v = reading.violation
            summary = f"✗ {v.pointer or '/'} {v.rule} · {summary}"
            background = VIOLATION_BACKGROUND
        return summary, background
