"""LogPanel and LogModel driven as real widgets."""

from __future__ import annotations

import time

import pytest
from framegen import error, event, ping, pong, raw, subscribe, unsubscribe
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from inspector.protocol.events import IN, OUT, FrameSeen, RttMeasured
from inspector.qt import icons
from inspector.qt.log.model import COL_DIR, COL_KIND, COL_NUMBER, COL_SEQ, COL_SUMMARY, COL_TIME, COL_TOPIC, format_time
from inspector.qt.log.panel import LogPanel


def feed(p: LogPanel, events, flush=True):
    for ev in events:
        p.ingest(ev)
    if flush:
        p.flush()


def cell(p, row, col, role=Qt.ItemDataRole.DisplayRole):
    return p.model.data(p.model.index(row, col), role)


def column(p, col):
    return [cell(p, r, col) for r in range(p.model.rowCount())]


def test_ingest_is_batched_by_the_timer(panel, qtbot):
    inserts = []
    panel.model.rowsInserted.connect(lambda *a: inserts.append(a))
    for i in range(1000):
        panel.ingest(event(seq=i + 1))
    panel.ingest(RttMeasured("c1", time.time(), 0.01))  # non-frame events are ignored
    assert panel.frame_count() == 0 and panel.model.rowCount() == 0
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1000, timeout=3000)
    assert len(inserts) == 1 and inserts[0][1:] == (0, 999)
    assert panel.frame_count() == 1000
    assert not panel._flush_timer.isActive()  # idle log: no timer running


def test_cells(panel):
    t = 1_764_300_000.25
    feed(panel, [event(seq=3, t=t), subscribe("a.b", "x > `1`", conn="c2", t=t)])
    assert column(panel, COL_NUMBER) == ["1", "2"]
    assert cell(panel, 0, COL_TIME) == format_time(t) and format_time(t).endswith(".250")
    assert column(panel, COL_DIR) == ["←", "→"]
    assert column(panel, COL_KIND) == ["EVENT", "SUBSCRIBE"]
    assert column(panel, COL_TOPIC) == ["orders.eu", "a.b"]
    assert column(panel, COL_SEQ) == ["3", ""]
    assert cell(panel, 1, COL_SUMMARY) == "filter 'x > `1`'"
    assert cell(panel, 0, COL_KIND, Qt.ItemDataRole.DecorationRole) is not None
    assert cell(panel, 0, COL_KIND, Qt.ItemDataRole.ForegroundRole).color() == QColor(icons.KIND_COLOURS[0x10])
    assert cell(panel, 0, COL_DIR, Qt.ItemDataRole.ToolTipRole) == "server → client"


def test_error_gap_and_undecodable_rows_stand_out(panel):
    feed(panel, [event(seq=1), event(seq=2), error(), event(seq=6), raw(b"\x7a\x00")])
    bg = [cell(panel, r, COL_SUMMARY, Qt.ItemDataRole.BackgroundRole) for r in range(5)]
    assert bg[0] is None and bg[1] is None
    assert bg[2] == icons.ERROR_BACKGROUND
    assert bg[3] == icons.GAP_BACKGROUND and cell(panel, 3, COL_SUMMARY).startswith("⚠ gap 3")
    assert bg[4] == icons.UNDECODABLE_BACKGROUND
    assert cell(panel, 4, COL_KIND) == "0x7A?"
    assert cell(panel, 4, COL_SUMMARY) == "undecodable: first byte 0x7A is not a known kind"


def test_cap_drops_oldest_with_visible_count(qtbot):
    p = LogPanel(cap=10, flush_ms=5)
    qtbot.addWidget(p)
    removes = []
    p.model.rowsRemoved.connect(lambda *a: removes.append(a[1:]))
    feed(p, [event(seq=i) for i in range(1, 8)])
    assert p.dropped_label.isHidden()
    feed(p, [event(seq=i) for i in range(8, 26)])
    assert p.model.rowCount() == 10 and p.store.dropped == 15
    assert removes == [(0, 6)]  # the 7 shown rows that fell off, in one batch
    assert column(p, COL_NUMBER) == [str(n) for n in range(16, 26)]
    assert not p.dropped_label.isHidden() and p.dropped_label.text() == "15 oldest frames dropped"


