"""The proxy's own time per frame, for the benchmark: from the moment a read hands the pump its
bytes to the moment what they carried is written on (each frame of the read waited that long in
the proxy), and the garbage collector's pauses. Measured inside the proxy, these do not move with
the machine's load the way an end-to-end delay does; the same span in the thread's CPU time does
not move with it at all (a busy machine that takes the CPU away mid-read lengthens only the first).

Turned on by the environment variable named ``ENV`` (a file the figures are written to, as one
JSON object, when the proxy ends); off, nothing is measured."""

from __future__ import annotations

import gc
import json
import time
from array import array
from pathlib import Path
from typing import Any

ENV = "REALTIME_INSPECTOR_PROXY_TIMING"


class Timing:
    def __init__(self) -> None:
        self.reads = array("d")  # seconds from each read's return to its write
        self.cpu = array("d")  # the thread's CPU seconds over the same span
        self.frames = array("l")  # frames the read carried
        self.gc_pauses = array("d")  # seconds of each collection
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def read(self, seconds: float, cpu_seconds: float, frames: int) -> None:
        if frames:
            self.reads.append(seconds)
            self.cpu.append(cpu_seconds)
            self.frames.append(frames)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses.append(time.perf_counter() - self._gc_started)

    def close(self) -> None:
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)

    def summary(self) -> dict[str, Any]:
        """Per frame (each frame counted with its read's time): p50, p99, p99.9, max in ms, of the
        wall clock and of CPU time (``cpu_`` names); GC pauses, and the objects full collections
        pass over (gc.freeze)."""
        total = sum(self.frames)
        out: dict[str, Any] = {"frames": total, "reads": len(self.reads)}
        for prefix, times in (("", self.reads), ("cpu_", self.cpu)):
            pairs = sorted(zip(times, self.frames, strict=True))
            for name, share in (("p50_ms", 0.5), ("p99_ms", 0.99), ("p999_ms", 0.999)):
                out[prefix + name] = _weighted(pairs, total, share)
            out[prefix + "max_ms"] = round(pairs[-1][0] * 1000, 4) if pairs else None
        pauses = sorted(self.gc_pauses)
        out["gc"] = {"collections": len(pauses), "max_ms": round(pauses[-1] * 1000, 4) if pauses else None,
                     "total_ms": round(sum(pauses) * 1000, 3), "frozen": gc.get_freeze_count()}
        return out

    def write(self, path: str) -> None:
        Path(path).write_text(json.dumps(self.summary()) + "\n", encoding="utf-8")


def _weighted(pairs: list[tuple[float, int]], total: int, share: float) -> float | None:
    if not total:
        return None
    rank = share * total
    seen = 0
    for seconds, frames in pairs:
        seen += frames
        if seen >= rank:
            return round(seconds * 1000, 4)
    return round(pairs[-1][0] * 1000, 4)
