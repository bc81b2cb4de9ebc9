import gc
import random
import time

from presence_rule import presence_rule
from PySide6.QtCore import Qt

from inspector.protocol.events import IN, FrameSeen, SubscriptionChanged, SubState
from inspector.protocol.frames import Event, encode, try_decode
from inspector.protocol.heads import EventHead, MemberChangeEvent, read_head
from inspector.qt.session.subscriptions import MAX_SUBSCRIPTIONS, WARN_AT, SubscriptionEditor


def _event(topic, seq, data, type_="message"):
    ev = Event(topic, type_, 1764300000000 + seq, data, seq if type_ == "message" else None)
    return FrameSeen("c1", time.time(), IN, encode(ev), ev)


def _editor(qtbot):
    w = SubscriptionEditor()
    qtbot.addWidget(w)
    return w


def test_topic_validated_as_you_type(qtbot):
    w = _editor(qtbot)
    assert not w.submit.isEnabled()
    qtbot.keyClicks(w.topic_edit, "orders.EU")
    assert not w.submit.isEnabled()
    assert "'E'" in w.topic_error.text() and "column 8:" in w.topic_error.text()
    w.topic_edit.backspace()
    w.topic_edit.backspace()
    qtbot.keyClicks(w.topic_edit, "eu")
    assert w.topic_error.text() == ""
    assert w.submit.isEnabled()


def test_filter_error_marks_position_and_disables_submit(qtbot):
    w = _editor(qtbot)
    w.topic_edit.setText("orders.eu")
    qtbot.keyClicks(w.filter_edit, "data.total > ")
    assert not w.submit.isEnabled()
    assert "incomplete" in w.filter_error.text()
    qtbot.keyClicks(w.filter_edit, "`100`")
    assert w.submit.isEnabled() and w.filter_error.text() == ""
    assert w.filter_edit.error_position is None
    w.filter_edit.setText("data.total > ] 3")
    assert not w.submit.isEnabled()
    assert w.filter_edit.error_position == 13
    assert "column 14:" in w.filter_error.text()  # 1-based, like the topic's
    # marking the error must not change what the user typed
    assert w.filter_edit.text() == "data.total > ] 3"


def test_submit_emits_topic_and_filter(qtbot):
    w = _editor(qtbot)
    w.topic_edit.setText("orders.eu")
    w.filter_edit.setText("data.total > `100`")
    with qtbot.waitSignal(w.subscribe_requested) as blocker:
        qtbot.mouseClick(w.submit, Qt.MouseButton.LeftButton)
    assert blocker.args == ["orders.eu", "data.total > `100`"]


def test_live_preview_counts_matches(qtbot):
    w = _editor(qtbot)
    w.show()  # the debounced refresh serves the editor on screen
    qtbot.waitExposed(w)
    for i in range(10):
        w.ingest(_event("orders.eu", i, {"total": i * 30, "region": "eu"}))
    w.ingest(_event("orders.us", 1, {"total": 999}))
    w.topic_edit.setText("orders.eu")
    w.filter_edit.setText("data.total > `100`")
    assert "matches 6 of the last 10 events on orders.eu" in w.preview_label.text()
    w.filter_edit.setText("")
    assert "matches 10 of the last 10" in w.preview_label.text()
    # new events are counted on the next refresh tick
    w.filter_edit.setText("data.total > `100`")
    w.ingest(_event("orders.eu", 11, {"total": 500}))
    qtbot.waitUntil(lambda: "matches 7 of the last 11" in w.preview_label.text(), timeout=2000)


def test_field_path_completion_from_recent_events(qtbot):
    w = _editor(qtbot)
    w.ingest(_event("orders.eu", 1, {"total": 1, "region": "eu", "customer": {"tier": "gold"}}))
    w.topic_edit.setText("orders.eu")
    paths = w.filter_edit.completer_model().stringList()
    for p in ("data", "data.total", "data.region", "data.customer.tier", "seq", "topic"):
        assert p in paths
    w.filter_edit.setFocus()
    qtbot.keyClicks(w.filter_edit, "data.to")
    assert w.filter_edit.current_word() == "data.to"
    w.filter_edit._insert_completion("data.total")
    assert w.filter_edit.text() == "data.total"


