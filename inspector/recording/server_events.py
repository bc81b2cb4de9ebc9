"""The server→client EVENTs of a recording, HAR or capture (or of any opened file), as
``mock --replay`` plays them.

Presence ``sync`` events are left out (each answers one recorded SUBSCRIBE; the mock
sends every client its own); join/leave are kept. An event recorded on several
connections (the same bytes) is kept once. Bodies are kept as recorded: key order and
extra fields included.
"""

from __future__ import annotations

import os
from typing import Any

from inspector.protocol.events import IN, FrameSeen
from inspector.protocol.frames import DecodeError, Event, decode_json_object, try_decode
from inspector.recording.opened import OpenedFile
from inspector.recording.reader import open_recording


def server_events(path: str | os.PathLike[str]) -> list[tuple[float, dict[str, Any]]]:
    """(offset s, EVENT body) of every replayable server event in a recording or HAR."""
    return server_events_of(open_recording(path))


def server_events_of(rec: OpenedFile) -> list[tuple[float, dict[str, Any]]]:
    """``server_events`` of a file opened already (a session store: ``logstore.store_source.open_any``)."""
    seen: set[bytes] = set()
    out: list[tuple[float, dict[str, Any]]] = []
    for ev in rec.events(decode=False):
        if not isinstance(ev, FrameSeen) or ev.direction != IN or ev.text or not ev.data or ev.data[0] != 0x10:
            continue
        data = bytes(ev.data)
        if data in seen:
            continue
        frame = try_decode(data)
        if not isinstance(frame, Event) or (frame.type == "presence" and _action(frame) == "sync"):
            continue
        try:
            body = decode_json_object(data[1:])  # as recorded, key order and extra fields kept
        except DecodeError:
            continue
        seen.add(data)
        out.append((ev.t - rec.start, body))
    out.sort(key=lambda item: item[0])
    return out


def _action(frame: Event) -> Any:
    return frame.data.get("action") if isinstance(frame.data, dict) else None
