"""What a log's filtered view asks of its rows (``Query``), and the kind values a row stores
beside the protocol's kind bytes. No codec here: the app's empty log is built before the
ring's module (``frame_store``, which names these too) and the codec load."""

from __future__ import annotations

from dataclasses import dataclass

KIND_EMPTY = -1  # an empty message: no kind byte
KIND_TEXT = -2   # a text frame: never valid in this protocol
KIND_SESSION = -3  # a connection event (state, subscription, missed PONG): a row, not a frame


@dataclass(frozen=True)
class Query:
    """What a filtered view keeps; ``None`` / empty means "any"."""

    kinds: frozenset[int] | None = None   # stored kind values
    direction: str | None = None          # IN or OUT
    conn: str | None = None
    topic: str = ""                        # exact, or a prefix when it ends with "*"
    text: str = ""                         # case-insensitive, in topic or body

    @property
    def is_all(self) -> bool:
        return self.kinds is None and self.direction is None and self.conn is None and not self.topic and not self.text
