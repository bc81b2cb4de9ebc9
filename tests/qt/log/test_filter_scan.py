"""A filter change over a log too big to filter at once: the filter bar's fields run through the
scan (progress, Cancel), rows appear as they are found, in order, and live rows keep coming
exactly once. Real panels, a real session folder written by the real live session; the
expected rows are the in-memory ring's ``FrameStore.match`` over the same rows."""

from __future__ import annotations

import inspect
import sys
from collections import Counter

import pytest
from framegen import LAYOUTS, T0, error, event, ping, raw, written
from PySide6.QtCore import QEvent, QObject, QTimer

from inspector.logstore.frame_store import Query
from inspector.logstore.live_session import LiveSession
from inspector.logstore.store_document import StoreDocument
from inspector.protocol.kinds import Kind
from inspector.qt.log.model import SYNC_ROWS
from inspector.qt.log.panel import LogPanel

TOPICS = ("orders.eu", "orders.us", "prices.gbp", "Zürich.quotes")
LAYOUT_LIST = list(LAYOUTS.values())
RING_ROWS = 8192
RING_BYTES = 600_000  # the bytes of its newest ~5,000 rows


def items(n: int, start: int = 0) -> list:
    """A session's frames: decoded EVENTs and EVENTs as other servers write them (read by their
    head only), on a few topics and connections, with PINGs and ERRORs among them."""
    out: list = []
    for i in range(start, start + n):
        t = T0 + i * 0.001
        conn = f"c{i % 3}"
        if i % 97 == 0:
            out.append(ping(conn=conn, t=t))
        elif i % 101 == 0:
            out.append(error(message=f"bad topic {i}", conn=conn, t=t))
        elif i % 2:
            out.append(raw(written(i, LAYOUT_LIST[(i // 2) % len(LAYOUT_LIST)], topic=TOPICS[i % 4],
                                   who="Zoë" if i % 7 == 0 else "bob"), conn=conn, t=t))
        else:
            out.append(event(seq=i, topic=TOPICS[i % 4], conn=conn, t=t,
                             data={"n": i, "who": "ZOË" if i % 7 == 0 else "bob"}))
    return out


def feed(panel: LogPanel, frames: list, live: LiveSession | None = None, step: int = 1000) -> None:
    """In batches smaller than the ring, as the live log's flushes are: a row is in the ring until
    the store has it."""
    batches = [frames[a:a + step] for a in range(0, len(frames), step)]
    for batch in batches:
        panel.ingest_frames(batch)  # a connection tab's batch sink
        panel.flush()
        if live is None:
            continue
        live.drain()  # the store has them: the ring may give them up
        panel.log_rows().maintain(now=True)
        panel.flush()


@pytest.fixture
def backed(make_panel, tmp_path):
    """A live log whose ring keeps 8192 rows (the bytes of its newest few thousand); the rest are
    read from its session store."""
    panel = make_panel()
    live = LiveSession(tmp_path / "data", on_error=pytest.fail,
                       writer_options={"flush_interval": 0, "block_rows": 1024})
    live.attach(panel.store)
    panel.log_rows().attach_live(live, ring_rows=RING_ROWS, ring_bytes=RING_BYTES)
    panel.scan_job.slice_s = 0  # one step a turn of the loop: rows arrive as they are found
    panel.scan_show_s = 0  # and are shown at once
    yield panel, live
    live.close()
    panel.log_rows().close()


def shown(panel: LogPanel) -> list[int]:
    return [panel.model.number_at(r) for r in range(panel.model.rowCount())]


def set_filter(panel: LogPanel, q: Query) -> None:
    """Set ``q`` through the filter bar, as a user does."""
    if q.kinds is not None:
        for name, act in panel.kind_actions.items():
            act.setChecked(name in {k.name for k in Kind if int(k) in q.kinds})
    if q.conn is not None:
        panel.conn_combo.setCurrentIndex(panel.conn_combo.findData(q.conn))
    for edit, text in ((panel.topic_edit, q.topic), (panel.text_edit, q.text)):
        if edit.text() != text:
            edit.setText(text)
            edit.returnPressed.emit()
    assert panel.query() == q


QUERIES = [Query(topic="orders.*"), Query(kinds=frozenset({Kind.PING, Kind.ERROR})), Query(conn="c2"),
           Query(text="zoë"), Query(text="BOB", topic="prices.gbp")]


@pytest.mark.parametrize("q", QUERIES, ids=["topic", "kind", "connection", "text", "text+topic"])
def test_a_filter_over_the_store_shows_its_rows_as_they_are_found(make_panel, backed, qtbot, q):
    panel, live = backed
    plain = make_panel()  # every row in memory: today's log
    frames = items(12_000)
    feed(plain, frames)
    feed(panel, frames, live)
    assert panel.rows.rows_on_disk(1, panel.rows.end_number) > SYNC_ROWS
    counts, progress = [], []
    panel.scan_job.progress.connect(lambda done, total: progress.append((done, total)))
    panel.model.rowsInserted.connect(lambda *_: counts.append(panel.model.rowCount()))
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000, check_params_cb=bool) as ended:
        set_filter(panel, q)  # each kind unticked starts a scan that replaces the one before
        assert panel.model.rowCount() == 0 and panel.scan_box.isVisibleTo(panel)  # cleared, then filled
        assert "filtering" in panel.status_label.text()
    assert ended.args == [True] and not panel.scan_box.isVisibleTo(panel)
    assert len(set(counts)) > 2 and counts == sorted(counts)  # incrementally, appended
    assert progress[-1] == (len(frames), len(frames))
    assert shown(panel) == plain.store.match(q).tolist()
    assert "filtering" not in panel.status_label.text() and f"{len(shown(panel)):,} shown" in panel.status_label.text()


def test_rows_arriving_during_and_after_a_scan_appear_once_in_order(make_panel, backed, qtbot):
    panel, live = backed
    plain = make_panel()
    frames = items(24_000)
    first, during, after = frames[:12_000], frames[12_000:18_000], frames[18_000:]
    feed(plain, frames)
    feed(panel, first, live)
    steps = []

    def progressed(_done, _total):
        steps.append(panel.model.rowCount())
        # rows at every step: the scan follows them, and the ring gives up bytes the scan is to read
        feed(panel, during[300 * (len(steps) - 1):300 * len(steps)], live)
        if len(steps) == 5:
            panel.set_paused(True)
            panel.set_paused(False)

    panel.scan_job.progress.connect(progressed)
    q = Query(text="bob", conn="c1")
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000, check_params_cb=bool) as ended:
        set_filter(panel, q)
    assert ended.args == [True] and len(steps) > 20
    feed(panel, after, live)
    numbers = shown(panel)
    assert numbers == plain.store.match(q).tolist()
    assert len(set(numbers)) == len(numbers) and numbers == sorted(numbers)


