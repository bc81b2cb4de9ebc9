"""The subscription editor's preview fed as the client feeds it under load: message EVENTs undecoded."""

import json
import time

from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import Event, encode
from inspector.qt.session.subscriptions import RecentEvents, SubscriptionEditor


def _raw(topic, seq, data):
    """A message EVENT as the client reports it: bytes only, frame None."""
    return FrameSeen("c1", time.time(), IN, encode(Event(topic, "message", 1764300000000 + seq, data, seq)))


def test_preview_counts_undecoded_events(qtbot):
    w = SubscriptionEditor()
    qtbot.addWidget(w)
    w.show()  # the debounced refresh serves the editor on screen
    qtbot.waitExposed(w)
    for i in range(10):
        w.ingest(_raw("orders.eu", i, {"total": i * 30}))
    w.ingest(_raw("orders.us", 1, {"total": 999}))
    # a head that reads like orders.eu but a body that is not JSON: dropped when decoded
    w.ingest(FrameSeen("c1", time.time(), IN, b'\x10{"topic":"orders.eu","type":"message","seq":99,"ts":'))
    # not as encode() writes it (other key order): decoded at once, filed under its real topic
    odd = {"type": "message", "topic": "orders.eu", "ts": 1, "seq": 50, "data": {"total": 1000}}
    w.ingest(FrameSeen("c1", time.time(), IN, b"\x10" + json.dumps(odd).encode()))
    w.topic_edit.setText("orders.eu")
    w.filter_edit.setText("data.total > `100`")
    assert "matches 7 of the last 11 events on orders.eu" in w.preview_label.text()
    w.filter_edit.setText("")
    assert "matches 11 of the last 11" in w.preview_label.text()
    assert "data.total" in w.filter_edit.completer_model().stringList()
    # more raw events are counted on the next (debounced) refresh
    w.filter_edit.setText("data.total > `100`")
    w.ingest(_raw("orders.eu", 11, {"total": 500}))
    qtbot.waitUntil(lambda: "matches 8 of the last 12" in w.preview_label.text(), timeout=2000)
    assert w.recent.topics() == ["orders.eu", "orders.us"]


def test_ring_keeps_the_newest_per_topic_decoded_or_not():
    r = RecentEvents(per_topic=5)
    for i in range(4):
        r.add(Event("a", "message", i, {"i": i}, i))
    for i in range(4, 12):
        r.add_raw(encode(Event("a", "message", i, {"i": i}, i)))
    r.add_raw(encode(Event("a", "presence", 1, {"action": "sync", "members": []})))  # not a message: dropped
    assert [e.data["i"] for e in r.events("a")] == [8, 9, 10, 11]
    assert r.preview("a", "data.i > `9`") == (2, 4)
    r.add_raw(encode(Event("a", "message", 12, {"i": 12}, 12)))
    assert [e.data["i"] for e in r.events("a")] == [8, 9, 10, 11, 12]
    assert r.events("nothing") == []
