"""Connection events (state, subscription, missed PONG) as rows of their own in the log."""

from __future__ import annotations

import json

from framegen import event
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from inspector.logstore.frame_store import KIND_SESSION, FrameStore
from inspector.protocol.events import PongMissed, State, StateChanged, SubscriptionChanged, SubState
from inspector.qt import icons
from inspector.qt.log.model import COL_CONN, COL_DIR, COL_KIND, COL_SIZE, COL_SUMMARY, COL_TOPIC
from inspector.qt.log.panel import CONNECTION_KIND

T0 = 1_700_000_000.0
CLOSED = StateChanged("c1", T0 + 0.5, State.CLOSED, code=1011, reason="internal error",
                      meaning="Internal server error")
REFUSED = StateChanged("c9", T0 + 0.7, State.CLOSED, message="connect failed: connection refused")


def cell(p, row, col, role=Qt.ItemDataRole.DisplayRole):
    return p.model.data(p.model.index(row, col), role)


def summaries(p):
    return [cell(p, r, COL_SUMMARY) for r in range(p.model.rowCount())]


def feed_session(p):
    """Frames and connection events interleaved as a session delivers them."""
    p.ingest(StateChanged("c1", T0, State.CONNECTING))
    p.ingest(StateChanged("c1", T0 + 0.1, State.OPEN))
    p.ingest(event(seq=1, t=T0 + 0.2))
    p.ingest(SubscriptionChanged("c1", T0 + 0.3, "orders", SubState.FAILED, filter="price >",
                                 error_code="bad_filter", message="expected a value"))
    p.ingest(event(seq=2, t=T0 + 0.4))
    p.ingest(CLOSED)
    p.ingest(StateChanged("c1", T0 + 0.6, State.WAITING, attempt=1, delay=0.5))
    p.ingest(REFUSED)
    p.ingest(PongMissed("c1", T0 + 0.8, 2))


def test_connection_events_are_rows_in_order_among_frames(panel, qtbot):
    feed_session(panel)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 9, timeout=2000)  # the flush timer takes them too
    kinds = [cell(panel, r, COL_KIND) for r in range(9)]
    assert kinds == ["CONNECTION", "CONNECTION", "EVENT", "CONNECTION", "EVENT"] + ["CONNECTION"] * 4
    got = summaries(panel)
    assert got[0] == "connecting" and got[1] == "open"
    assert got[3] == "subscription orders failed filter 'price >' — bad_filter: expected a value"
    assert got[5] == "closed 1011 — Internal server error — reason: internal error"
    assert got[6].startswith("waiting — reconnect attempt 1 in 0.5 s")
    assert got[7] == "closed — connect failed: connection refused"
    assert got[8] == "PONG missed (2 in a row)"
    assert cell(panel, 3, COL_TOPIC) == "orders" and cell(panel, 0, COL_DIR) == "·"
    assert cell(panel, 0, COL_SIZE) == ""
    # trouble is tinted, the rest not
    bg = [cell(panel, r, 0, Qt.ItemDataRole.BackgroundRole) for r in range(9)]
    assert [r for r, b in enumerate(bg) if b == icons.ERROR_BACKGROUND] == [3, 5, 7, 8]
    assert panel.frame_count() == 2 and panel.store.session_count == 7
    assert panel.status_label.text().startswith("2 frames")


def test_connection_rows_are_found_by_kind_search_and_connection(panel, qtbot):
    feed_session(panel)
    panel.flush()
    for name, act in panel.kind_actions.items():
        act.setChecked(name == CONNECTION_KIND)
    assert panel.model.rowCount() == 7
    panel.kind_actions[CONNECTION_KIND].setChecked(False)
    panel.kind_actions["EVENT"].setChecked(True)
    assert panel.model.rowCount() == 2  # frames only
    for act in panel.kind_actions.values():
        act.setChecked(True)
    panel.text_edit.setText("close")
    panel.apply_filter()
    assert summaries(panel) == ["closed 1011 — Internal server error — reason: internal error",
                                "closed — connect failed: connection refused"]
    panel.text_edit.setText("REFUSED")
    panel.apply_filter()
    assert len(summaries(panel)) == 1
    panel.text_edit.setText("state")  # the stored field names are not what a row shows
    panel.apply_filter()
    assert summaries(panel) == []
    panel.text_edit.clear()
    panel.apply_filter()
    # a connection that never opened (c9 only failed to connect) is in the connection filter
    conns = [panel.conn_combo.itemData(i) for i in range(panel.conn_combo.count())]
    assert "c9" in conns
    panel.conn_combo.setCurrentIndex(conns.index("c9"))
    assert summaries(panel) == ["closed — connect failed: connection refused"]
    assert cell(panel, 0, COL_CONN) == "c9"


def test_detail_pane_shows_every_field_and_copies_json(panel):
    feed_session(panel)
    panel.flush()
    panel.view.selectRow(5)
    d = panel.detail
    assert "CONNECTION" in d.header.text() and "c1" in d.header.text()
    assert d.error_label.isVisible() and "closed 1011" in d.error_label.text()
    tree = {d.tree.topLevelItem(i).text(0): d.tree.topLevelItem(i).text(1) for i in range(d.tree.topLevelItemCount())}
    assert tree["event"] == '"state"' and tree["state"] == '"closed"' and tree["code"] == "1011"
    assert tree["reason"] == '"internal error"' and tree["meaning"] == '"Internal server error"'
    assert tree["connection"] == "c1" and "time" in tree
    assert not d.copy_hex_button.isEnabled() and d.copy_json_button.isEnabled()
    d.copy_json()
    copied = json.loads(QGuiApplication.clipboard().text())
    assert copied["code"] == 1011 and copied["connection"] == "c1" and copied["time"] == CLOSED.t
    panel.view.selectRow(2)  # back to a frame: the frame view again
    assert "EVENT" in d.header.text() and d.copy_hex_button.isEnabled()


def test_rows_turn_back_into_the_events_for_export(panel):
    feed_session(panel)
    panel.flush()
    panel.view.selectAll()
    events = panel.selected_events()
    assert events[5] == CLOSED and events[7] == REFUSED
    assert isinstance(events[3], SubscriptionChanged) and events[3].error_code == "bad_filter"


def test_store_drops_connection_rows_with_the_oldest_frames():
    s = FrameStore(cap=4)
    s.add_session(StateChanged("c1", T0, State.OPEN))
    s.extend([event(seq=i, t=T0 + i) for i in range(1, 4)])
    assert s.session_count == 1 and s.frame_count == 3 and s.kind(0) == KIND_SESSION
    s.extend([event(seq=4, t=T0 + 4)])
    assert s.session_count == 0 and s.frame_count == 4 and s.dropped == 1
    s.add_session(StateChanged("c1", T0 + 5, State.IDLE))  # no row: nothing happened yet
    assert len(s) == 4 and s.session_count == 0
