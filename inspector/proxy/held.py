"""Frames a hold rule parked (breakpoints): listed, then forwarded as they were or edited
(a JSON merge patch of the body, or the payload in hex), or dropped. Frames behind a held
one are not held up; a held frame whose pair ends is discarded (and logged so)."""

from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from inspector.proxy.rules import frame_kind, merge_patch_frame
from inspector.proxy.wire import RawFrame

if TYPE_CHECKING:
    from inspector.proxy.pair import Pair


@dataclass(frozen=True)
class Held:
    id: int
    pair: Pair
    c2s: bool
    frame: RawFrame
    t: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "conn": self.pair.index, "direction": "c2s" if self.c2s else "s2c",
                "kind": frame_kind(self.frame), "opcode": self.frame.opcode, "size": len(self.frame.payload),
                "t": self.t, "payload_b64": base64.b64encode(self.frame.payload).decode("ascii")}


class HeldFrames:
    def __init__(self) -> None:
        self.frames: dict[int, Held] = {}
        self._ids = itertools.count(1)

    def park(self, pair: Pair, c2s: bool, frame: RawFrame) -> Held:
        held = Held(next(self._ids), pair, c2s, frame, time.time())
        self.frames[held.id] = held
        if pair.log is not None:
            pair.log.note("held", id=held.id, direction="c2s" if c2s else "s2c")
            pair.log.flush()
        return held

    def forward(self, held_id: int, patch: Any = None, raw: bytes | None = None) -> bool:
        held = self.frames.pop(held_id, None)
        if held is None:
            return False
        frame = held.frame
        if raw is not None:
            frame = replace(frame, payload=raw)
        elif patch is not None:
            frame = merge_patch_frame(frame, patch)
        held.pair.release(held.c2s, frame)
        return True

    def drop(self, held_id: int) -> bool:
        return self.frames.pop(held_id, None) is not None

    def discard_pair(self, pair: Pair) -> int:
        """Forget the frames of a pair that ended; how many there were."""
        gone = [h for h in self.frames.values() if h.pair is pair]
        for held in gone:
            del self.frames[held.id]
        return len(gone)
