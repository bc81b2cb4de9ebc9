"""LogPanel.ingest_frames: a connection tab's batches reach the log as frames one by one would."""

from __future__ import annotations

from framegen import event

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
