"""Topic names: ASCII ``[a-z0-9._-]``, 1 to ``MAX_TOPIC_LENGTH`` characters.

See docs/protocol.md, "Topics and subscriptions".
"""

from __future__ import annotations

import re

from inspector.protocol.limits import MAX_TOPIC_LENGTH

_TOPIC_RE = re.compile(rf"[a-z0-9._-]{{1,{MAX_TOPIC_LENGTH}}}")
_BAD_CHAR_RE = re.compile(r"[^a-z0-9._-]")
ALLOWED = "a-z 0-9 . _ -"


def bad_character(topic: str) -> int | None:
    """The 0-based index of the first character a topic may not hold, or None."""
    bad = _BAD_CHAR_RE.search(topic)
    return bad.start() if bad else None


def topic_error(topic: object) -> str | None:
    """Why ``topic`` is not a valid topic name, or None when it is valid."""
    if not isinstance(topic, str):
        return "topic must be a string"
    if not topic:
        return "topic is empty"
    if len(topic) > MAX_TOPIC_LENGTH:
        return f"topic is {len(topic)} characters long (at most {MAX_TOPIC_LENGTH})"
    i = bad_character(topic)
    if i is not None:
        return f"character {topic[i]!r} at position {i} is not allowed (use {ALLOWED})"
    return None


def is_valid_topic(topic: object) -> bool:
    return isinstance(topic, str) and _TOPIC_RE.fullmatch(topic) is not None
