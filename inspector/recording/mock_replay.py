"""``mock --replay FILE``: play a recording's server events to the mock's subscribers.

The recorded server→client EVENT stream (direction "in", kind EVENT) is delivered
through ``MockServer.deliver_event``, so each client gets what its own topics and
filters select. Timing is the recording's, scaled by ``speed`` (0 = as fast as
possible), and starts when the first client subscribes, so nothing plays to an
empty room. Decisions where the issue is silent:

- presence ``sync`` events are not replayed (they answer one recorded SUBSCRIBE; the
  mock sends each client its own); join/leave are.
- an event recorded on several connections (same bytes) is played once.
- ``ts`` becomes the delivery time (the spec's "server wall clock"); with ``loop``
  each pass raises ``seq`` by the recording's span per topic, so seq keeps growing.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import DecodeError, Event, decode_json_object, try_decode
from inspector.recording.format import RecordingError
from inspector.recording.reader import open_recording


def server_events(path: str | os.PathLike) -> list[tuple[float, dict]]:
    """(offset s, EVENT body) of every replayable server event in a recording or HAR."""
    rec = open_recording(path)
    seen: set[bytes] = set()
    out: list[tuple[float, dict]] = []
    for ev in rec.events(decode=False):
        if not isinstance(ev, FrameSeen) or ev.direction != IN or ev.text or not ev.data or ev.data[0] != 0x10:
            continue
        data = bytes(ev.data)
        if data in seen:
            continue
        frame = try_decode(data)
        if not isinstance(frame, Event) or (frame.type == "presence" and _action(frame) == "sync"):
            continue
        try:
            body = decode_json_object(data[1:])  # as recorded, key order and extra fields kept
        except DecodeError:
            continue
        seen.add(data)
        out.append((ev.t - rec.start, body))
    out.sort(key=lambda item: item[0])
    return out


def _action(frame: Event) -> Any:
    return frame.data.get("action") if isinstance(frame.data, dict) else None


def _seq_spans(events: list[tuple[float, dict]]) -> dict[str, int]:
    lo: dict[str, int] = {}
    hi: dict[str, int] = {}
    for _, body in events:
        seq = body.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            topic = body["topic"]
            lo[topic] = min(lo.get(topic, seq), seq)
            hi[topic] = max(hi.get(topic, seq), seq)
    return {topic: hi[topic] - lo[topic] + 1 for topic in lo}


async def wait_for_subscriber(server) -> None:
    """Return once any client has a subscription (at once when one already has)."""
    listeners = getattr(server, "listeners", None)
    stats = getattr(server, "stats", None)
    if listeners is None:
        return
    if stats is not None and stats().get("subscriptions", 0) > 0:
        return
    ready = asyncio.Event()

    def on_event(event: str, info: dict) -> None:
        if event == "subscribe":
            ready.set()

    listeners.append(on_event)
    try:
        await ready.wait()
    finally:
        listeners.remove(on_event)


async def play(server, path: str | os.PathLike, *, speed: float = 1.0, loop: bool = False,
               wait: bool = True) -> int:
    """Play the recording's server events through ``server``; returns events delivered.

    Raises RecordingError when the file is not a recording or holds no server events.
    """
    if not speed >= 0:
        raise ValueError(f"speed must be 0 or more, not {speed}")
    events = server_events(path)
    if not events:
        raise RecordingError(f"{os.path.basename(path)} holds no server events to replay")
    spans = _seq_spans(events)
    if wait:
        await wait_for_subscriber(server)
    clock = asyncio.get_running_loop().time
    first, last = events[0][0], events[-1][0]
    # a pass lasts the recording plus one typical gap, so the loop never runs back-to-back
    period = (last - first) * len(events) / (len(events) - 1) if len(events) > 1 and last > first else 1.0
    drained = getattr(server, "wait_drained", None)
    delivered = 0
    passes = 0
    while True:
        anchor = clock()
        for i, (offset, body) in enumerate(events, 1):
            if speed > 0:
                delay = anchor + (offset - first) / speed - clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif i % 256 == 0:
                    await asyncio.sleep(0)  # a recorded burst must not starve the clients
            elif drained is not None and i % 256 == 0:
                await drained()  # as fast as the clients take it, without piling up frames
            else:
                await asyncio.sleep(0)
            out = dict(body)
            out["ts"] = int(time.time() * 1000)
            if passes and "seq" in out and out["topic"] in spans:
                out["seq"] = out["seq"] + passes * spans[out["topic"]]
            try:
                delivered += server.deliver_event(out)
            except ValueError:
                continue  # a recorded body the mock refuses (bad topic): skip it, keep playing
        passes += 1
        if not loop:
            return delivered
        if speed > 0:
            await asyncio.sleep(max(0.0, anchor + period / speed - clock()))
