"""The app's proxy: a ProxyServer on its own asyncio loop in the thread ``proxy-server`` (as the
embedded mock runs), so forwarding never waits on the GUI and a flood never starves it.

What the proxy sees reaches the GUI as queued Qt signals of ``ProxyBridge``; what the GUI
asks (rules, held frames, inject, close) runs on the proxy's loop through ``call``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from inspector.mock.thread import LoopThread
from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.proxy.held import Held, HeldFrames
from inspector.proxy.pair import Pair
from inspector.proxy.pair_names import pair_conn
from inspector.proxy.record import PairRecorder
from inspector.proxy.server import ProxyConfig, ProxyServer
from inspector.proxy.wire import MessageJoiner, RawFrame
from inspector.recording.format import RecordingError


class ProxyBridge(QObject):
    """Signals from the proxy's thread; connected slots run on the GUI thread (queued)."""

    frames = Signal(object)  # list[FrameSeen]
    note = Signal(str, str, object)  # pair conn name, event (open, closed, ...), its fields
    held_added = Signal(object)  # held frames parked (Held.as_json), in order
    held_gone = Signal(object)  # ids of held frames forwarded or dropped
    discarded = Signal(object)  # ids of held frames whose pair ended
    recording_failed = Signal(str)  # the recording stopped (disk full, ...): why


def conn_name(index: int, proxy: int = 1) -> str:
    """The pair's connection name in the log (its pair filter is the log's connection filter);
    ``proxy``, the number of the app's proxy it goes through."""
    return pair_conn(index, proxy)


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
    """Held frames that tell the GUI what changed (each change, not the whole list: a queue of
    many held frames costs the GUI one row per change)."""

    def __init__(self, bridge: ProxyBridge) -> None:
        super().__init__()
        self.bridge = bridge

    def park(self, pair: Pair, c2s: bool, frame: RawFrame) -> Held:
        held = super().park(pair, c2s, frame)
        self.bridge.held_added.emit([held.as_json()])
        return held

    def forward(self, held_id: int, patch: Any = None, raw: bytes | None = None) -> bool:
        done = super().forward(held_id, patch, raw)
        if done:
            self.bridge.held_gone.emit([held_id])
        return done

    def drop(self, held_id: int) -> bool:
        done = super().drop(held_id)
        if done:
            self.bridge.held_gone.emit([held_id])
        return done

    def forward_all(self) -> None:
        ids = sorted(self.frames)
        for held_id in ids:
            super().forward(held_id)
        self.bridge.held_gone.emit(ids)

    def discard_pair(self, pair: Pair) -> int:
        gone = [h.id for h in self.frames.values() if h.pair is pair]
        count = super().discard_pair(pair)
        if gone:
            self.bridge.discarded.emit(gone)
        return count


class ProxyThread(LoopThread[ProxyServer]):
    """``start()`` listens (blocking until it does, a bind error raised here); ``call`` runs a
    function on the proxy's loop and returns its result; ``stop()`` ends every pair and the thread."""

    def __init__(self, config: ProxyConfig, bridge: ProxyBridge, proxy: int = 1) -> None:
        config.log_factory = lambda conn, client, upstream: BridgeLog(bridge, conn_name(int(conn), proxy), client,
                                                                      upstream)
        config.on_frame = self._record
        self._recorder: PairRecorder | None = None
        self._bridge = bridge
        super().__init__(ProxyServer(config), name="proxy-server")
        self.server.held = BridgeHeld(bridge)

    def record_to(self, path: str | None, upstream_url: str) -> None:
        """On the proxy's loop: record both sides of every pair to ``path`` from now on (None: stop)."""
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
        if path is not None:
            self._recorder = PairRecorder.open(path, upstream_url)

    def _record(self, index: int, c2s: bool, frame: RawFrame) -> None:
        recorder = self._recorder
        if recorder is None:
            return
        try:
            recorder.frame(index, c2s, frame)
        except RecordingError as exc:  # the forwarding goes on; the recording stops, and says why
            self._recorder = None
            with contextlib.suppress(RecordingError):
                recorder.close()
            self._bridge.recording_failed.emit(str(exc))

    def start(self, timeout: float = 10) -> str:
        self.start_thread(timeout)
        return self.server.listen

    async def stop_server(self) -> None:
        await self.server.close()
        self.record_to(None, "")
