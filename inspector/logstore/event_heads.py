"""The heads of a batch of EVENTs as numpy columns: the log's flood path and the recording reader.

The heads come from ``heads.read_head`` (or a decoded ``Event``); this only lays them out
as the columns ``FrameStore`` keeps, so both readers store a head the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple, Protocol

from inspector.lazy_module import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:  # an empty log needs no numpy: the window paints before it loads
    np = lazy_module("numpy")

NO_SEQ = -(2**63)  # the seq column's "none": no seq, or one no int64 holds


class HeadFields(Protocol):
    """What the store reads of a head: ``heads.Head``, or a decoded Event."""

    @property
    def topic(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def seq(self) -> int | None: ...


class HeadColumns(NamedTuple):
    topic: np.ndarray       # int32 per row: index into topics
    seq: np.ndarray         # int64 per row, NO_SEQ when none
    is_message: np.ndarray  # bool per row
    topics: list[str]       # each topic once, in order of first appearance


def head_columns(heads: Sequence[HeadFields]) -> HeadColumns:
    """Columns of ``heads`` (as ``read_head`` reads them, or decoded Events)."""
    n = len(heads)
    names = list(map(_topic, heads))  # attribute reads in C: no Python step per head
    if n and names.count(names[0]) == n:  # a flood on one topic
        topic = np.zeros(n, np.int32)
        index = {names[0]: 0}
    else:
        index = {}
        topic = np.fromiter([index.setdefault(name, len(index)) for name in names], np.int32, n)
    seqs = list(map(_seq, heads))
    try:
        seq = np.array([NO_SEQ if s is None else s for s in seqs], np.int64)
    except OverflowError:  # a seq beyond int64: stored as none, like the frame-by-frame path does
        seq = np.array([s if s is not None and NO_SEQ < s < 2**63 else NO_SEQ for s in seqs], np.int64)
    types = list(map(_type, heads))
    # all messages, as under a flood: one count in C, no call per head (bench/bench_flood.py's "compact" line)
    is_message = (np.ones(n, bool) if types.count(_MESSAGE) == n
                  else np.fromiter(map(_MESSAGE.__eq__, types), bool, n))
    return HeadColumns(topic, seq, is_message, list(index))


_topic, _type, _seq = attrgetter("topic"), attrgetter("type"), attrgetter("seq")
_MESSAGE = "message"
