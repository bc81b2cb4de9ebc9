"""Seq gaps: messages a subscriber did not see, per (connection, topic).

``seq`` counts every message published to a topic before filtering
(docs/protocol.md, "Events"), so between two messages of one topic on one connection a jump
means messages missed; on a subscription made with a filter that is expected.
The rules are plain arithmetic so the vectorised readers apply them to whole
numpy columns; ``SeqGaps`` keeps the state between frames.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, overload


# The rules take ints, or numpy arrays of them: the Any overload keeps numpy out of the protocol package.
@overload
def jump(prev: int, seq: int) -> int: ...
@overload
def jump(prev: Any, seq: Any) -> Any: ...
def jump(prev: Any, seq: Any) -> Any:
    """Messages missed between ``prev`` and ``seq``: 0 none, >0 missing, <0 seq went back."""
    return seq - prev - 1


@overload
def expected(jump: int, filtered: bool) -> bool: ...
@overload
def expected(jump: Any, filtered: Any) -> Any: ...
def expected(jump: Any, filtered: Any) -> Any:
    """Whether a jump is what a filtered subscription makes (messages skipped, never back)."""
    return (jump > 0) & filtered


class SeqGaps:
    """The last seq and filter state per key (a (connection, topic) pair).

    Nothing resets on its own: a key keeps its last seq across resubscribes and
    reconnects (seq keeps counting on the server), so a jump there is reported.
    """

    __slots__ = ("_filtered", "_last")

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}
        self._filtered: set[Hashable] = set()

    def subscribed(self, key: Hashable, filtered: bool) -> None:
        """A SUBSCRIBE on ``key``: with a filter, its gaps are expected from now on."""
        if filtered:
            self._filtered.add(key)
        else:
            self._filtered.discard(key)

    def is_filtered(self, key: Hashable) -> bool:
        return key in self._filtered

    def message(self, key: Hashable, seq: int) -> tuple[int, bool]:
        """A message with ``seq`` on ``key``: (jump before it, whether that jump is expected)."""
        prev = self._last.get(key)
        self._last[key] = seq
        if prev is None:
            return 0, False
        j = seq - prev - 1  # jump() and expected(), spelled out: this runs once per frame
        return j, j > 0 and key in self._filtered

    def before(self, key: Hashable, first: int) -> int:
        """The seq ``jump`` measures the first of a run of messages from (no jump on a new key)."""
        prev = self._last.get(key)
        return first - 1 if prev is None else prev

    def ran_to(self, key: Hashable, last: int) -> None:
        """A run of messages on ``key`` (whose jumps the caller computed) ended with ``last``."""
        self._last[key] = last

    def reset(self) -> None:
        self._last.clear()
        self._filtered.clear()
