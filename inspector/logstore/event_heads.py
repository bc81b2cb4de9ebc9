"""``heads.peek_event`` for a whole batch of frames at once, with numpy.

The flood path of the frame log and the recording reader: instead of a regular
expression and an ``int()`` per frame, rows are grouped by their head up to the
seq digits (each group's first row read by the protocol's ``EVENT_HEAD``), compared
as fixed-width windows of the joined bytes, and the seq digits read column-wise.
Anything the groups cannot vouch for gives None: the caller peeks frame by frame.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from inspector.protocol.heads import EVENT_HEAD

NO_SEQ = -(2**63)
_PAD = bytes(512)  # windows past the last row read zeros
_MAX_HEAD = 480  # longer heads (a long topic, much whitespace): frame by frame
_MAX_HEADS = 16  # distinct heads (topic, type, layout) per batch; more: frame by frame
_MAX_DIGITS = 18  # seqs that surely fit an int64


class BatchHeads(NamedTuple):
    sizes: np.ndarray          # int64 per row
    is_message: np.ndarray     # bool per row
    seq: np.ndarray            # int64 per row, NO_SEQ when none
    topic: np.ndarray          # index into topics per row
    topics: list[str]


class _Group(NamedTuple):
    cut: int          # head bytes shared by the group: up to the seq digits, or all of it
    topic: str
    is_message: bool
    has_seq: bool
    after_seq: bytes  # the head's bytes after the seq digits


def read_event_heads(datas: tuple[bytes, ...]) -> BatchHeads | None:
    """What ``peek_event`` reads from every frame of the batch, or None when any one is not
    a head it reads (or its head is not among the batch's first few layouts)."""
    n = len(datas)
    lens = np.fromiter(map(len, datas), np.int64, n)
    joined = b"".join(datas + (_PAD,))
    buf = np.frombuffer(joined, np.uint8)
    starts = np.zeros(n, np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    ends = starts + lens
    head_of = np.zeros(n, np.intp)
    groups: list[_Group] = []
    rows = np.arange(n)
    while len(rows):
        first = datas[rows[0]]
        m = EVENT_HEAD.match(first)
        if m is None or m.end() > _MAX_HEAD or len(groups) == _MAX_HEADS:
            return None
        try:
            topic, type_ = m[1].decode("utf-8"), m[2].decode("utf-8")
        except UnicodeDecodeError:
            return None
        has_seq = m[3] is not None
        cut = m.start(3) if has_seq else m.end()
        prefix = np.frombuffer(first[:cut], np.uint8)
        same = (_windows(buf, cut)[starts[rows]] == prefix).all(1) & (lens[rows] > cut)
        head_of[rows[same]] = len(groups)
        groups.append(_Group(cut, topic, type_ == "message", has_seq, first[m.end(3):m.end()] if has_seq else b""))
        rows = rows[~same]
    pos = starts + np.array([g.cut for g in groups], np.int64)[head_of]
    seq = np.full(n, NO_SEQ, np.int64)
    for k, g in enumerate(groups):
        if not g.has_seq:
            continue
        at = pos[head_of == k]
        digits = _windows(buf, _MAX_DIGITS + 1)[at] - np.uint8(48)  # non-digits wrap round to > 9
        count = (digits <= 9).argmin(1)  # 1 … 18 digits (0: none, or more), no leading zero
        if not count.all() or ((count > 1) & (digits[:, 0] == 0)).any():
            return None
        value = np.zeros(len(at), np.int64)
        for c in range(int(count.max())):  # Horner, a column at a time (seqs have a few digits)
            value = np.where(count > c, value * 10 + digits[:, c], value)
        seq[head_of == k] = value
        at += count
        if not (_windows(buf, len(g.after_seq))[at] == np.frombuffer(g.after_seq, np.uint8)).all():
            return None
        pos[head_of == k] = at + len(g.after_seq)
    if (pos >= ends).any() or (buf[ends - 1] != 125).any():  # nothing after the head, or not ending '}'
        return None
    topics = sorted({g.topic for g in groups})
    topic_of_group = np.array([topics.index(g.topic) for g in groups], np.intp)
    is_msg = np.array([g.is_message for g in groups], bool)[head_of]
    return BatchHeads(lens, is_msg, seq, topic_of_group[head_of], topics)


def _windows(buf: np.ndarray, width: int) -> np.ndarray:
    """Every ``width`` bytes of ``buf`` from each offset (a view: indexing it by row starts
    gathers fixed-width rows without an index matrix)."""
    return np.lib.stride_tricks.sliding_window_view(buf, width)
