"""Whether the one running a store scan would rather not wait for the work the scan runs ahead
on threads of its own (no Qt, no pyarrow here: the GUI's scan runner imports it at start-up).

A runner on the GUI thread sets ``current`` to a ``Pace`` while it takes a scan's chunks; a scan
whose next chunk is still being searched then gives a chunk with no rows done, and sets
``Pace.behind``, instead of blocking: the runner gives the event loop back and asks again soon.
Anyone else (a plain loop, an export) waits, as before.
"""

from __future__ import annotations

from contextvars import ContextVar


class Pace:
    __slots__ = ("behind",)

    def __init__(self) -> None:
        self.behind = False  # a chunk was not ready: the scan gave one with no progress


current: ContextVar[Pace | None] = ContextVar("scan_pace", default=None)
