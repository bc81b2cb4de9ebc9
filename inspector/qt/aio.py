"""Background tasks started from Qt slots: kept referenced, errors reported, cancelled on quit.

Qt slots must not block and must not lose exceptions. ``Tasks.spawn`` runs a
coroutine on the qasync loop; a failure goes to ``on_error`` (status bar + log)
instead of vanishing with an unreferenced task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from inspector.redact import scrub

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("inspector.qt")

T = TypeVar("T")

CANCEL_WAIT = 5.0  # seconds cancel_all waits for the cancelled tasks to finish


class Tasks:
    def __init__(self, on_error: Callable[[str], None] | None = None):
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_error = on_error

    def spawn(self, coro: Coroutine[Any, Any, T], name: str = "") -> asyncio.Task[T]:
        import asyncio  # the window holds a Tasks before the loop (and asyncio) is there
        task = asyncio.get_event_loop().create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            text = scrub(f"{task.get_name()}: {type(exc).__name__}: {exc}")
            log.error("task failed: %s", text)
            if self.on_error is not None:
                self.on_error(text)

    def __len__(self) -> int:
        return len(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every task and wait (bounded) for them to finish."""
        import asyncio
        tasks = [t for t in self._tasks if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CANCEL_WAIT)
