"""The log moves a flood into the store in slices, with the event loop's turn between them.

The panel's clocks are injected (its wall clock, and the GUI thread's time: one fake clock for
both, as for a thread that is busy all the time): each slice's cost is what a flush hook adds to
it, and a paint's what a painter adds, so the slice sizes and how often the table follows follow
from the figures here, never from how fast this machine is."""

from __future__ import annotations

import itertools

import pytest
from framegen import event
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTableView

from inspector.protocol.events import State, StateChanged
from inspector.qt.log.panel import (
    BUSY,
    FIRST_SLICE,
    MAX_SLICE,
    MAX_SYNC_GAP,
    MIN_SLICE,
    PAINT_SHARE,
    SLICE_S,
    LogPanel,
    next_slice_size,
)

COST = 2.0 ** -20  # seconds a frame, as the fake clock counts


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked(qtbot):
    clock = Clock()
    p = LogPanel(flush_ms=5, clock=clock, cpu_clock=clock)
    qtbot.addWidget(p)
    p.resize(800, 400)
    p.show()
    qtbot.waitExposed(p)
    batches: list[tuple[int, bool]] = []

    def hook(batch, stored) -> None:
        batches.append((len(batch), stored))
        clock.now += len(batch) * COST
    p.add_flush_hook(hook)
    return p, clock, batches


def test_a_flood_is_stored_in_timed_slices_with_event_loop_turns_between(clocked, qtbot):
    p, _clock, batches = clocked
    turns = [0]
    seen_at: list[int] = []
    p.add_flush_hook(lambda batch, stored: seen_at.append(turns[0]))
    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    ticker.start()
    for i in range(20_000):
        p.ingest(event(seq=i + 1))
    qtbot.waitUntil(lambda: p.pending_count == 0, timeout=10_000)
    ticker.stop()
    sizes = [n for n, _ in batches]
    steady = next_slice_size(FIRST_SLICE, FIRST_SLICE * COST)
    assert steady == int(SLICE_S / COST)
    assert sizes[0] == FIRST_SLICE and set(sizes[1:-1]) == {steady} and sizes[-1] <= steady
    assert sum(sizes) == 20_000 and all(stored for _, stored in batches)
    assert all(a < b for a, b in itertools.pairwise(seen_at))  # the loop ran between slices
    assert p.frame_count() == 20_000 and p.model.rowCount() == 20_000


def test_the_table_follows_at_most_once_a_flush_interval_while_slices_run(clocked, qtbot):
    p, clock, batches = clocked
    inserts: list[tuple[int, float]] = []
    p.model.rowsInserted.connect(lambda _parent, _first, last: inserts.append((last + 1, clock.now)))
    for i in range(30_000):
        p.ingest(event(seq=i + 1))
    qtbot.waitUntil(lambda: p.pending_count == 0, timeout=10_000)
    assert len(batches) > len(inserts) > 1
    assert inserts[-1][0] == 30_000  # the last slice brings the table up to date
    times = [t for _, t in inserts]
    assert all(b - a >= 0.005 for a, b in itertools.pairwise(times[:-1]))


def paint_costs(monkeypatch, clock: Clock, seconds: float) -> None:
    """Every paint of the table takes ``seconds`` of the thread, as ``clock`` counts (the
    table's own painting, which LogView times)."""
    real = QTableView.paintEvent

    def paint(view, event):
        real(view, event)
        clock.now += seconds
    monkeypatch.setattr(QTableView, "paintEvent", paint)


