"""LogPanel.ingest_frames: a connection tab's batches reach the log as frames one by one would."""

from __future__ import annotations

from framegen import event

from inspector.protocol.events import State, StateChanged
from inspector.qt.log.panel import LogPanel


def test_batches_are_stored_in_order_by_the_flush_timer(qtbot):
    p = LogPanel(flush_ms=5)
    qtbot.addWidget(p)
    frames = [event(seq=i + 1) for i in range(300)]
    p.ingest_frames(frames[:120])
    p.ingest_frames([])
    p.ingest_frames(frames[120:])
    assert p.pending_count == 300 and p.frame_count() == 0  # nothing stored per call
    qtbot.waitUntil(lambda: p.model.rowCount() == 300, timeout=3000)
    assert [p.store.seq(r) for r in range(len(p.store))] == list(range(1, 301))


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_first_frames_after_a_quiet_spell_show_at_once_then_one_flush_per_interval(qtbot):
    """A long flush interval: the first frames after a quiet spell still come on the next turn of
    the event loop (the first live frame of a start is not held back); frames right after that
    flush wait for the interval."""
    clock = _Clock()
    p = LogPanel(flush_ms=60_000, clock=clock)
    qtbot.addWidget(p)
    clock.now += 61  # a quiet minute since the table last followed the store
    p.ingest_frames([event(seq=1), event(seq=2)])
    qtbot.waitUntil(lambda: p.model.rowCount() == 2, timeout=3000)
    p.ingest_frames([event(seq=3)])  # no time has passed since that flush
    assert p._flush_timer.isActive() and p._flush_timer.remainingTime() > 30_000
    assert p.model.rowCount() == 2


def test_a_logs_first_frames_show_at_once_even_right_after_a_connection_row(qtbot):
    """The connection's rows (connecting, open) came just before: the first frames do not wait for
    the flush interval all the same; the next ones do."""
    clock = _Clock()
    p = LogPanel(flush_ms=60_000, clock=clock)
    qtbot.addWidget(p)
    clock.now += 61
    p.ingest(StateChanged("c1", clock.now, State.OPEN))
    qtbot.waitUntil(lambda: p.model.rowCount() == 1, timeout=3000)
    p.ingest_frames([event(seq=1)])  # no time has passed since that flush
    qtbot.waitUntil(lambda: p.frame_count() == 1, timeout=3000)
    p.ingest_frames([event(seq=2)])
    assert p._flush_timer.isActive() and p._flush_timer.remainingTime() > 30_000
