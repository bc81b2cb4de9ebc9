"""The numpy batch reader of EVENT heads reads what the protocol's peek_event reads, for
other servers' layouts too (the store's side: test_frame_store_lazy)."""

from __future__ import annotations

import pytest
from framegen import LAYOUTS, batch, written

from inspector.logstore.event_heads import NO_SEQ, read_event_heads
from inspector.protocol.heads import peek_events


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_batch_reader_reads_what_peek_event_reads(layout):
    datas = batch(layout)
    heads = read_event_heads(tuple(datas))
    assert heads is not None
    rows = [(heads.topics[t], m, None if s == NO_SEQ else s)
            for t, m, s in zip(heads.topic.tolist(), heads.is_message.tolist(), heads.seq.tolist(), strict=True)]
    assert rows == [(h.topic, h.type == "message", h.seq) for h in peek_events(datas)]


@pytest.mark.parametrize("extra", [
    {"seq": 5},                   # nested keys like the head's belong to data: the head is the frame's own
    {"type": "order"},
    {"note": "caf\u00e9"},        # escaped by json.dumps
])
def test_nested_keys_are_read_in_bulk_like_peek_event(extra):
    datas = batch(LAYOUTS["json.dumps defaults"])
    datas[60] = written(60, LAYOUTS["json.dumps defaults"], **extra)
    heads = read_event_heads(tuple(datas))
    assert heads is not None
    rows = [(heads.topics[t], m, None if s == NO_SEQ else s)
            for t, m, s in zip(heads.topic.tolist(), heads.is_message.tolist(), heads.seq.tolist(), strict=True)]
    assert rows == [(h.topic, h.type == "message", h.seq) for h in peek_events(datas)]


def test_topics_written_raw_are_read_in_bulk_escaped_ones_are_decoded():
    topics = ("orders.eu", "café/ü")
    raw_utf8 = batch(LAYOUTS["compact"], topics=topics)
    heads = read_event_heads(tuple(raw_utf8))
    assert heads is not None and heads.topics == sorted(topics)
    escaped = batch(LAYOUTS["json.dumps defaults"], topics=topics)  # caf\u00e9
    assert read_event_heads(tuple(escaped)) is None
    assert {h.topic for h in peek_events(escaped) if h is not None} == {"orders.eu"}
