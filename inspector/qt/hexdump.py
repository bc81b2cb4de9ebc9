"""Pure formatting helpers for the detail pane (no Qt)."""

from __future__ import annotations

import base64
import html
import json

from inspector.protocol.frames import DecodeError, decode_json_object
from inspector.protocol.kinds import Kind

WIDTH = 16
MAX_DUMP = 256 * 1024  # bytes shown in the hex dump; the copy buttons always take all


def _ascii(b: int) -> str:
    return chr(b) if 0x20 <= b < 0x7F else "."


def hexdump_lines(data: bytes, width: int = WIDTH, limit: int = MAX_DUMP) -> list[str]:
    """``offset  hex bytes  |ascii|`` lines, like ``hexdump -C``."""
    lines = []
    shown = data[:limit]
    for off in range(0, len(shown), width):
        chunk = shown[off:off + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        lines.append(f"{off:08x}  {hexes:<{width * 3 - 1}}  |{''.join(_ascii(b) for b in chunk)}|")
    if len(data) > limit:
        lines.append(f"… {len(data) - limit} more bytes not shown")
    return lines


def hexdump_html(data: bytes, mark: int | None = 0, width: int = WIDTH, limit: int = MAX_DUMP) -> str:
    """The same dump as HTML, with byte ``mark`` (the kind byte) highlighted."""
    out = []
    shown = data[:limit]
    pad = width * 3 - 1
    style = 'style="background-color:#f59e0b;color:#000;font-weight:bold"'
    for off in range(0, len(shown), width):
        chunk = shown[off:off + width]
        hexes, chars = [], []
        for j, b in enumerate(chunk):
            h, c = f"{b:02x}", html.escape(_ascii(b))
            if mark is not None and off + j == mark:
                h, c = f"<span {style}>{h}</span>", f"<span {style}>{c}</span>"
            hexes.append(h)
            chars.append(c)
        filler = " " * (pad - (len(chunk) * 3 - 1))
        out.append(f"{off:08x}  {' '.join(hexes)}{filler}  |{''.join(chars)}|")
    if len(data) > limit:
        out.append(html.escape(f"… {len(data) - limit} more bytes not shown"))
    return "<pre style=\"margin:0\">" + "\n".join(out) + "</pre>"


def as_hex(data: bytes) -> str:
    return data.hex()


def as_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def body_json(data: bytes, text: bool = False):
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

