"""Names of the connections and topics a session's rows refer to by id.

A JSON Lines file, ``{"label": "conn" | "topic", "id": N, "name": "..."}`` a line, appended
before the first batch that uses the id (so any tool can join them back). Ids of each kind
are 0, 1, 2, ... in order. A torn or damaged line ends the readable part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

CONN = "conn"
TOPIC = "topic"


@dataclass
class LabelTable:
    """Names interned to small ids, in order of first use; the list only grows."""

    names: list[str] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)

    def intern(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = len(self.names)
            self.names.append(name)
        return i


def name_of(names: list[str], i: int) -> str:
    """The name of id ``i``; ``#i`` for an id the labels file does not name (it lost the line)."""
    return names[i] if 0 <= i < len(names) else f"#{i}"


def id_of(names: list[str], name: str) -> int:
    """The id of ``name``; -1 (no row's) when the session never named it."""
    try:
        return names.index(name)
    except ValueError:
        return -1


def encode(label: str, first_id: int, names: list[str]) -> bytes:
    """Lines for ``names``, ids counting on from ``first_id``."""
    return b"".join(json.dumps({"label": label, "id": first_id + i, "name": name}, ensure_ascii=True)
                    .encode("ascii") + b"\n" for i, name in enumerate(names))


def decode(raw: bytes) -> tuple[list[str], list[str]]:
    """(connection names, topic names) from a labels file's bytes, up to the first bad line."""
    found: dict[str, list[str]] = {CONN: [], TOPIC: []}
    for line in raw.split(b"\n")[:-1]:  # the last piece is "" or a torn line
        try:
            obj = json.loads(line)
            names = found[obj["label"]]
            if obj["id"] != len(names) or not isinstance(obj["name"], str):
                break
        except (ValueError, KeyError, TypeError, RecursionError):
            break
        names.append(obj["name"])
    return found[CONN], found[TOPIC]
