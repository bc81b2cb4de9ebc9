"""Recent message EVENTs per topic, for the subscription editor's preview and completion."""

from __future__ import annotations

import re
from collections import deque
from operator import attrgetter

from inspector.protocol.events import FrameSeen
from inspector.protocol.filters import compile_filter
from inspector.protocol.frames import Event, try_decode
from inspector.protocol.heads import read_head
from inspector.protocol.limits import MAX_SUBSCRIPTIONS

RECENT_PER_TOPIC = 100  # events kept per topic for the preview and completion
MAX_PATHS = 400
# Bytes of new bodies a look decodes per topic at most (the newest first): the editor looks twice a
# second, and 100 bodies of 60 KB would hold the GUI for a tenth of a second each time.
# bench/bench_flood.py's "body8k" and "body60k" lines.
DECODE_BUDGET = 256 * 1024
_ONLY_FRAMES = {FrameSeen}
_HEAD, _TOPIC, _DATA = attrgetter("head"), attrgetter("topic"), attrgetter("data")


class RecentEvents:
    """A small ring of recent message EVENTs per topic (fed from FrameSeen).

    Under a flood the client leaves message EVENTs undecoded. Those wait as raw bytes
    in ``incoming`` (appending is all a frame costs) and are filed by topic, read from
    their head, when the preview, completion or topic list next looks; they
    are decoded only when a preview or completion reads them, and bytes that turn out
    not to be a valid message EVENT of that topic are dropped then. ``incoming`` keeps
    the newest ``per_topic`` x 64 (the subscription limit): more than that between two
    looks (the editor looks twice a second) may leave a quiet topic's older events out. A look
    decodes at most ``DECODE_BUDGET`` bytes of a topic's new bodies, the newest: with large bodies
    fewer than ``per_topic`` recent events are kept.
    """

    def __init__(self, per_topic: int = RECENT_PER_TOPIC):
        self.per_topic = per_topic
        self._by_topic: dict[str, deque[Event | bytes]] = {}
        # the bytes, or the frame as received: its head, when the client read it, is not read again
        self.incoming: deque[bytes | FrameSeen] = deque(maxlen=per_topic * MAX_SUBSCRIPTIONS)

    def add(self, ev: Event) -> None:
        self._settle()
        self._ring(ev.topic).append(ev)

    def add_raw(self, data: bytes) -> None:
        """A message EVENT as received, not decoded yet."""
        self.incoming.append(data)

    def _settle(self) -> None:
        incoming = self.incoming
        if incoming and self._settle_one_topic():
            return
        while incoming:
            item = incoming.popleft()
            if isinstance(item, bytes):
                data, head = item, read_head(item)
            else:
                data = item.data
                head = item.head if item.head is not None else read_head(data)
            if head is not None:  # its type is checked with the body, when read
                self._ring(head.topic).append(data)
                continue
            frame = try_decode(data)  # a body read_head does not read: decode now
            if type(frame) is Event and frame.type == "message":
                self._ring(frame.topic).append(frame)

    def _settle_one_topic(self) -> bool:
        """A flood's case, in C passes rather than a Python step per frame: frames whose heads the
        client read, all of one topic; only the newest ``per_topic`` are kept. False = not that
        case, nothing done. bench/bench_flood.py's "compact" and "nested1k" lines."""
        items = list(self.incoming)
        if set(map(type, items)) != _ONLY_FRAMES:
            return False
        heads = list(map(_HEAD, items))
        if heads.count(None):
            return False
        topics = set(map(_TOPIC, heads))
        if len(topics) != 1:
            return False
        self.incoming.clear()
        self._ring(topics.pop()).extend(map(_DATA, items[-self.per_topic:]))
        return True

    def _ring(self, topic: str) -> deque[Event | bytes]:
        ring = self._by_topic.get(topic)
        if ring is None:
            ring = self._by_topic[topic] = deque(maxlen=self.per_topic)
        return ring

    def topics(self) -> list[str]:
        self._settle()
        return sorted(self._by_topic)

    def events(self, topic: str) -> list[Event]:
        self._settle()
        ring = self._by_topic.get(topic)
        if ring is None:
            return []
        events = [e for e in ring if type(e) is Event]
        if len(events) != len(ring):  # bytes among them
            events = [e for e in map(_as_message, _newest_within(ring, DECODE_BUDGET)) if e is not None
                      and e.topic == topic]
            ring.clear()
            ring.extend(events)  # decoded once; the ring keeps its place for new events
        return events

    def preview(self, topic: str, expression: str) -> tuple[int, int]:
        """(matching, total) of the recent events on ``topic``. Raises FilterError."""
        compiled = compile_filter(expression)
        events = self.events(topic)
        if compiled is None:
            return len(events), len(events)
        return sum(1 for e in events if compiled.matches(e.body())), len(events)

    def field_paths(self, topic: str | None = None) -> list[str]:
        """Dotted paths of the keys seen in recent bodies (``data.total`` ...)."""
        paths: set[str] = set()
        self._settle()
        topics = [topic] if topic in self._by_topic else list(self._by_topic)
        for t in topics:
            for ev in self.events(t)[-20:]:
                _collect(ev.body(), "", paths, 0)
                if len(paths) >= MAX_PATHS:
                    break
        return sorted(paths)


def _newest_within(ring: deque[Event | bytes], budget: int) -> list[Event | bytes]:
    """The newest items of ``ring``, oldest first, whose undecoded bytes add up to ``budget`` at most
    (the newest always): older ones are left out rather than decoded."""
    kept: list[Event | bytes] = []
    for item in reversed(ring):
        if type(item) is bytes:
            if budget < len(item) and kept:
                break
            budget -= len(item)
        kept.append(item)
    kept.reverse()
    return kept


def _as_message(item: Event | bytes) -> Event | None:
    if isinstance(item, Event):
        return item
    frame = try_decode(item)
    return frame if type(frame) is Event and frame.type == "message" else None


def _collect(obj: object, prefix: str, out: set[str], depth: int) -> None:
    if depth > 4 or not isinstance(obj, dict) or len(out) >= MAX_PATHS:
        return
    for key, value in obj.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            continue  # would need quoting in JMESPath; skip rather than suggest wrong syntax
        path = f"{prefix}.{key}" if prefix else key
        out.add(path)
        _collect(value, path, out, depth + 1)
