"""The documented presence rule, one event at a time: what batched presence must end as."""

from __future__ import annotations

from typing import Any


def presence_rule(ids: set[str], count: int | None, data: Any) -> tuple[set[str], int | None]:
    """A member list resets; a join or leave names one member; an integer ``members`` is the count."""
    if not isinstance(data, dict):
        return ids, count
    members = data.get("members")
    if isinstance(members, list):
        return {m for m in members if isinstance(m, str)}, len(members)
    member = data.get("member")
    if isinstance(member, str):
        if data.get("action") == "join":
            ids = ids | {member}
        elif data.get("action") == "leave":
            ids = ids - {member}
    if isinstance(members, int) and not isinstance(members, bool):
        count = members
    return ids, count
