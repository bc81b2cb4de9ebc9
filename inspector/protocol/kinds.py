"""The kind byte that starts every frame (docs/protocol.md, "Frames")."""

from __future__ import annotations

import enum


class Kind(enum.IntEnum):
    SUBSCRIBE = 0x01
    UNSUBSCRIBE = 0x02
    EVENT = 0x10
    PING = 0x20
    PONG = 0x21
    ERROR = 0xFF


CLIENT_TO_SERVER = frozenset({Kind.SUBSCRIBE, Kind.UNSUBSCRIBE, Kind.PING, Kind.PONG})
SERVER_TO_CLIENT = frozenset({Kind.EVENT, Kind.PING, Kind.PONG, Kind.ERROR})

_BY_VALUE = {k.value: k for k in Kind}


def kind_of(byte: int) -> Kind | None:
    """The Kind for a first byte, or None when the byte is not in the table."""
    return _BY_VALUE.get(byte)


def kind_name(byte: int) -> str:
    """A display name for any first byte: the kind's name, or e.g. ``0x7A?``."""
    k = _BY_VALUE.get(byte)
    return k.name if k is not None else f"0x{byte:02X}?"
