"""Members per topic from presence EVENTs, without Qt: a sync gives the list, a join or leave one
member and the count; queued as they come and applied in one pass, in arrival order."""

from __future__ import annotations

import random
from pathlib import Path

from presence_rule import presence_rule

from inspector.logstore.presence import Members, Presence
from inspector.protocol.frames import Event, encode
from inspector.protocol.heads import MemberChange, MemberChangeEvent, read_head


def presence(topic: str, data) -> Event:
    return Event(topic, "presence", 1, data)


def change(topic: str, action: str, member: str, members: int) -> MemberChangeEvent:
    return MemberChangeEvent(topic, 1, MemberChange(action, member, members))


def test_the_module_does_not_import_qt():
    import inspector.logstore.presence as module
    src = Path(module.__file__).read_text()
    assert "PySide6" not in src and "qasync" not in src


def test_sync_join_leave_and_untracked_topics():
    p = Presence()
    members = p.track("a")
    p.add(presence("a", {"action": "sync", "members": ["c-1", "c-2", 3]}))
    p.add(presence("b", {"action": "sync", "members": ["x"]}))  # not tracked: ignored
    p.add(change("a", "join", "c-3", 4))
    p.add(presence("a", {"action": "leave", "member": "c-1", "members": 3}))
    assert members == Members() and p.pending  # nothing applied until asked
    assert p.take_changed() == {"a"}
    assert members == Members(3, {"c-2", "c-3"}) and "b" not in p.topics
    assert p.take_changed() == set() and not p.pending


def test_forgetting_a_topic_applies_what_came_first_then_drops_it():
    p = Presence()
    p.track("a")
    p.add(change("a", "join", "c-1", 1))
    p.forget("a")
    p.add(change("a", "join", "c-2", 2))
    p.apply()
    assert p.topics == {} and p.changed == {"a"}
    assert p.track("a") == Members()  # a new subscription starts afresh


def test_odd_data_follows_the_rule():
    p = Presence()
    members = p.track("a")
    for data in (None, [], "join", {"members": True}, {"action": "kick", "member": "c", "members": 5},
                 {"action": "join", "member": 7, "members": "9"}, {"action": "join", "member": "c-1"}):
        p.add(presence("a", data))
    p.apply()
    assert members == Members(5, {"c-1"})


def test_batches_of_joins_and_leaves_read_whole_equal_the_rule_one_by_one():
    rng = random.Random(7)
    for trial in range(200):
        p = Presence()
        members = p.track("a")
        ids, count = set(), None
        for _ in range(rng.randrange(1, 6)):  # batches
            batch = []
            for _ in range(rng.randrange(0, 40)):
                topic = "a" if trial % 4 else rng.choice(["a", "b"])
                data = {"action": rng.choice(["join", "leave", "join", "kick"]), "member": f"c-{rng.randrange(5)}",
                        "members": rng.randrange(9)}
                if rng.random() < 0.05:
                    data = {"action": "sync", "members": [f"c-{rng.randrange(5)}" for _ in range(rng.randrange(3))]}
                head = read_head(encode(presence(topic, data)))
                batch.append(head if type(head) is MemberChangeEvent else presence(topic, data))
                if topic == "a":
                    ids, count = presence_rule(ids, count, data)
            p.extend(batch)
            p.apply()
            assert (members.ids, members.count) == (ids, count), trial
