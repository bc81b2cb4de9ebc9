"""Reconnect delays (docs/protocol.md, "Client reconnect policy").

d(n) = min(30 s, 0.5 s × 2^n × U(0.75, 1.25)); the cap applies after the jitter.
n returns to 0 only after a connection stayed open for ``reset_after`` seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable

INITIAL = 0.5
CAP = 30.0
JITTER = 0.25
RESET_AFTER = 10.0


def delay_for(attempt: int, u: float, *, initial: float = INITIAL, cap: float = CAP) -> float:
    """Delay before attempt ``attempt`` given a jitter factor ``u`` in [0.75, 1.25]."""
    # 2**attempt overflows float for huge n; past the cap it no longer matters.
    exp = min(attempt, 64)
    return min(cap, initial * (2.0**exp) * u)


class Backoff:
    """Attempt counter and delay source. ``rng`` returns floats in [0, 1)."""

    def __init__(
        self,
        *,
        initial: float = INITIAL,
        cap: float = CAP,
        jitter: float = JITTER,
        reset_after: float = RESET_AFTER,
        rng: Callable[[], float] = random.random,
    ):
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
        self.reset_after = reset_after
        self._rng = rng
        self.attempt = 0
        self._opened_at: float | None = None

    def next_delay(self) -> float:
        """The delay before the next attempt; advances the attempt counter."""
        u = (1.0 - self.jitter) + 2.0 * self.jitter * self._rng()
        d = delay_for(self.attempt, u, initial=self.initial, cap=self.cap)
        self.attempt += 1
        return d

    def opened(self, now: float) -> None:
        self._opened_at = now

    def closed(self, now: float) -> None:
        """A connection ended; reset when it had stayed open long enough."""
        if self._opened_at is not None and now - self._opened_at >= self.reset_after:
            self.attempt = 0
        self._opened_at = None

    def reset(self) -> None:
        self.attempt = 0
        self._opened_at = None
