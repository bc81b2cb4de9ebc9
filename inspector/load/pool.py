"""The token pool of a load process, and which token each simulated user takes.

The tokens arrive on the process's standard input (one per line), never on its command
line or in Locust's options, which a master forwards to its workers over the network.
Each machine's own ``realtime-inspector load`` reads its own pool.
"""

from __future__ import annotations

from inspector.protocol.limits import MAX_CONNECTIONS_PER_TOKEN
from inspector.redact import register_secret

TOKENS: list[str] = []


def set_tokens(lines: list[str]) -> None:
    TOKENS[:] = [t.strip() for t in lines if t.strip()]
    for token in TOKENS:
        register_secret(token)


def user_index(local: int, worker: int, workers: int) -> int:
    """A user's index across the run: Locust spreads users evenly over workers, so local
    counters interleaved by worker number cover 0 … users-1 without collisions."""
    return local * max(1, workers) + worker


def token_for(index: int) -> str | None:
    """Round robin: with N users and T tokens no token carries more than ceil(N / T) connections."""
    return TOKENS[index % len(TOKENS)] if TOKENS else None


def capacity(tokens: int) -> int:
    return tokens * MAX_CONNECTIONS_PER_TOKEN
