"""Recent message EVENTs kept as raw bytes are filed by the topic read_head reads, however a
server writes them, and decoded only when read."""

from __future__ import annotations

import json

from inspector.logstore.recent_events import DECODE_BUDGET, RecentEvents
from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.heads import read_head


def raw(topic: str, seq: int, **dumps) -> bytes:
    body = {"data": {"total": seq}, "seq": seq, "ts": 1, "type": "message", "topic": topic}
    return b"\x10" + json.dumps(body, **dumps).encode()


def test_raw_events_in_other_layouts_are_filed_by_topic_and_decoded_when_read():
    recent = RecentEvents(per_topic=3)
    for i in range(5):
        recent.add_raw(raw("orders.eu", i))
        recent.add_raw(raw("café", i, indent=1))  # caf\u00e9, pretty-printed
    assert recent.topics() == ["café", "orders.eu"]
    assert [e.seq for e in recent.events("café")] == [2, 3, 4]
    assert recent.preview("orders.eu", "data.total > `2`") == (2, 3)


def test_bodies_decode_rejects_are_dropped_when_read_and_ones_only_decode_reads_are_kept():
    recent = RecentEvents()
    recent.add_raw(b'\x10{"topic":"a","type":"message","seq":1,"ts":"soon","data":{}}')  # a head, a bad body
    recent.add_raw(b'\x10{"topic":"a\\ud800","type":"message","ts":1,"data":{}}')  # decode reads it, read_head not
    recent.add_raw(b'\x10{"topic":"a","type":"message","seq":2,"ts":1,"data":{}}')
    assert recent.topics() == ["a", "a\ud800"]
    assert [e.seq for e in recent.events("a")] == [2]
    assert len(recent.events("a\ud800")) == 1


def test_a_look_decodes_only_the_newest_bodies_within_its_budget():
    recent = RecentEvents(per_topic=100)
    filler = "x" * (DECODE_BUDGET // 10)
    for i in range(50):
        recent.add_raw(b"\x10" + json.dumps({"topic": "big", "type": "message", "seq": i, "ts": 1,
                                             "data": {"s": filler}}).encode())
    seqs = [e.seq for e in recent.events("big")]
    assert seqs == list(range(50 - len(seqs), 50))  # the newest, in order
    assert 5 <= len(seqs) < 10
    recent.add_raw(raw("big", 50))
    assert [e.seq for e in recent.events("big")][-2:] == [49, 50]  # decoded ones stay, new ones join them


def test_one_body_over_the_budget_is_still_read():
    recent = RecentEvents()
    recent.add_raw(b"\x10" + json.dumps({"topic": "huge", "type": "message", "seq": 1, "ts": 1,
                                         "data": {"s": "y" * (2 * DECODE_BUDGET)}}).encode())
    assert [e.seq for e in recent.events("huge")] == [1]


def test_a_frame_the_client_read_is_filed_by_the_head_it_read_not_read_again():
    data = raw("orders.eu", 1)
    seen = FrameSeen("c", 1.0, IN, data, None, False, read_head(data))
    unread = FrameSeen("c", 1.0, IN, raw("orders.us", 2), None, False)
    recent = RecentEvents()
    recent.incoming.extend([seen, unread, raw("orders.eu", 3)])
    assert recent.topics() == ["orders.eu", "orders.us"]
    assert [e.seq for e in recent.events("orders.eu")] == [1, 3]
    # the head is what files it: a head naming another topic files the frame there (and the body,
    # read when shown, then disagrees and the event is left out)
    odd = FrameSeen("c", 1.0, IN, raw("orders.eu", 4), None, False, read_head(raw("elsewhere", 4)))
    recent.incoming.append(odd)
    assert "elsewhere" in recent.topics()
    assert recent.events("elsewhere") == []


def test_a_flood_of_read_frames_on_one_topic_keeps_the_newest_in_order():
    frames = [FrameSeen("c", 1.0, IN, raw("orders.eu", i), None, False, read_head(raw("orders.eu", i)))
              for i in range(250)]
    recent = RecentEvents(per_topic=100)
    recent.incoming.extend(frames[:200])
    assert recent.topics() == ["orders.eu"] and not recent.incoming
    recent.incoming.extend(frames[200:])
    assert [e.seq for e in recent.events("orders.eu")] == list(range(150, 250))
    recent.incoming.extend([frames[0], FrameSeen("c", 1.0, IN, raw("b", 7), None, False, read_head(raw("b", 7)))])
    assert recent.topics() == ["b", "orders.eu"]  # two topics: frame by frame, as before
    assert [e.seq for e in recent.events("orders.eu")][-2:] == [249, 0]
