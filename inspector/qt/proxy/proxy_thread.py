"""The app's proxy: a ProxyServer on its own asyncio loop in the thread ``proxy-server`` (as the
embedded mock runs), so forwarding never waits on the GUI and a flood never starves it.

What the proxy sees reaches the GUI as queued Qt signals of ``ProxyBridge``; what the GUI
asks (rules, held frames, inject, close) runs on the proxy's loop through ``call``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.proxy.held import HeldFrames
from inspector.proxy.pair import Pair
from inspector.proxy.server import ProxyConfig, ProxyServer
from inspector.proxy.wire import MessageJoiner, RawFrame

CALL_TIMEOUT_S = 5.0


class ProxyBridge(QObject):
    """Signals from the proxy's thread; connected slots run on the GUI thread (queued)."""

    frames = Signal(object)  # list[FrameSeen]
    note = Signal(str, str, object)  # pair conn name, event (open, closed, ...), its fields
    held = Signal(object)  # list of held frames (Held.as_json), after each change
    discarded = Signal(object)  # ids of held frames whose pair ended


def conn_name(index: int) -> str:
    """The pair's connection name in the log (its pair filter is the log's connection filter)."""
    return f"p{index}"


class BridgeLog:
    """A pair's PairLog: data frames become FrameSeen (client → server is OUT), batched per read."""

    def __init__(self, bridge: ProxyBridge, conn: str, client: str, upstream: str) -> None:
        self.bridge, self.conn, self.client, self.upstream = bridge, conn, client, upstream
        self._joiners = {True: MessageJoiner(), False: MessageJoiner()}
        self._batch: list[FrameSeen] = []

    def note(self, event: str, t: float | None = None, **fields: Any) -> None:
        self.flush()
        self.bridge.note.emit(self.conn, event, {"client": self.client, "upstream": self.upstream, **fields})

    def frame(self, c2s: bool, frame: RawFrame, violation: object = None, action: str | None = None,
              t: float | None = None) -> None:
        joined = self._joiners[c2s].add(frame)
        if joined is not None:
            whole, text, _count = joined
            self._batch.append(FrameSeen(self.conn, time.time() if t is None else t, OUT if c2s else IN, whole,
                                         text=text))

    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self.bridge.frames.emit(batch)

    async def caught_up(self) -> None:
        """Signals never wait."""


class BridgeHeld(HeldFrames):
    """Held frames that tell the GUI of each change."""

    def __init__(self, bridge: ProxyBridge) -> None:
        super().__init__()
        self.bridge = bridge

    def changed(self) -> None:
        self.bridge.held.emit([h.as_json() for h in self.frames.values()])

    def park(self, pair: Pair, c2s: bool, frame: RawFrame) -> None:
        super().park(pair, c2s, frame)
        self.changed()

    def forward(self, held_id: int, patch: Any = None, raw: bytes | None = None) -> bool:
        done = super().forward(held_id, patch, raw)
        self.changed()
        return done

    def drop(self, held_id: int) -> bool:
        done = super().drop(held_id)
        self.changed()
        return done

    def forward_all(self) -> None:
        for held_id in sorted(self.frames):
            super().forward(held_id)
        self.changed()

    def discard_pair(self, pair: Pair) -> int:
        gone = [h.id for h in self.frames.values() if h.pair is pair]
        count = super().discard_pair(pair)
        if gone:
            self.bridge.discarded.emit(gone)
            self.changed()
        return count


class ProxyThread:
    """``start()`` listens (blocking until it does, a bind error raised here); ``call`` runs a
    function on the proxy's loop and returns its result; ``stop()`` ends every pair and the thread."""

    def __init__(self, config: ProxyConfig, bridge: ProxyBridge) -> None:
        config.log_factory = lambda conn, client, upstream: BridgeLog(bridge, conn_name(int(conn)), client, upstream)
        self.server = ProxyServer(config)
        self.server.held = BridgeHeld(bridge)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10) -> str:
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="proxy-server", daemon=True)
        self._thread.start()
        try:
            started.result(timeout)
        except BaseException:
            self._thread.join(timeout)
            raise
        return self.server.listen

    def _run(self, started: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(started))
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, started: concurrent.futures.Future[None]) -> None:
        self._stopped = asyncio.Event()
        try:
            await self.server.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            started.set_exception(exc)
            return
        started.set_result(None)
        try:
            await self._stopped.wait()
        finally:
            await self.server.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the proxy's loop; its result (or exception) here."""
        loop = self._loop
        if loop is None or not self.running:
            raise RuntimeError("the proxy is not running")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except Exception as exc:  # noqa: BLE001 - handed to the calling thread
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(CALL_TIMEOUT_S)

    def stop(self, timeout: float = 10) -> None:
        thread, loop, stopped = self._thread, self._loop, self._stopped
        if thread is None or not thread.is_alive() or loop is None or stopped is None:
            return
        loop.call_soon_threadsafe(stopped.set)
        thread.join(timeout)
