"""Pure formatting helpers for the detail pane (no Qt)."""

from __future__ import annotations

import base64
import json

from inspector.protocol.frames import DecodeError, decode_json_object
from inspector.protocol.kinds import Kind

WIDTH = 16
MAX_DUMP = 64 * 1024  # bytes shown in the hex dump; the copy buttons always take all
KIND_MARK_COLOUR = "#f59e0b"


_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x2E for b in range(256))  # others shown as "."


def hexdump_lines(data: bytes, width: int = WIDTH, limit: int = MAX_DUMP) -> list[str]:
    """``offset  hex bytes  |ascii|`` lines, like ``hexdump -C``."""
    lines = []
    shown = data[:limit]
    pad = width * 3 - 1
    for off in range(0, len(shown), width):
        chunk = shown[off:off + width]
        lines.append(f"{off:08x}  {chunk.hex(' '):<{pad}}  |{chunk.translate(_PRINTABLE).decode('ascii')}|")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes not shown")
    return lines


def as_hex(data: bytes) -> str:
    return data.hex()


def as_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def body_json(data: bytes, text: bool = False) -> object:
    """The frame body as a JSON value, or None when there is none to show.

    JSON kinds give their body object (even when the decoder refuses a field);
    PING/PONG give ``{"kind", "payload"}`` with the payload in hex.
    """
    if text:
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None
    if not data:
        return None
    kind = data[0]
    if kind in (Kind.PING, Kind.PONG):
        return {"kind": Kind(kind).name, "payload": data[1:].hex()}
    if kind in (Kind.SUBSCRIBE, Kind.UNSUBSCRIBE, Kind.EVENT, Kind.ERROR):
        try:
            return decode_json_object(data[1:])
        except DecodeError:
            return None
    return None


def as_json(data: bytes, text: bool = False) -> str | None:
    value = body_json(data, text)
    if value is None:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)

