"""Who is on each subscribed topic, from its presence EVENTs (no Qt here; the subscription
editor shows it).

The rule, one event at a time in arrival order: a ``members`` list (a sync) gives the member
set and its count; otherwise a string ``member`` joins or leaves, and an integer ``members``
is the new count. Presence can arrive thousands of times a second, so events are only queued
as they come (``add``, ``extend``) and applied in one pass (``apply``) before anyone reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, eq
from typing import Any

from inspector.protocol.frames import Event
from inspector.protocol.heads import MemberChange, MemberChangeEvent

PresenceEvent = Event | MemberChangeEvent
"""A presence EVENT as the client hands it over: decoded, or a join or leave read whole."""

_data, _topic = attrgetter("data"), attrgetter("topic")
_action, _member = attrgetter("action"), attrgetter("member")


@dataclass
class Members:
    """One topic's members: the count the server last gave and the names seen."""

    count: int | None = None
    ids: set[str] = field(default_factory=set)


class Presence:
    """Members per tracked topic; presence on a topic not tracked is ignored."""

    def __init__(self) -> None:
        self.topics: dict[str, Members] = {}
        self.changed: set[str] = set()  # topics whose members changed since ``take_changed``
        self._queue: list[PresenceEvent] = []

    def track(self, topic: str) -> Members:
        """Start (or keep) counting ``topic``'s members; what was queued before applies first."""
        self.apply()
        members = self.topics.get(topic)
        if members is None:
            members = self.topics[topic] = Members()
        return members

    def forget(self, topic: str) -> None:
        self.apply()
        self.topics.pop(topic, None)

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    def add(self, ev: PresenceEvent) -> None:
        self._queue.append(ev)

    def extend(self, evs: list[Any]) -> None:
        self._queue += evs

    def take_changed(self) -> set[str]:
        """Apply the queue; the topics whose members changed since the last call."""
        self.apply()
        changed, self.changed = self.changed, set()
        return changed

    def apply(self) -> None:
        """Bring the members up to date with the queued presence, in arrival order."""
        queue, self._queue = self._queue, []
        if not queue or self._apply_changes(queue):
            return
        topics, changed = self.topics, self.changed
        for ev in queue:
            members = topics.get(ev.topic)
            if members is not None:
                _apply_one(members, ev.data)
                changed.add(ev.topic)

    def _apply_changes(self, queue: list[PresenceEvent]) -> bool:
        """``apply`` for a queue of joins and leaves on one topic, each read as the spec shapes it
        (``MemberChangeEvent``): the same result in a few passes in C, which the client's presence
        flood needs (bench/bench_flood.py's "presence" line). False = not such a queue, nothing done."""
        n = len(queue)
        topic = queue[0].topic
        members = self.topics.get(topic)
        if (members is None or list(map(type, queue)).count(MemberChangeEvent) != n
                or list(map(_topic, queue)).count(topic) != n):
            return False
        changes = list(map(_data, queue))
        actions = list(map(_action, changes))
        if actions.count("join") + actions.count("leave") != n:
            return False
        last = dict(zip(map(_member, changes), actions, strict=True))  # a member's last action decides
        ids = members.ids
        ids.update(compress(last, map(eq, last.values(), repeat("join"))))
        ids.difference_update(compress(last, map(eq, last.values(), repeat("leave"))))
        members.count = changes[-1].members
        self.changed.add(topic)
        return True


def _apply_one(members: Members, data: Any) -> None:
    """The rule for one event's data."""
    if type(data) is MemberChange:
        data = {"action": data.action, "member": data.member, "members": data.members}
    elif not isinstance(data, dict):
        return
    count = data.get("members")
    if isinstance(count, list):
        members.ids = {m for m in count if isinstance(m, str)}
        members.count = len(count)
        return
    member = data.get("member")
    if isinstance(member, str):
        action = data.get("action")
        if action == "join":
            members.ids.add(member)
        elif action == "leave":
            members.ids.discard(member)
    if isinstance(count, int) and not isinstance(count, bool):
        members.count = count