def shown_panel(qtbot, clock: Clock, cpu: Clock) -> LogPanel:
    p = LogPanel(flush_ms=5, clock=clock, cpu_clock=cpu)
    qtbot.addWidget(p)
    p.resize(800, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.mark.parametrize("paint", [0.002, 0.010, 0.030, 1.0])
def test_a_busy_thread_spends_at_most_its_share_on_following_the_flood(qtbot, monkeypatch, paint):
    clock = Clock()  # one clock for both: a thread busy all the time
    paint_costs(monkeypatch, clock, paint)
    p = shown_panel(qtbot, clock, clock)
    inserts: list[float] = []
    p.model.rowsInserted.connect(lambda *_: inserts.append(clock.now))
    sent = 0
    for _ in range(40):  # a flood in bursts, each burst stored at once
        for _ in range(500):
            sent += 1
            p.ingest(event(seq=sent))
        shown = len(inserts)
        qtbot.waitUntil(lambda: p.pending_count == 0, timeout=10_000)
        assert p.frame_count() == sent  # stored at once, whatever the table shows
        if len(inserts) > shown:
            p.view.viewport().repaint()  # the paint that follows a sync, as the event loop would
        clock.now += 0.005  # the thread busy receiving the next burst
    clock.now += MAX_SYNC_GAP
    qtbot.waitUntil(lambda: p.model.rowCount() == sent, timeout=10_000)  # the last rows shown once the gap is up
    gaps = [b - a for a, b in itertools.pairwise(inserts[1:-1])]  # the first sync has no paint to go by
    least = min(MAX_SYNC_GAP, max(0.005, paint / PAINT_SHARE))
    assert min(gaps, default=least) >= least * 0.9
    assert 2 <= len(inserts) <= (clock.now - 100.0) / least + 3


@pytest.mark.parametrize("paint", [0.002, 0.010])
def test_a_thread_given_half_a_core_spends_at_most_its_share_of_its_own_time_on_following(qtbot, monkeypatch,
                                                                                         paint):
    """The machine's neighbours leave the busy GUI thread half a core: its thread time runs at half
    the wall clock's pace. Painting the table still takes at most PAINT_SHARE of the time the
    thread gets (not of the wall clock's: that would be twice the share of the thread's time)."""
    clock = Clock()

    def cpu() -> float:
        return 100.0 + (clock.now - 100.0) / 2

    real = QTableView.paintEvent
    paints = [0]

    def painting(view, ev):  # ``paint`` of the thread's time: twice that of the wall clock
        real(view, ev)
        paints[0] += 1
        clock.now += 2 * paint
    monkeypatch.setattr(QTableView, "paintEvent", painting)
    p = shown_panel(qtbot, clock, cpu)
    start, shown = cpu(), p.model.rowCount()
    sent = 0
    while cpu() - start < 30 * paint / PAINT_SHARE:  # some thirty syncs at the share
        for _ in range(50):
            sent += 1
            p.ingest(event(seq=sent))
        qtbot.waitUntil(lambda: p.pending_count == 0, timeout=10_000)
        if p.model.rowCount() > shown:
            shown = p.model.rowCount()
            p.view.viewport().repaint()  # the paint that follows a sync, as the event loop would
        clock.now += paint  # receiving the next burst, at half a core
    assert paints[0] * paint <= PAINT_SHARE * (cpu() - start) * 1.1


def test_an_idle_thread_follows_at_the_flush_interval_however_costly_the_paint(qtbot):
    clock, cpu = Clock(), Clock()  # the thread's time stands still but for painting: it waits for frames
    p = shown_panel(qtbot, clock, cpu)
    syncs = []
    p.model.rowsInserted.connect(lambda *_: syncs.append(clock.now))
    for i in range(20):
        p.ingest(event(seq=i + 1))
        p.flush_slice()
        p.view.painted += 0.020  # the paint that follows, as LogView counts it (a gap of 0.2 s if busy)
        cpu.now += 0.020
        clock.now += 0.1  # a frame now and then
    assert BUSY > 0.020 / 0.1
    assert len(syncs) == 20  # each frame shown as its slice is in


def test_flush_takes_every_pending_frame_at_once(clocked):
    p, _clock, batches = clocked
    for i in range(5000):
        p.ingest(event(seq=i + 1))
    p.flush_slice()
    assert batches == [(FIRST_SLICE, True)] and p.pending_count == 5000 - FIRST_SLICE
    p.flush()
    assert batches[1] == (5000 - FIRST_SLICE, True) and p.pending_count == 0
    assert p.model.rowCount() == 5000 and not p._slice_timer.isActive()


def test_clear_between_slices_drops_the_rest_unstored(clocked):
    p, _clock, batches = clocked
    for i in range(5000):
        p.ingest(event(seq=i + 1))
    p.flush_slice()
    p.clear()
    assert batches == [(FIRST_SLICE, True), (5000 - FIRST_SLICE, False)]
    assert p.frame_count() == 0 and p.model.rowCount() == 0 and not p._slice_timer.isActive()


def test_slice_size_follows_the_measured_cost():
    assert next_slice_size(1000, 0.002) == 2000
    assert next_slice_size(1000, 1.0) == MIN_SLICE
    assert next_slice_size(1000, 0.0) == MAX_SLICE


def test_the_first_frames_show_at_once_after_a_busy_start_set_a_long_gap(qtbot):
    """Start-up keeps the thread busy and the window's first paint is counted: the connection's row
    sets the longest gap; the first frames are shown all the same, as their slice is in."""
    clock = Clock()  # one clock for both: a thread busy all the time
    p = shown_panel(qtbot, clock, clock)
    p.view.painted += 1.0  # the window's first paint, as LogView counts it
    clock.now += 1.0
    p.ingest(StateChanged("c1", clock.now, State.CONNECTING))
    p.flush_slice()
    assert p.model.rowCount() == 1 and p._sync_gap == MAX_SYNC_GAP
    clock.now += 0.001
    p.ingest_frames([event(seq=1), event(seq=2)])
    p.flush_slice()
    assert p.frame_count() == 2 and p.model.rowCount() == 3  # shown, not held back for the gap