def _filter_fixture(p):
    feed(p, [subscribe("orders.eu"), event(seq=1), event(seq=2, topic="orders.us", data={"total": 250}),
             ping(), pong(), error(), event(seq=3, conn="c2", topic="prices.gbp"), raw(b"\x7a!"),
             unsubscribe("orders.eu")])


def numbers(p):
    return [int(x) for x in column(p, COL_NUMBER)]


def test_filter_by_kind_menu(panel):
    _filter_fixture(panel)
    for name, act in panel.kind_actions.items():
        act.setChecked(name in ("PING", "PONG"))
    assert numbers(panel) == [4, 5]
    panel.kind_actions["Other"].setChecked(True)
    assert numbers(panel) == [4, 5, 8]
    for act in panel.kind_actions.values():
        act.setChecked(True)
    assert numbers(panel) == list(range(1, 10)) and panel.model.query.is_all


def test_filter_by_direction_and_connection(panel):
    _filter_fixture(panel)
    panel.direction_combo.setCurrentIndex(panel.direction_combo.findData(OUT))
    assert numbers(panel) == [1, 4, 9]
    panel.direction_combo.setCurrentIndex(panel.direction_combo.findData(IN))
    assert numbers(panel) == [2, 3, 5, 6, 7, 8]
    panel.direction_combo.setCurrentIndex(0)
    panel.conn_combo.setCurrentIndex(panel.conn_combo.findData("c2"))
    assert numbers(panel) == [7]


def test_filter_by_topic_and_text(panel, qtbot):
    _filter_fixture(panel)
    panel.topic_edit.setText("orders.eu")
    qtbot.waitUntil(lambda: numbers(panel) == [1, 2, 9], timeout=2000)  # debounced while typing
    panel.topic_edit.setText("orders.*")
    panel.apply_filter()
    assert numbers(panel) == [1, 2, 3, 9]
    panel.topic_edit.clear()
    panel.text_edit.setText("TOTAL")
    panel.apply_filter()
    assert numbers(panel) == [3]
    assert "1 shown" in panel.status_label.text()


def test_filtered_view_extends_on_flush(panel):
    panel.topic_edit.setText("a")
    panel.apply_filter()
    inserts = []
    panel.model.rowsInserted.connect(lambda *a: inserts.append(a[1:]))
    feed(panel, [event(seq=i, topic="a" if i % 3 == 0 else "b") for i in range(1, 31)])
    assert [int(cell(panel, r, COL_SEQ)) for r in range(panel.model.rowCount())] == list(range(3, 31, 3))
    assert inserts == [(0, 9)]
    feed(panel, [event(seq=31, topic="b")])
    assert panel.model.rowCount() == 10 and len(inserts) == 1


def test_filter_keeps_the_selected_frame(panel):
    _filter_fixture(panel)
    panel.view.selectRow(6)  # frame 7, on c2
    panel.text_edit.setText("prices")
    panel.apply_filter()
    assert panel.model.number_at(panel.view.currentIndex().row()) == 7


def test_pause_keeps_receiving_and_resume_catches_up(panel, qtbot):
    feed(panel, [event(seq=i) for i in range(1, 4)])
    seen = []
    panel.pausedChanged.connect(seen.append)
    panel.pause_button.click()
    assert panel.paused and seen == [True]
    feed(panel, [event(seq=i) for i in range(4, 9)], flush=False)
    qtbot.waitUntil(lambda: panel.frame_count() == 8, timeout=2000)  # into the store meanwhile
    # the count shows when the table next follows the store: at once, or once a busy thread's gap is up
    qtbot.waitUntil(lambda: "paused, 5 new" in panel.status_label.text(), timeout=2000)
    assert panel.model.rowCount() == 3
    panel.set_paused(False)
    assert not panel.pause_button.isChecked() and seen == [True, False]
    assert panel.model.rowCount() == 8 and "paused" not in panel.status_label.text()