def test_table_states_presence_and_failure(qtbot):
    w = _editor(qtbot)
    w.ingest(SubscriptionChanged("c1", 0, "orders.eu", SubState.PENDING, "data.total > `1`"))
    assert w.table.rowCount() == 1
    assert w.table.item(0, 2).text() == "pending"
    w.ingest(SubscriptionChanged("c1", 0, "orders.eu", SubState.ACTIVE, "data.total > `1`"))
    w.ingest(_event("orders.eu", 0, {"action": "sync", "members": ["c-1", "c-2"]}, "presence"))
    assert w.table.item(0, 2).text() == "active"
    qtbot.waitUntil(lambda: w.table.item(0, 3).text() == "2", timeout=2000)  # presence is drawn at most 10x/s
    w.ingest(_event("orders.eu", 0, {"action": "join", "member": "c-3", "members": 3}, "presence"))
    qtbot.waitUntil(lambda: w.table.item(0, 3).text() == "3", timeout=2000)
    assert w.table.item(0, 3).toolTip() == "c-1, c-2, c-3"
    w.ingest(_event("orders.eu", 0, {"action": "leave", "member": "c-1", "members": 2}, "presence"))
    qtbot.waitUntil(lambda: w.table.item(0, 3).text() == "2", timeout=2000)
    assert w.table.item(0, 3).toolTip() == "c-2, c-3"
    w.ingest(SubscriptionChanged("c1", 0, "bad", SubState.FAILED, None, "invalid_topic", "nope"))
    assert w.table.item(1, 2).text() == "failed"
    assert w.table.item(1, 4).text() == "invalid_topic: nope"
    w.ingest(SubscriptionChanged("c1", 0, "orders.eu", SubState.REMOVED))
    assert w.table.rowCount() == 1 and w.table.item(0, 0).text() == "bad"


def test_a_presence_storm_is_drawn_once_per_tick(qtbot):
    w = _editor(qtbot)
    w.ingest(SubscriptionChanged("c1", 0, "orders.eu", SubState.ACTIVE, None))
    drawn: list[str] = []
    w.table.itemChanged.connect(lambda item: drawn.append(item.text()) if item.column() == 3 else None)
    for i in range(2000):
        w.ingest(_event("orders.eu", 0, {"action": "join", "member": f"c-{i}", "members": i + 1}, "presence"))
    assert drawn == []  # nothing drawn per event
    qtbot.waitUntil(lambda: w.table.item(0, 3).text() == "2000", timeout=2000)
    assert set(drawn) == {"2000"} and len(drawn) <= 2  # one redraw: its text, then its tooltip
    assert w.table.item(0, 3).toolTip().endswith("(+1950)")


def test_edit_filter_in_place_resubscribes(qtbot):
    w = _editor(qtbot)
    w.ingest(SubscriptionChanged("c1", 0, "ticker", SubState.ACTIVE, None))
    item = w.table.item(0, 1)
    with qtbot.waitSignal(w.subscribe_requested) as blocker:
        item.setText("data.price > `3`")
    assert blocker.args == ["ticker", "data.price > `3`"]
    with qtbot.assertNotEmitted(w.subscribe_requested):
        w.table.item(0, 1).setText("data.[")
    assert w.table.item(0, 1).text() == ""
    assert "ticker" in w.filter_error.text()


