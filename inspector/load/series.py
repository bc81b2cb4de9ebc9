"""Response times per wall-clock second and per (kind, name): the run's latency over time.

Locust's own statistics keep totals and a short rolling window; a run's report also wants
percentiles second by second. Each process that runs users counts its samples here; a worker
hands what it counted to the master with each report, and the master merges them, so the
series covers every process. Times are rounded as Locust rounds them (two significant digits
from 100 ms up), which keeps each second's histogram small.
"""

from __future__ import annotations

from typing import Any

Key = tuple[int, str, str]  # (second, kind, name)
PERCENTILES = (0.5, 0.9, 0.99)


def rounded(ms: float) -> int:
    if ms < 100:
        return round(ms)
    step: int = 10 ** (len(str(int(ms))) - 2)  # ms >= 100: a positive power
    return round(ms / step) * step


def percentile(histogram: dict[int, int], count: int, fraction: float) -> int:
    """The smallest time with at least ``fraction`` of ``count`` samples at or below it."""
    if count <= 0:
        return 0
    need = fraction * count
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= need:
            return ms
    return max(histogram)


class Series:
    def __init__(self) -> None:
        self._buckets: dict[Key, list[Any]] = {}  # key -> [count, failures, {ms: n}]
        self.users: dict[int, int] = {}  # second -> users running (the master's or local runner's view)

    def add(self, second: int, kind: str, name: str, ms: float, failed: bool) -> None:
        bucket = self._buckets.get((second, kind, name))
        if bucket is None:
            bucket = self._buckets[(second, kind, name)] = [0, 0, {}]
        bucket[0] += 1
        if failed:
            bucket[1] += 1
        else:
            hist = bucket[2]
            r = rounded(ms)
            hist[r] = hist.get(r, 0) + 1

    def drain(self) -> list[list[Any]]:
        """Everything counted so far, as plain lists (what a worker sends), and forget it."""
        out = [[s, k, n, c, f, sorted(h.items())] for (s, k, n), (c, f, h) in self._buckets.items()]
        self._buckets = {}
        return out

    def merge(self, rows: list[list[Any]]) -> None:
        for second, kind, name, count, failures, pairs in rows:
            bucket = self._buckets.get((second, kind, name))
            if bucket is None:
                bucket = self._buckets[(second, kind, name)] = [0, 0, {}]
            bucket[0] += count
            bucket[1] += failures
            hist = bucket[2]
            for ms, n in pairs:
                hist[int(ms)] = hist.get(int(ms), 0) + n

    def rows(self, start: float) -> list[dict[str, Any]]:
        """One row per second and (kind, name), ``t`` in whole seconds since the second ``start`` fell in."""
        first = int(start)
        out = []
        for (second, kind, name), (count, failures, hist) in sorted(self._buckets.items()):
            ok = count - failures
            row: dict[str, Any] = {"t": second - first, "kind": kind, "name": name,
                                   "count": count, "failures": failures}
            for p in PERCENTILES:
                row[f"p{round(p * 100)}"] = percentile(hist, ok, p) if ok else None
            row["max"] = max(hist) if hist else None
            out.append(row)
        return out