def test_cancel_keeps_the_rows_found_and_says_what_was_not_searched(make_panel, backed, qtbot):
    panel, live = backed
    plain = make_panel()
    frames = items(16_000)
    feed(plain, frames)
    feed(panel, frames[:12_000], live)
    seen = []

    def progressed(done, _total):
        seen.append(done)
        if len(seen) == 3:
            panel.scan_cancel.click()

    panel.scan_job.progress.connect(progressed)
    q = Query(topic="orders.eu")
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000) as ended:
        set_filter(panel, q)
    assert ended.args == [False] and not panel.scan_box.isVisibleTo(panel)
    stopped = 1 + seen[-1]  # the first number not looked at
    expected = [n for n in plain.store.match(q).tolist() if n < stopped]
    assert len(expected) > 0 and shown(panel) == expected
    status = panel.status_label.text()
    assert "cancelled" in status and f"#{stopped:,}–#12,000 not searched" in status, status
    feed(panel, frames[12_000:], live)  # new rows are still filtered as they come
    assert shown(panel) == expected + [n for n in plain.store.match(q).tolist() if n > 12_000]
    panel.scan_job.progress.disconnect(progressed)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000) as ended:
        panel.topic_edit.returnPressed.emit()  # Return again: the same filter, searched whole
    assert ended.args == [True] and shown(panel) == plain.store.match(q).tolist()
    assert "cancelled" not in panel.status_label.text()
    set_filter(panel, Query())
    assert "cancelled" not in panel.status_label.text() and panel.model.rowCount() == 16_000


def test_a_new_filter_mid_scan_replaces_it(make_panel, backed, qtbot):
    panel, live = backed
    plain = make_panel()
    frames = items(12_000)
    feed(plain, frames)
    feed(panel, frames, live)
    ends = []
    panel.scan_job.finished.connect(ends.append)
    steps = []

    def progressed(_done, _total):
        steps.append(1)
        if len(steps) == 2:  # the user types on while the first search runs
            panel.text_edit.setText("zoë")
            panel.text_edit.returnPressed.emit()

    panel.scan_job.progress.connect(progressed)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000,
                          check_params_cb=lambda complete: complete) as ended:
        set_filter(panel, Query(text="bob"))
    assert ended.args == [True] and ends == [False, True]
    assert shown(panel) == plain.store.match(Query(text="zoë")).tolist()
    assert "cancelled" not in panel.status_label.text()


