"""The log read through the session store: a row only on disk looks exactly as it did in the
ring (every column, colour, tooltip, the detail pane, copy, filters), a live session longer
than the ring scrolls back to frame 1, and a reopened session shows the very rows the live
log showed. Real panels, a real session folder written by the real writer."""

from __future__ import annotations

import pytest
from framegen import T0, error, event, ping, pong, presence, raw, subscribe
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QStyleOptionViewItem, QTreeWidgetItem

from inspector.logstore.frame_store import KIND_SESSION, Query
from inspector.logstore.live_session import LiveSession
from inspector.logstore.store_document import StoreDocument
from inspector.protocol.events import PongMissed, State, StateChanged, SubscriptionChanged, SubState
from inspector.protocol.kinds import Kind
from inspector.qt.log.model import COL_TIME, COLUMNS
from inspector.qt.log.panel import LogPanel
from inspector.qt.log.time_column import RELATIVE

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
         Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole)
RING_ROWS = 64
RING_BYTES = 3000


def session_items(n: int = 600) -> list:
    """What a session delivers, in order: every kind of row the log shows (frames decoded and
    not, seq gaps on plain and filtered subscriptions, bad bytes, connection events)."""
    items: list = [StateChanged("c1", T0, State.OPEN), subscribe(t=T0), subscribe("prices.gbp", flt="p > 1", t=T0)]
    seq = {"orders.eu": 0, "prices.gbp": 0}
    for i in range(n):
        t = T0 + 0.001 * (i + 1)
        topic = "orders.eu" if i % 3 else "prices.gbp"
        seq[topic] += 2 if i % 41 == 0 else 1   # a gap now and then
        conn = "c1" if i % 5 else "c2"
        if i % 97 == 0:
            items.append(PongMissed("c1", t, 1 + i // 97))
        if i % 89 == 0:
            items.append(SubscriptionChanged("c2", t, "orders.eu", SubState.FAILED, error_code="bad", message="no"))
        special = i % 50
        if special == 7:
            items.append(raw(b'{"text frame": true}', t=t, text=True))
        elif special == 11:
            items.append(raw(b"", t=t))
        elif special == 13:
            items.append(raw(b"\x10{not json", t=t))
        elif special == 17:
            items.append(ping(t=t))
        elif special == 19:
            items.append(pong(t=t))
        elif special == 23:
            items.append(error(t=t))
        elif special == 29:
            items.append(presence(t=t))
        else:
            items.append(event(seq=seq[topic], topic=topic, conn=conn, t=t, decoded=bool(i % 2),
                               data={"i": i, "note": "x" * (i % 30)}))
    return items


def feed(panel: LogPanel, items: list, live: LiveSession | None = None, step: int = 40) -> None:
    for a in range(0, len(items), step):
        for item in items[a:a + step]:
            panel.ingest(item)
        panel.flush()
        if live is not None:
            live.drain()
            panel.log_rows().maintain(now=True)
            panel.flush()
            assert len(panel.store) <= RING_ROWS  # the ring never holds more than its bound


@pytest.fixture
def backed(make_panel, tmp_path):
    """A log whose ring is small, backed by its live session's store (as the app's live log)."""
    panel = make_panel()
    live = LiveSession(tmp_path / "data", on_error=pytest.fail, writer_options={"flush_interval": 0})
    live.attach(panel.store)
    panel.log_rows().attach_live(live, ring_rows=RING_ROWS, ring_bytes=RING_BYTES)
    yield panel, live
    live.close()
    panel.log_rows().close()


def cells(panel: LogPanel, row: int) -> list:
    m = panel.model
    out = []
    for col in range(len(COLUMNS)):
        for role in ROLES:
            v = m.data(m.index(row, col), role)
            out.append(v.name() if isinstance(v, QColor) else v.color().name() if isinstance(v, QBrush) else v)
    return out


def tree_text(item: QTreeWidgetItem) -> list:
    return [(item.text(0), item.text(1), tree_text(item.child(k))) for k in range(item.childCount())]


def detail(panel: LogPanel, row: int) -> tuple:
    panel.view.setCurrentIndex(panel.model.index(row, 0))
    d = panel.detail
    return (d.header.text(), d.error_label.text(), d.error_label.isVisibleTo(d), d.hex_view.toPlainText(),
            d.marked_text(), tree_text(d.tree.invisibleRootItem()), d.copy_json_button.isEnabled())


def relative_time(panel: LogPanel, row: int) -> str:
    option = QStyleOptionViewItem()
    panel.time_delegate.initStyleOption(option, panel.model.index(row, COL_TIME))
    return option.text


def test_rows_only_on_disk_look_as_they_did_in_the_ring(make_panel, backed):
    panel, live = backed
    plain = make_panel()  # today's log: everything in its ring
    items = session_items()
    feed(plain, items)
    feed(panel, items, live)
    n = plain.model.rowCount()
    assert panel.model.rowCount() == n == len(panel.rows)
    assert panel.rows.first_number == 1 and panel.store.first_number > n // 2  # most rows are on disk only
    assert panel.store.data_from > panel.store.first_number  # and the ring kept the bytes of its newest only
    assert panel.rows.frame_count == plain.rows.frame_count and not panel.dropped_label.isVisibleTo(panel)
    for r in range(n):
        assert cells(panel, r) == cells(plain, r), f"row {r + 1}"
    for r in [*range(0, n, 7), n - 1]:
        assert detail(panel, r) == detail(plain, r), f"row {r + 1}"
    plain.set_time_mode(RELATIVE)
    panel.set_time_mode(RELATIVE)
    assert [relative_time(panel, r) for r in range(0, n, 13)] == [relative_time(plain, r) for r in range(0, n, 13)]


def test_copy_export_jump_and_filters_read_disk_rows_as_ring_rows(make_panel, backed):
    panel, live = backed
    plain = make_panel()
    items = session_items()
    feed(plain, items)
    feed(panel, items, live)
    for p in (plain, panel):  # a selection across the disk and the ring
        sel = p.view.selectionModel()
        for r in (2, 40, 300, p.model.rowCount() - 2):
            sel.select(p.model.index(r, 0), QItemSelectionModel.SelectionFlag.Select |
                       QItemSelectionModel.SelectionFlag.Rows)
    assert panel.copy_rows() == plain.copy_rows()
    assert panel.selected_events() == plain.selected_events()
    assert panel.model.row_of_number(5) == plain.model.row_of_number(5) == 4  # jump to a number on disk
    queries = [Query(topic="prices*"), Query(kinds=frozenset({Kind.PING, Kind.PONG, KIND_SESSION})),
               Query(conn="c2"), Query(text="NOTE"), Query(text="pong"), Query(text="closed"),
               Query(direction="out", text="orders")]
    for q in queries:
        assert panel.rows.match(q).tolist() == plain.rows.match(q).tolist(), q
        steps = list(panel.rows.match_chunks(q))
        assert steps[-1][0] == steps[-1][1] == len(panel.rows)  # progress ends at every row
    plain.topic_edit.setText("prices*")
    panel.topic_edit.setText("prices*")
    plain.apply_filter()
    panel.apply_filter()
    n = plain.model.rowCount()
    assert panel.model.rowCount() == n > 0
    assert [cells(panel, r) for r in range(n)] == [cells(plain, r) for r in range(n)]


def test_go_to_a_frame_only_on_disk(make_panel, backed):
    panel, live = backed
    items = session_items()
    feed(panel, items, live)
    assert panel.store.index_of(10) is None  # frame 10 is on disk only
    dlg = panel.go_to_dialog()
    dlg.setIntValue(10)
    dlg.accept()
    current = panel.view.currentIndex()
    assert panel.model.number_at(current.row()) == 10 and not panel.following
    assert panel.detail.hex_view.toPlainText() and panel.rows.data(9) == items[9].data
    panel.topic_edit.setText("prices.gbp")
    panel.apply_filter()
    assert panel.go_to(10)  # hidden by the filter: the next frame shown
    assert panel.model.number_at(panel.view.currentIndex().row()) > 10
    assert panel.rows.topic(panel.model.store_index(panel.view.currentIndex().row())) == "prices.gbp"
    assert not panel.go_to(panel.rows.end_number)


def test_a_live_session_longer_than_the_ring_scrolls_back_to_frame_1(make_panel, backed):
    panel, live = backed
    items = session_items(2000)
    feed(panel, items, live, step=250)
    assert panel.store.first_number > 1000  # the ring alone would start past frame 1000
    panel.set_following(False)
    panel.view.scrollToTop()
    top = panel.view.indexAt(panel.view.viewport().rect().topLeft())
    assert top.row() == 0 and panel.model.data(panel.model.index(0, 0)) == "1"
    assert panel.model.data(panel.model.index(0, len(COLUMNS) - 1)) == "open"  # the first row: the connection opening


def test_a_reopened_session_shows_the_rows_the_live_log_showed(make_panel, backed):
    panel, live = backed
    feed(panel, session_items(), live)
    live.flush()  # every row on disk (the fixture closes the session)
    doc = StoreDocument(live.folder)
    opened = make_panel()
    doc.show_rows(opened.log_rows(), 0, doc.row_count)
    opened.flush()
    n = panel.model.rowCount()
    assert opened.model.rowCount() == n and doc.frame_count == panel.frame_count()
    assert opened.store.first_number == opened.store.end_number  # nothing was loaded into its ring
    for r in range(n):
        assert cells(opened, r) == cells(panel, r), f"row {r + 1}"
    for r in range(0, n, 11):
        assert detail(opened, r) == detail(panel, r), f"row {r + 1}"
    doc.close()


def test_clearing_the_log_numbers_from_1_again_and_reads_the_new_rows_from_disk(make_panel, backed):
    panel, live = backed
    feed(panel, session_items(300), live)
    panel.clear()
    after = [event(seq=i, topic="after.clear", t=T0 + 10 + i) for i in range(1, 301)]
    feed(panel, after, live)
    assert panel.rows.first_number == 1 and panel.model.rowCount() == 300
    assert panel.store.first_number > 1  # row 1 is on disk only
    assert panel.model.data(panel.model.index(0, 0)) == "1"
    assert panel.rows.data(0) == after[0].data and panel.rows.topic(0) == "after.clear"
    assert panel.rows.match(Query(topic="orders.eu")).size == 0  # the rows before the clear are not the log's


def test_a_damaged_block_leaves_its_rows_blank_and_the_rest_shown(make_panel, tmp_path):
    ring = make_panel().store
    live = LiveSession(tmp_path / "data", on_error=pytest.fail, writer_options={"block_rows": 50}, threaded=False)
    live.attach(ring)
    items = [event(seq=i, t=T0 + i) for i in range(1, 301)]
    ring.extend(items)
    live.close()
    doc = StoreDocument(live.folder)
    bad = doc.reader.blocks[2]  # rows 101..150
    with open(live.folder / "frames.arrows", "r+b") as f:  # the block's message header, zeroed
        f.seek(bad.offset)
        f.write(bytes(64))
    doc.close()
    doc = StoreDocument(live.folder)
    assert "block 2" in (doc.warning or "") and "damaged" in doc.warning
    opened = make_panel()
    doc.show_rows(opened.log_rows(), 0, doc.row_count)
    opened.flush()
    assert opened.model.rowCount() == 300
    assert opened.model.data(opened.model.index(100, 0)) is None  # frame 101: blank
    assert opened.model.data(opened.model.index(150, 0)) == "151" and opened.rows.data(150) == items[150].data
    opened.view.setCurrentIndex(opened.model.index(120, 0))
    assert opened.detail.header.text() == "No frame selected"
    found = opened.rows.match(Query(topic="orders.eu"))
    assert len(found) == 250 and not set(range(101, 151)) & set(found.tolist())
    doc.close()


def test_exporting_the_whole_log_reads_disk_rows_on_the_writers_thread(make_panel, backed):
    import threading

    from inspector.logstore.log_rows import row_events

    panel, live = backed
    plain = make_panel()
    items = session_items()
    feed(plain, items)
    feed(panel, items, live)
    for topic in ("", "prices*"):
        for p in (plain, panel):
            p.topic_edit.setText(topic)
            p.apply_filter()
        expected = [plain.rows.event(plain.model.store_index(r)) for r in range(plain.model.rowCount())]
        events = row_events(panel.rows, panel.model.shown_numbers())
        assert len(events.store_rows) > len(events.ring_events) > 0  # most rows are read from disk
        assert len(events) == len(expected) > 0
        got: list = []
        writer = threading.Thread(target=got.extend, args=(events,))  # as the export's worker does
        writer.start()
        writer.join()
        assert got == expected, topic
        assert list(row_events(plain.rows, plain.model.shown_numbers())) == expected
