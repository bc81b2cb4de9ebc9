"""Kept spans: the parts of a session Keep marks, as row numbers.

Rows are numbered 1, 2, ... in the session's file order (``SessionReader`` row ``i`` is
number ``i + 1``). ``session.json`` holds them as ``"kept_spans": [[first, last], ...]``, both
ends included, in the order they were made; a span still being kept is ``[first, null]`` (a
session closed while keeping closes it at its last row, so a null survives only a crash, and
means "to the end"). A session with any span is never pruned whole. Pure bookkeeping: no files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

META_KEY = "kept_spans"


@dataclass
class KeptSpans:
    spans: list[tuple[int, int | None]] = field(default_factory=list)

    @property
    def keeping(self) -> bool:
        """A span is open: rows arriving now are kept."""
        return bool(self.spans) and self.spans[-1][1] is None

    @property
    def open_first(self) -> int | None:
        return self.spans[-1][0] if self.keeping else None

    def start(self, first: int) -> None:
        """Keep from row ``first`` on (a span already open is left as it is)."""
        if first < 1:
            raise ValueError(f"rows are numbered from 1, not {first}")
        if not self.keeping:
            self.spans.append((first, None))

    def stop(self, last: int) -> None:
        """Close the open span at row ``last``; a span that kept no row is forgotten."""
        if not self.keeping:
            return
        first = self.spans[-1][0]
        if last < first:
            self.spans.pop()
        else:
            self.spans[-1] = (first, last)

    def ranges(self, end: int) -> list[tuple[int, int]]:
        """The kept rows of a session of ``end`` rows as sorted, disjoint ``(first, last)`` ranges
        (an open span runs to ``end``; rows past ``end`` are not there)."""
        return merged([(first, end if last is None else min(last, end)) for first, last in self.spans])

    def rows(self, end: int) -> int:
        return sum(last - first + 1 for first, last in self.ranges(end))

    def describe(self, end: int) -> str:
        """``#1–500, #900–1,200`` and, while keeping, ``#1,300–… (keeping)``."""
        closed = merged([(a, min(b, end)) for a, b in self.spans if b is not None])
        parts = [f"#{a:,}–{b:,}" if a != b else f"#{a:,}" for a, b in closed]
        if self.open_first is not None:
            parts.append(f"#{self.open_first:,}–… (keeping)")
        return ", ".join(parts)

    def to_meta(self) -> list[list[int | None]]:
        return [[first, last] for first, last in self.spans]

    @classmethod
    def from_meta(cls, value: Any) -> KeptSpans:
        """The spans of a ``session.json`` value; entries that are not spans are left out."""
        spans: list[tuple[int, int | None]] = []
        if isinstance(value, list):
            for item in value:
                if not (isinstance(item, list) and len(item) == 2 and _number(item[0])
                        and (item[1] is None or _number(item[1]))):
                    continue
                first, last = int(item[0]), None if item[1] is None else int(item[1])
                if first >= 1 and (last is None or last >= first):
                    spans.append((first, last))
        return cls(spans)


def merged(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint ranges covering the same rows (touching ranges join; empty ones go)."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(r for r in ranges if r[1] >= r[0]):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def _number(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
