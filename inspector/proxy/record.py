"""``--record``: both sides of every pair in one recording. Each pair is a connection of
its own (``conn`` is the pair's index); what the client sent is ``out``, what the server
sent is ``in``, as in a recording ``tail`` makes, so ``replay`` and the exports read it."""

from __future__ import annotations

import time

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.proxy.pair_names import RECORDING_PROFILE
from inspector.proxy.wire import MessageJoiner, RawFrame
from inspector.recording.writer import RecordingWriter


class PairRecorder:
    def __init__(self, writer: RecordingWriter) -> None:
        self.writer = writer
        self._joiners: dict[tuple[int, bool], MessageJoiner] = {}

    @classmethod
    def open(cls, path: str, upstream_url: str) -> PairRecorder:
        return cls(RecordingWriter(path, profile=RECORDING_PROFILE, url=upstream_url))

    def frame(self, pair: int, c2s: bool, frame: RawFrame) -> None:
        """A frame as it arrived at the proxy: messages are recorded once whole."""
        joiner = self._joiners.get((pair, c2s))
        if joiner is None:
            joiner = self._joiners[pair, c2s] = MessageJoiner()
        joined = joiner.add(frame)
        if joined is not None:
            data, text, _ = joined
            self.writer.write_event(FrameSeen(str(pair), time.time(), OUT if c2s else IN, data, text=text))

    def forget(self, pair: int) -> None:
        self._joiners.pop((pair, True), None)
        self._joiners.pop((pair, False), None)

    def close(self) -> None:
        self.writer.close()
