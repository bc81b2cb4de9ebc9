"""Export the log or a selection of it: to the recording format, or to HAR."""

from __future__ import annotations

import os
from collections.abc import Iterable

from inspector.protocol.events import SessionEvent
from inspector.recording.har_export import export_har
from inspector.recording.writer import RecordingWriter

__all__ = ["export_har", "export_recording"]  # both exports live here for callers


def export_recording(events: Iterable[SessionEvent], path: str | os.PathLike[str], profile: str = "", url: str = "",
                     start: float | None = None) -> int:
    """Write ``events`` to a new recording; returns how many were written.

    Offsets count from ``start`` (default: the first event's time), so an exported
    selection starts at +0.
    """
    events = events if isinstance(events, (list, tuple)) else list(events)
    if start is None:
        start = min((ev.t for ev in events), default=None)
    with RecordingWriter(path, profile=profile, url=url, background_flush=False,
                         created=start) as writer:
        for ev in events:
            writer.write_event(ev)
        return writer.records
