"""Run coroutines on the ``qloop`` fixture's qasync loop (tests/qt/conftest.py): ``run(qloop, coro)``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import net_kit

T = TypeVar("T")


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    async def guarded() -> T:
        return await asyncio.wait_for(coro, timeout)
    return loop.run_until_complete(guarded())


async def until(predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> None:
    """Poll ``predicate`` on the running loop (Qt events keep flowing meanwhile)."""
    await net_kit.until(predicate, what, timeout)
