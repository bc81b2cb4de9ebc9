"""``mock --replay``: play recorded server events to the mock's subscribers.

The recorded server→client EVENT stream (``recording.server_events`` reads it) is delivered
through ``MockServer.deliver_event``, so each client gets what its own topics and
filters select. Timing is the recording's, scaled by ``speed`` (0 = as fast as
possible), and starts when the first client subscribes, so nothing plays to an
empty room. Also:

- ``ts`` becomes the delivery time (the spec's "server wall clock"); with ``loop``
  each pass raises ``seq`` by the recording's span per topic, so seq keeps growing.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspector.mock.hub import EventSink


def _seq_spans(events: list[tuple[float, dict[str, Any]]]) -> dict[str, int]:
    lo: dict[str, int] = {}
    hi: dict[str, int] = {}
    for _, body in events:
        seq = body.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            topic = body["topic"]
            lo[topic] = min(lo.get(topic, seq), seq)
            hi[topic] = max(hi.get(topic, seq), seq)
    return {topic: hi[topic] - lo[topic] + 1 for topic in lo}


async def wait_for_subscriber(server: EventSink) -> None:
    """Return once any client has a subscription (at once when one already has)."""
    listeners = getattr(server, "listeners", None)
    stats = getattr(server, "stats", None)
    if listeners is None:
        return
    if stats is not None and stats().get("subscriptions", 0) > 0:
        return
    ready = asyncio.Event()

    def on_event(event: str, info: dict[str, Any]) -> None:
        if event == "subscribe":
            ready.set()

    listeners.append(on_event)
    try:
        await ready.wait()
    finally:
        listeners.remove(on_event)


async def play(server: EventSink, events: list[tuple[float, dict[str, Any]]], *, speed: float = 1.0, loop: bool = False,
               wait: bool = True) -> int:
    """Play recorded server events, (offset s, EVENT body) in time order, through ``server``;
    returns the events delivered. ValueError when there are none."""
    if not speed >= 0:
        raise ValueError(f"speed must be 0 or more, not {speed}")
    if not events:
        raise ValueError("no server events to replay")
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
            delivered += _deliver(server, body, passes, spans)
        passes += 1
        if not loop:
            return delivered
        if speed > 0:
            await asyncio.sleep(max(0.0, anchor + period / speed - clock()))


def _deliver(server: EventSink, body: dict[str, Any], passes: int, spans: dict[str, int]) -> int:
    """Deliver a copy of ``body`` stamped now, its seq raised past the earlier passes; to how many."""
    out = dict(body)
    out["ts"] = int(time.time() * 1000)
    if passes and "seq" in out and out["topic"] in spans:
        out["seq"] = out["seq"] + passes * spans[out["topic"]]
    try:
        return server.deliver_event(out)
    except ValueError:
        return 0  # a recorded body the mock refuses (bad topic): skip it, keep playing