def test_pause_still_drops_rows_at_the_cap(qtbot):
    p = LogPanel(cap=5, flush_ms=5)
    qtbot.addWidget(p)
    feed(p, [event(seq=i) for i in range(1, 4)])
    p.set_paused(True)
    feed(p, [event(seq=i) for i in range(4, 8)])  # drops frames 1 and 2
    assert numbers(p) == [3]
    p.set_paused(False)
    assert numbers(p) == [3, 4, 5, 6, 7]


def test_auto_scroll_stops_when_scrolled_up_and_resumes_at_bottom(panel):
    sb = panel.view.verticalScrollBar()
    feed(panel, [event(seq=i) for i in range(1, 301)])
    assert sb.maximum() > 0 and sb.value() == sb.maximum() and panel.following
    sb.setValue(10)  # the user scrolls up
    assert not panel.following and not panel.follow_button.isChecked()
    feed(panel, [event(seq=i) for i in range(301, 401)])
    assert sb.value() == 10
    sb.setValue(sb.maximum())  # back at the bottom
    assert panel.following and panel.follow_button.isChecked()
    feed(panel, [event(seq=i) for i in range(401, 501)])
    assert panel.model.rowCount() == 500 and sb.value() == sb.maximum()
    assert panel.view.rowAt(panel.view.viewport().height() - 2) in range(480, 500)


def test_follow_button_jumps_to_the_bottom(panel):
    sb = panel.view.verticalScrollBar()
    feed(panel, [event(seq=i) for i in range(1, 301)])
    sb.setValue(0)
    panel.follow_button.click()
    assert panel.following and sb.value() == sb.maximum()


def test_following_keeps_the_newest_row_at_the_bottom_when_the_view_shrinks(qtbot):
    p = LogPanel(cap=1000, flush_ms=5)
    qtbot.addWidget(p)
    p.resize(800, 500)
    p.show()
    qtbot.waitExposed(p)
    feed(p, [event(seq=i) for i in range(1, 301)])
    sb = p.view.verticalScrollBar()
    assert p.following and sb.value() == sb.maximum()
    p.resize(800, 300)  # the rows' room shrinks: the range grows, with no new row to follow
    qtbot.waitUntil(lambda: sb.maximum() > 0 and p.view.viewport().height() < 300, timeout=3000)
    assert p.following and sb.value() == sb.maximum()
    sb.setValue(0)  # not following: the rows read stay where they are
    p.resize(800, 200)
    qtbot.waitUntil(lambda: p.view.viewport().height() < 200, timeout=3000)
    assert not p.following and sb.value() == 0


def test_rows_being_read_stay_put_when_old_rows_drop(qtbot):
    p = LogPanel(cap=300, flush_ms=5)
    qtbot.addWidget(p)
    p.resize(800, 400)
    p.show()
    qtbot.waitExposed(p)
    feed(p, [event(seq=i) for i in range(1, 301)])
    sb = p.view.verticalScrollBar()
    row = p.view.verticalHeader().defaultSectionSize()
    sb.setValue(100 * row)  # the view scrolls by pixel
    top = p.model.number_at(p.view.rowAt(0))
    feed(p, [event(seq=i) for i in range(301, 351)])
    assert p.store.dropped == 50
    assert sb.value() == 50 * row and p.model.number_at(p.view.rowAt(0)) == top


def test_clear(panel):
    feed(panel, [event(seq=i) for i in range(1, 20)])
    panel.view.selectRow(3)
    assert panel.detail.copy_hex_button.isEnabled()
    panel.clear_button.click()
    assert panel.model.rowCount() == 0 and panel.frame_count() == 0
    assert not panel.detail.copy_hex_button.isEnabled()
    feed(panel, [event(seq=1, topic="after.clear")])
    assert numbers(panel) == [1] and column(panel, COL_TOPIC) == ["after.clear"]  # no stale row cache


