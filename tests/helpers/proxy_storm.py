"""A client reconnect storm beside steady pairs, through a proxy (or straight at a server).

``storm`` opens ``rate`` connections a second for ``seconds`` (each upgrades, gets a PING
answered, and closes) while ``steady`` connections keep exchanging protocol PINGs in
windows of ``window``; each steady PING's PONG must come back with its body, in order.
The pace is the caller's: the normal suite runs a short storm at a high rate, the
benchmark the issue's 100 a second for 10 s. Every connection has a token of its own, so
a server's per-token connection limit never refuses one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

PING, PONG = 0x20, 0x21


@dataclass
class StormFigures:
    connects: int = 0  # storm connections that upgraded and got their PING answered
    failed: list[str] = field(default_factory=list)  # why each other one did not
    connect_ms: list[float] = field(default_factory=list)  # upgrade to PONG, each storm connection
    before_ms: list[float] = field(default_factory=list)  # steady round trips before the storm
    during_ms: list[float] = field(default_factory=list)  # ... while it ran
    exchanged: int = 0  # steady PINGs answered, in order, with their body
    problems: list[str] = field(default_factory=list)  # steady PONGs missing, out of order or changed
    seconds: float = 0.0  # how long the storm took to start every connection


async def _open(url: str, token: str) -> ClientConnection:
    return await connect(url, additional_headers={"Authorization": f"Bearer {token}"}, ping_interval=None,
                         compression=None, open_timeout=10)


async def _pong(ws: ClientConnection) -> bytes:
    """The next PONG's body (the server's own PINGs and other frames are passed over)."""
    while True:
        data = await ws.recv()
        if isinstance(data, bytes) and data[:1] == bytes((PONG,)):
            return data[1:]


async def _one(url: str, k: int, figures: StormFigures) -> None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(10):
            ws = await _open(url, f"storm-{k}")
            async with ws:
                body = f"storm {k}".encode()
                await ws.send(bytes((PING,)) + body)
                if await _pong(ws) != body:
                    raise ValueError("a PONG with another body")
    except (OSError, TimeoutError, ValueError, WebSocketException) as exc:  # a figure, not a crash
        figures.failed.append(f"storm connection {k}: {type(exc).__name__}: {exc}")
        return
    figures.connects += 1
    figures.connect_ms.append((time.perf_counter() - started) * 1000)


class _Steady:
    def __init__(self, url: str, index: int, window: int, figures: StormFigures) -> None:
        self.url, self.index, self.window, self.figures = url, index, window, figures
        self.sent = 0

    async def rounds(self, ws: ClientConnection, until: asyncio.Event, into: list[float], at_least: int) -> None:
        """Windows of PINGs, each PONG checked, until ``until`` is set (and ``at_least`` windows)."""
        done = 0
        while not until.is_set() or done < at_least:
            try:
                await self._window(ws, into)
            except (TimeoutError, ValueError, WebSocketException) as exc:
                self.figures.problems.append(f"steady {self.index}: {type(exc).__name__}: {exc}")
                return
            done += 1

    async def _window(self, ws: ClientConnection, into: list[float]) -> None:
        bodies = [f"steady {self.index} #{self.sent + i}".encode() for i in range(self.window)]
        self.sent += self.window
        started = time.perf_counter()
        for body in bodies:
            await ws.send(bytes((PING,)) + body)
        for body in bodies:
            got = await asyncio.wait_for(_pong(ws), 10)
            if got != body:
                raise ValueError(f"{got.decode(errors='replace')!r} came where {body.decode()!r} was due")
            into.append((time.perf_counter() - started) * 1000)
            self.figures.exchanged += 1


async def storm(url: str, rate: float, seconds: float, steady: int = 4, window: int = 8,
                warm_rounds: int = 20) -> StormFigures:
    """Run the storm against ``url``; the figures say what each side saw."""
    figures = StormFigures()
    sockets = [await _open(url, f"steady-{i}") for i in range(steady)]
    clients = [_Steady(url, i, window, figures) for i in range(steady)]
    try:
        warmed = asyncio.Event()
        warmed.set()
        await asyncio.gather(*(c.rounds(ws, warmed, figures.before_ms, warm_rounds)
                               for c, ws in zip(clients, sockets, strict=True)))
        over = asyncio.Event()
        during = [asyncio.create_task(c.rounds(ws, over, figures.during_ms, 1))
                  for c, ws in zip(clients, sockets, strict=True)]
        total = round(rate * seconds)
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for k in range(total):
            due = start + k / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())  # the storm's pace
            tasks.append(asyncio.create_task(_one(url, k, figures)))
        figures.seconds = loop.time() - start
        await asyncio.gather(*tasks)
        over.set()
        await asyncio.gather(*during)
    finally:
        for ws in sockets:
            await ws.close()
    return figures