def test_selection_jump_and_detail_work_on_a_partial_result(make_panel, backed, qtbot):
    panel, live = backed
    frames = items(12_000)
    feed(panel, frames, live)
    keep = 9_001  # an orders.eu frame selected before the filter: selected again once found
    assert frames[keep - 1].data and b"orders.eu" in frames[keep - 1].data
    assert panel.go_to(keep)
    checked = []

    def progressed(done, _total):
        if checked or panel.model.rowCount() < 10:
            return
        row = 3
        number = panel.model.number_at(row)
        panel.view.setCurrentIndex(panel.model.index(row, 0))
        data = panel.rows.data(panel.model.store_index(row))
        checked.append(panel.detail.hex_view.toPlainText() != "" and data == frames[number - 1].data)
        checked.append(panel.go_to(number) and panel.model.number_at(panel.view.currentIndex().row()) == number)
        panel.go_to(keep)  # not found yet: the row found next after the ones shown
        panel.scan_cancel.click()

    panel.scan_job.progress.connect(progressed)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000):
        set_filter(panel, Query(topic="orders.eu"))
    assert checked == [True, True]
    # a filter that finds the selected frame selects it again when found
    set_filter(panel, Query())
    assert panel.go_to(keep)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000):
        set_filter(panel, Query(topic="orders.*"))
    assert panel.model.number_at(panel.view.currentIndex().row()) == keep


def test_a_damaged_block_is_skipped_and_the_status_says_so(make_panel, tmp_path, qtbot):
    ring = make_panel().store
    live = LiveSession(tmp_path / "data", on_error=pytest.fail, writer_options={"block_rows": 500}, threaded=False)
    live.attach(ring)
    frames = items(6000)
    ring.extend([f for f in frames if f.__class__.__name__ == "FrameSeen"])
    live.close()
    doc = StoreDocument(live.folder)
    bad = doc.reader.blocks[2]  # rows 1001..1500
    with open(live.folder / "frames.arrows", "r+b") as f:
        f.seek(bad.offset)
        f.write(bytes(64))
    doc.close()
    doc = StoreDocument(live.folder)
    opened = make_panel()
    doc.show_rows(opened.log_rows(), 0, doc.row_count)
    opened.flush()
    opened.scan_job.slice_s = 0
    q = Query(topic="orders.eu")
    with qtbot.waitSignal(opened.scan_job.finished, timeout=30_000) as ended:
        set_filter(opened, q)
    assert ended.args == [True]
    expected = [n for n in ring.match(q).tolist() if not 1001 <= n <= 1500]
    assert shown(opened) == expected
    status = opened.status_label.text()
    assert "damaged rows not searched" in status and "block 2" in status and "\n" not in status
    doc.close()



class _Paints(QObject):
    """Whether each paint of the table's rows came from inside the turn that takes the rows found
    (a synchronous repaint)."""

    def __init__(self, panel: LogPanel) -> None:
        super().__init__(panel)
        self.inside: list[bool] = []
        panel.view.viewport().installEventFilter(self)

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.inside.append(any(f.function == "_show_scan" for f in inspect.stack(0)))
        return False


def test_rows_found_are_painted_in_a_turn_of_their_own_already_formatted(make_panel, backed, qtbot):
    """The progress bar's new text does not repaint the window in the turn that takes the rows
    found, and a following view's newest rows are formatted before the paint, not in it."""
    panel, live = backed
    feed(panel, items(12_000), live)
    panel.set_following(True)
    model = panel.model
    row_info = model._row_info
    callers: Counter[str] = Counter()

    def counted(number: int):
        callers[sys._getframe(1).f_code.co_name] += 1
        return row_info(number)
    model._row_info = counted  # what formats a row, called by data() in a paint, or by prepare()
    paints = _Paints(panel)
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000, check_params_cb=bool):
        set_filter(panel, Query(text="bob"))
        callers.clear()
    qtbot.waitUntil(lambda: len(paints.inside) > 2, timeout=5000)
    assert not any(paints.inside)
    assert callers["prepare"] > 0 and callers["data"] == 0


def test_the_event_loop_turns_between_taking_the_rows_found_and_painting_them(make_panel, backed, qtbot):
    """A 1 ms timer fires between each taking of the rows found during a scan and the paint that
    shows them: the two never hold the thread as one stall. The table paints again after."""
    panel, live = backed
    feed(panel, items(12_000), live)
    panel.set_following(True)
    panel.scan_show_s = 0.0  # show at every step, to see many of them
    model = panel.model
    log: list[str] = []
    take_found = model.take_found

    def take(numbers):
        log.append("take")
        take_found(numbers)
    model.take_found = take
    paints = _Paints(panel)
    ticker = QTimer(panel)
    ticker.setInterval(1)
    ticker.timeout.connect(lambda: log.append("tick"))
    paint_filter = paints.eventFilter

    def paint(obj, event):
        if event.type() == QEvent.Type.Paint:
            log.append("paint")
        return paint_filter(obj, event)
    paints.eventFilter = paint
    ticker.start()
    with qtbot.waitSignal(panel.scan_job.finished, timeout=30_000, check_params_cb=bool):
        set_filter(panel, Query(text="bob"))
        log.clear()
    qtbot.waitUntil(lambda: panel.view.updatesEnabled() and log[-3:].count("paint") > 0, timeout=5000)
    ticker.stop()
    takes = [i for i, e in enumerate(log) if e == "take"][:-1]  # the last: the scan's end, shown at once
    assert len(takes) > 2
    for i in takes:
        after = log[i + 1:]
        assert "paint" in after and "tick" in after[:after.index("paint")], f"{i}: {' '.join(log)}"