def test_selection_shows_detail_and_exports(panel):
    feed(panel, [event(seq=1), error(), raw(b"x", text=True)])
    rows = []
    panel.frameSelected.connect(rows.append)
    panel.view.selectRow(1)
    assert rows == [1]
    assert "ERROR" in panel.detail.header.text()
    panel.view.selectRow(2)
    assert "text frame" in panel.detail.error_label.text()
    panel.view.selectAll()
    evs = panel.selected_events()
    assert [type(e) for e in evs] == [FrameSeen] * 3
    assert [e.data for e in evs][1:] == [error().data, b"x"] and evs[2].text


def test_find_focuses_the_text_filter(panel, qtbot):
    panel.activateWindow()
    panel.text_edit.setText("abc")
    panel.focus_filter()
    qtbot.waitUntil(panel.text_edit.hasFocus, timeout=2000)
    assert panel.text_edit.selectedText() == "abc"


def test_rtt_events_do_not_make_rows(panel):
    panel.ingest(RttMeasured("c1", 1.0, 0.002))
    panel.flush()
    assert panel.model.rowCount() == 0


def test_new_connection_after_clear_appears_in_the_filter(panel):
    feed(panel, [event(conn="a"), event(conn="b")])
    panel.clear()
    feed(panel, [event(conn="c")])
    assert [panel.conn_combo.itemData(i) for i in range(panel.conn_combo.count())] == [None, "a", "b", "c"]


def test_kinds_button_shows_how_many_are_on(panel):
    panel.kind_actions["PING"].setChecked(False)
    assert panel.kind_button.text() == "Kinds (7)"
    panel.kind_actions["PING"].setChecked(True)
    assert panel.kind_button.text() == "Kinds"


def test_copy_rows_as_tsv(panel):
    from PySide6.QtGui import QGuiApplication
    feed(panel, [event(seq=1), error()])
    panel.view.selectAll()
    text = panel.copy_rows()
    lines = text.splitlines()
    assert lines[0].split("\t")[:3] == ["#", "Time", "Connection"]
    assert lines[2].split("\t")[4] == "ERROR" and len(lines) == 3
    assert QGuiApplication.clipboard().text() == text


@pytest.mark.parametrize("t", [1.7e18, float("inf"), float("nan")])
def test_a_time_no_clock_holds_is_shown_not_raised(t):
    assert format_time(t) == "--:--:--.---"  # a damaged capture's packet clock, painted as a row


def test_a_text_filter_takes_a_flood_a_few_ms_a_turn_and_every_row_in_the_end(panel, qtbot):
    """New rows a text filter has to look at (microseconds each: a first search decodes bodies) are
    not all matched in the sync that sees them: the table takes them over a few turns of the event
    loop, in order, and ends with exactly the rows the filter keeps."""
    panel.text_edit.setText("zoë")
    panel.apply_filter()
    syncs: list[tuple[bool, bool]] = []
    sync = panel.model.sync

    def watched(advance=True, whole=True):
        out = sync(advance, whole)
        syncs.append((whole, panel.model.behind))
        return out
    panel.model.sync = watched
    frames = [raw(b'{"type":"EVENT","topic":"t.%d","seq":%d,"data":{"who":"%s"}}'
                  % (i % 4, i, ("Zoë" if i % 3 == 0 else "bob").encode()), t=1_700_000_000 + i * 1e-3)
              for i in range(6000)]
    for ev in frames:
        panel.ingest(ev)
    qtbot.waitUntil(lambda: not panel._pending and not panel.model.behind, timeout=10_000)
    want = panel.store.match(panel.query()).tolist()
    assert len(want) == 2000
    assert [panel.model.number_at(r) for r in range(panel.model.rowCount())] == want
    assert any(behind for whole, behind in syncs if not whole)  # a sync left rows for the next turn
