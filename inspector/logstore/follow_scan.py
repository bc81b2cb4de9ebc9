"""A filter's rows found a step at a time over a log that keeps growing (no Qt here).

``FollowScan`` runs ``match_chunks`` (the ring's ``FrameStore`` or a session's ``LogRows``)
over the log's rows from ``lo`` up to its end, and then over the rows that arrived meanwhile,
so that a view showing its results in order can go on taking new rows itself, one small step
at a time, once the scan is done. ``frontier`` is the first number not looked at yet: every
row below it that the query keeps has been yielded, exactly once, in ascending order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from inspector.logstore.frame_store import Query
    from inspector.logstore.log_rows import Rows

TAIL_ROWS = 4096   # rows the scan may leave to its owner's next step (a few ms, whatever the query)
FOLLOW_ROUNDS = 3  # rounds over rows that came during the scan: a flood faster than the scan ends it


class FollowScan:
    def __init__(self, rows: Rows, query: Query, lo: int, end: Callable[[], int]) -> None:
        """``end()``: one past the last number to look at now (the log's end; fixed while paused)."""
        self.rows = rows
        self.query = query
        self.lo = lo
        self.frontier = lo
        self.target = lo
        self._end = end

    def __call__(self) -> Iterator[tuple[int, int, npt.NDArray[np.int64]]]:
        """(rows looked at, rows to look at, the step's numbers ascending), as ``match_chunks``."""
        rounds = 0
        while True:
            self.target = max(self.target, self._end())
            left = self.target - self.frontier
            if left <= 0 or (rounds and (left <= TAIL_ROWS or rounds > FOLLOW_ROUNDS)):
                return
            start = max(self.frontier, self.rows.first_number)
            for done, _, numbers in self.rows.match_chunks(self.query, start, self.target):
                self.frontier = start + done
                yield self.frontier - self.lo, self.target - self.lo, numbers
            self.frontier = self.target
            rounds += 1
