"""A batch's heads as the store's columns: what read_head reads from each frame, laid out once
for the flood path and the recording reader (the store's side: test_frame_store_lazy)."""

from __future__ import annotations

import pytest
from framegen import LAYOUTS, batch, written

from inspector.logstore.event_heads import NO_SEQ, head_columns
from inspector.protocol.frames import Event
from inspector.protocol.heads import read_head


def rows(datas: list[bytes]) -> list[tuple]:
    cols = head_columns([read_head(d) for d in datas])
    return [(cols.topics[t], m, None if s == NO_SEQ else s)
            for t, m, s in zip(cols.topic.tolist(), cols.is_message.tolist(), cols.seq.tolist(), strict=True)]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_the_columns_hold_what_read_head_reads_frame_by_frame(layout):
    datas = batch(layout, topics=("orders.eu", "café/ü", "x"))
    datas[60] = written(60, layout, seq=5, type="order", topic="nested")  # data with keys like the head's
    heads = [read_head(d) for d in datas]
    assert rows(datas) == [(h.topic, h.type == "message", h.seq) for h in heads]


def test_topics_in_order_of_first_appearance_and_seqs_no_column_holds():
    heads = [Event("b", "message", 1, None, 2**63), Event("a", "presence", 1, None), Event("b", "message", 1, None, -5),
             Event("c", "message", 1, None, -(2**63) - 1), Event("a", "message", 1, None, 2**63 - 1)]
    cols = head_columns(heads)
    assert cols.topics == ["b", "a", "c"]
    assert cols.topic.tolist() == [0, 1, 0, 2, 1]
    assert cols.seq.tolist() == [NO_SEQ, NO_SEQ, -5, NO_SEQ, 2**63 - 1]
    assert cols.is_message.tolist() == [True, False, True, True, True]
    assert head_columns([Event("a", "message", 1, None, 7)]).seq.tolist() == [7]


def test_a_batch_of_only_messages_and_one_of_none():
    assert head_columns([Event("a", "message", 1, None, k) for k in range(3)]).is_message.tolist() == [True] * 3
    assert head_columns([Event("a", "presence", 1, None)] * 2).is_message.tolist() == [False] * 2