def test_unsubscribe_selected(qtbot):
    w = _editor(qtbot)
    w.ingest(SubscriptionChanged("c1", 0, "ticker", SubState.ACTIVE, None))
    w.table.selectRow(0)
    assert w.unsubscribe_button.isEnabled()
    with qtbot.waitSignal(w.unsubscribe_requested) as blocker:
        qtbot.mouseClick(w.unsubscribe_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["ticker"]


def test_warning_near_limit(qtbot):
    w = _editor(qtbot)
    for i in range(WARN_AT - 1):
        w.ingest(SubscriptionChanged("c1", 0, f"t{i}", SubState.ACTIVE))
    assert w.limit_label.text() == ""
    w.ingest(SubscriptionChanged("c1", 0, "one.more", SubState.ACTIVE))
    assert "close to the limit" in w.limit_label.text()
    for i in range(WARN_AT, MAX_SUBSCRIPTIONS):
        w.ingest(SubscriptionChanged("c1", 0, f"t{i}", SubState.ACTIVE))
    assert "limit is reached" in w.limit_label.text()


def _random_presence(rng: random.Random):
    pick = rng.random()
    member = rng.choice(["c-1", "c-2", "c-3", "c-4", 7, None, ["c-1"]]) if pick < 0.1 else f"c-{rng.randrange(6)}"
    if pick < 0.08:
        return {"action": "sync", "members": [f"c-{rng.randrange(6)}" for _ in range(rng.randrange(4))] + [3]}
    if pick < 0.12:
        return rng.choice([None, [], "join", {"members": True}, {"action": "join"}])
    data = {"action": rng.choice(["join", "leave"] * 8 + ["kick", None]), "member": member}
    if rng.random() < 0.8:
        data["members"] = rng.choice([rng.randrange(100), rng.randrange(100), False, "9"])
    return data


def test_presence_the_client_read_whole_is_applied_in_batches_as_one_by_one(qtbot):
    """A client batch mixes messages (heads), joins and leaves read whole and presence decoded: the rows end as
    the rule applied one event at a time says, whatever the mix and wherever batches end."""
    rng = random.Random(1203)
    for trial in range(60):
        w = _editor(qtbot)
        w.ingest(SubscriptionChanged("c1", 0, "orders.eu", SubState.ACTIVE, None))
        frames = []
        for i in range(rng.randrange(1, 80)):
            if rng.random() < 0.25:
                data = encode(Event("orders.eu", "message", 1, {"i": i}, i))
                frames.append(FrameSeen("c1", 0.0, IN, data, None, False, read_head(data)))
                continue
            topic = rng.choice(["orders.eu", "orders.eu", "other"]) if trial % 3 == 0 else "orders.eu"
            data = encode(Event(topic, "presence", 1, _random_presence(rng)))
            head = read_head(data)  # as the client reads presence: a join or leave whole, the rest decoded
            if type(head) is MemberChangeEvent and head.data.action != "sync":
                frames.append(FrameSeen("c1", 0.0, IN, data, None, False, head))
            else:
                frames.append(FrameSeen("c1", 0.0, IN, data, try_decode(data)))
        ids, count = set(), None
        for f in frames:
            decoded = try_decode(f.data)
            if decoded.type == "presence" and decoded.topic == "orders.eu":
                ids, count = presence_rule(ids, count, decoded.data)
        cut = rng.randrange(len(frames) + 1)
        w.ingest_frames(frames[:cut])
        w.ingest_frames(frames[cut:])
        w.render_presence()
        row = w.rows["orders.eu"]
        assert (row.member_ids, row.members) == (ids, count), trial
        w.close()


def test_frames_stay_out_of_the_cyclic_collector():
    """A flood's FrameSeen objects are not tracked: the collector's passes never walk them."""
    ev = FrameSeen("c1", 0.0, IN, b"\x10{}", None, False, EventHead("t", "message", 1))
    assert not gc.is_tracked(ev)


def test_a_hidden_editor_waits_and_catches_up_when_shown(qtbot):
    """Another connection's tab is hidden: its editor skips the debounced refresh (several
    tabs refreshing in one turn held the loop), and is brought up to date when shown."""
    w = _editor(qtbot)
    w.show()
    qtbot.waitExposed(w)
    w.topic_edit.setText("orders.eu")
    w.ingest(_event("orders.eu", 1, {"total": 1}))
    qtbot.waitUntil(lambda: "matches 1 of the last 1" in w.preview_label.text(), timeout=2000)
    w.hide()
    w.ingest(_event("orders.eu", 2, {"total": 2}))
    for _ in range(2):  # two refresh ticks: the first may have been due before the hide
        with qtbot.waitSignal(w.refresh_timer.timeout, timeout=2000):
            pass
    assert "matches 1 of the last 1" in w.preview_label.text()
    w.show()
    assert "matches 2 of the last 2" in w.preview_label.text()  # at once, on showing
