"""Toxiproxy's toxics, as the proxy keeps them: its TCP toxics (applied by each pair to the
bytes of a stream) and the proxy's message-level actions as further toxic types (kept as
rules). ``upstream`` is what the client sends, ``downstream`` what the server sends, as in
Toxiproxy; ``toxicity`` is the chance that a toxic applies to a connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspector.proxy.rules import ACTIONS

TCP_TYPES = ("latency", "bandwidth", "slow_close", "timeout", "reset_peer", "limit_data", "slicer")
_ATTRIBUTES = {
    "latency": ("latency", "jitter"), "bandwidth": ("rate",), "slow_close": ("delay",), "timeout": ("timeout",),
    "reset_peer": ("timeout",), "limit_data": ("bytes",), "slicer": ("average_size", "size_variation", "delay"),
}
STREAMS = ("upstream", "downstream")


class ToxicError(ValueError):
    """A toxic Toxiproxy would refuse (HTTP 400)."""


@dataclass
class Toxic:
    name: str
    type: str
    stream: str = "downstream"
    toxicity: float = 1.0
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def c2s(self) -> bool:
        return self.stream == "upstream"

    def number(self, key: str, default: float = 0.0) -> float:
        value = self.attributes.get(key, default)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "stream": self.stream, "toxicity": self.toxicity,
                "attributes": self.attributes}


def toxic_from_json(body: Any) -> Toxic:
    """A toxic from a Toxiproxy request body; ToxicError says what is wrong."""
    if not isinstance(body, dict):
        raise ToxicError("a toxic is a JSON object")
    kind = body.get("type")
    if kind not in TCP_TYPES and kind not in ACTIONS:
        raise ToxicError(f"unknown toxic type {kind!r}: one of {', '.join(TCP_TYPES + ACTIONS)}")
    stream = body.get("stream", "downstream")
    if stream not in STREAMS:
        raise ToxicError(f"stream must be upstream or downstream, not {stream!r}")
    toxicity = body.get("toxicity", 1.0)
    if not isinstance(toxicity, (int, float)) or not 0 <= toxicity <= 1:
        raise ToxicError("toxicity must be a number from 0 to 1")
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ToxicError("attributes must be an object")
    for key in _ATTRIBUTES.get(kind, ()):
        value = attributes.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ToxicError(f"{kind}: {key} must be a number, 0 or more")
    name = body.get("name") or f"{kind}_{stream}"
    return Toxic(str(name), kind, stream, float(toxicity), dict(attributes))


class ToxicSet:
    """One proxy's toxics by name; ``version`` tells pairs to look again."""

    def __init__(self) -> None:
        self.toxics: dict[str, Toxic] = {}
        self.version = 0

    def add(self, toxic: Toxic) -> None:
        self.toxics[toxic.name] = toxic
        self.version += 1

    def remove(self, name: str) -> Toxic | None:
        self.version += 1
        return self.toxics.pop(name, None)

    def tcp(self, c2s: bool) -> list[Toxic]:
        return [t for t in self.toxics.values() if t.type in TCP_TYPES and t.c2s == c2s]
