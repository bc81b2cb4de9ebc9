"""Toxiproxy's TCP toxics on one pair: what each does to the bytes of its stream.

latency (ms, jitter) delays each read before it goes on, in order; bandwidth (KB/s) and
slicer (average_size, size_variation, delay µs) pace and cut the bytes written; limit_data
(bytes) ends the pair once that many went through; timeout (ms) swallows the stream and
ends the pair after that long (0: never); reset_peer (ms) resets both TCP connections after
that long; slow_close (ms) holds back the close after the stream ends. Whether a toxic
applies to a pair is drawn once, with its toxicity.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Callable

from inspector.proxy.toxics import Toxic, ToxicSet


class PairToxics:
    def __init__(self, toxics: ToxicSet, rng: random.Random | None = None) -> None:
        self.set = toxics
        self.rng = rng or random.Random()
        self._draws: dict[str, bool] = {}
        self._armed: dict[str, asyncio.TimerHandle] = {}
        self.sent = {True: 0, False: 0}

    def active(self, c2s: bool) -> list[Toxic]:
        """The TCP toxics of the stream in this direction that apply to this pair."""
        out = []
        for toxic in self.set.tcp(c2s):
            draw = self._draws.get(toxic.name)
            if draw is None:
                draw = self._draws[toxic.name] = self.rng.random() < toxic.toxicity
            if draw:
                out.append(toxic)
        return out

    def arm(self, reset: Callable[[], None], abort: Callable[[], None]) -> None:
        """Start the clocks of reset_peer and timeout toxics (once each); stop those removed."""
        loop = asyncio.get_running_loop()
        live = set()
        for c2s in (True, False):
            for toxic in self.active(c2s):
                live.add(toxic.name)
                if toxic.name in self._armed:
                    continue
                if toxic.type == "reset_peer":
                    self._armed[toxic.name] = loop.call_later(toxic.number("timeout") / 1000, reset)
                elif toxic.type == "timeout" and toxic.number("timeout") > 0:
                    self._armed[toxic.name] = loop.call_later(toxic.number("timeout") / 1000, abort)
        for name in [n for n in self._armed if n not in live]:
            self._armed.pop(name).cancel()

    def cancel(self) -> None:
        for handle in self._armed.values():
            handle.cancel()
        self._armed.clear()

    async def before(self, c2s: bool, data: bytes, toxics: list[Toxic]) -> tuple[bytes, bool]:
        """The read as it goes on (b"" when swallowed), and whether the pair ends after it."""
        end = False
        for toxic in toxics:
            if toxic.type == "timeout":
                return b"", False
            if toxic.type == "latency":
                jitter = toxic.number("jitter")
                delay = toxic.number("latency") + (self.rng.uniform(-jitter, jitter) if jitter else 0.0)
                await asyncio.sleep(max(0.0, delay) / 1000)
            elif toxic.type == "limit_data":
                room = int(toxic.number("bytes")) - self.sent[c2s]
                if len(data) >= room:
                    data, end = data[:max(0, room)], True
        self.sent[c2s] += len(data)
        return data, end

    @staticmethod
    def shapes(toxics: list[Toxic]) -> bool:
        return any(t.type in ("bandwidth", "slicer") for t in toxics)

    async def write(self, writer: asyncio.StreamWriter, data: bytes, toxics: list[Toxic]) -> None:
        """``data`` written in slices and at the rate the toxics ask."""
        slicer = next((t for t in toxics if t.type == "slicer"), None)
        bandwidth = next((t for t in toxics if t.type == "bandwidth"), None)
        i = 0
        while i < len(data):
            size = len(data) - i
            if slicer is not None:
                average, spread = int(slicer.number("average_size", 1)), int(slicer.number("size_variation"))
                size = max(1, average + (self.rng.randint(-spread, spread) if spread else 0))
            piece = data[i:i + size]
            i += len(piece)
            writer.write(piece)
            await writer.drain()
            pause = slicer.number("delay") / 1e6 if slicer is not None else 0.0
            if bandwidth is not None and bandwidth.number("rate") > 0:
                pause += len(piece) / (bandwidth.number("rate") * 1000)
            if pause:
                await asyncio.sleep(pause)

    @staticmethod
    def close_delay(toxics: list[Toxic]) -> float:
        return max((t.number("delay") / 1000 for t in toxics if t.type == "slow_close"), default=0.0)


def reset_connection(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (linger 0), as Toxiproxy's reset_peer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
