"""Ctrl-C and SIGTERM end a long-running command through its own loop (tail, mock)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable


def stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """SIGINT and SIGTERM call ``stop`` on ``loop``. Where the loop cannot take signal handlers
    (Windows), Ctrl-C arrives as KeyboardInterrupt instead."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
