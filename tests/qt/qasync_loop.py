"""A qasync event loop for Qt tests that drive real clients and servers.

Every Qt test can ask for the ``qloop`` fixture (tests/qt/conftest.py provides it); run
coroutines with ``run(qloop, coro)``.
Tasks left at the end are cancelled and awaited before the loop closes.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
import qasync


@pytest.fixture
def qloop(qapp):
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=5))
        loop.close()
        asyncio.set_event_loop(None)
        # The closed loop's QObjects sit in reference cycles. Collect them here, on the
        # GUI thread: if a worker thread's GC deleted them, their Qt timers would stay
        # registered and fire on a dead object (segfault seen in the 8th test of a run).
        del loop
        gc.collect()


def run(loop, coro, timeout: float = 30.0):
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return loop.run_until_complete(guarded())


async def until(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``predicate`` on the running loop (Qt events keep flowing meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)
