"""Ping bookkeeping: outstanding pings by body, RTT on a matching pong, misses.

Used by both sides: the client measures RTT with its own PINGs, the server counts
consecutive missed PONGs (any PONG resets the count).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from inspector.protocol.limits import PONG_TIMEOUT


class PingTracker:
    def __init__(self, timeout: float = PONG_TIMEOUT, max_outstanding: int = 64):
        self.timeout = timeout
        self.max_outstanding = max_outstanding
        self._outstanding: OrderedDict[bytes, float] = OrderedDict()
        self._counter = itertools.count(1)
        self.consecutive_missed = 0
        self.total_missed = 0

    def next_payload(self) -> bytes:
        """A fresh 8-byte body (a counter), unique within this tracker."""
        return next(self._counter).to_bytes(8, "big")

    def sent(self, payload: bytes, now: float) -> None:
        self._outstanding[bytes(payload)] = now
        while len(self._outstanding) > self.max_outstanding:
            self._outstanding.popitem(last=False)

    def pong(self, payload: bytes, now: float) -> float | None:
        """Record a PONG. Returns the RTT in seconds when it matches a ping we sent."""
        self.consecutive_missed = 0
        sent_at = self._outstanding.pop(bytes(payload), None)
        if sent_at is None:
            return None
        return max(0.0, now - sent_at)

    def expire(self, now: float) -> int:
        """Count pings older than ``timeout`` as missed. Returns how many expired now."""
        expired = [p for p, t in self._outstanding.items() if now - t >= self.timeout]
        for p in expired:
            del self._outstanding[p]
        self.consecutive_missed += len(expired)
        self.total_missed += len(expired)
        return len(expired)

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    def next_deadline(self) -> float | None:
        """When the oldest outstanding ping expires, or None."""
        if not self._outstanding:
            return None
        return next(iter(self._outstanding.values())) + self.timeout
