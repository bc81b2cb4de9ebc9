"""Session events written to a session store folder: ``tail --record DIR`` and conformance artifacts.

The events go through a ``FrameStore`` as the app's log takes them (frames in batches,
connection events as rows of their own between them) and a ``LiveSession`` writes its
rows, so a session recorded here reads back as one the app wrote, with the same
redaction, file modes and crash safety. The ring is small: the rows live on disk. As in
the log, RTTs and answered server PINGs are not rows (their PING/PONG frames are).

``write_event`` only queues; ``tick`` (every ``TICK`` s from the owner's loop) moves the
queue into the store and lets the writer flush. With the writer's ``FLUSH_INTERVAL`` a
received frame is in the file within 250 ms, as in the app.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from inspector.logstore.frame_store import FrameStore
from inspector.logstore.live_session import LiveSession
from inspector.logstore.session_rows import is_row
from inspector.logstore.session_store.layout import create_session_at
from inspector.protocol.events import FrameSeen, SessionEvent
from inspector.redact import redact_url

TICK = 0.05
FLUSH_INTERVAL = 0.15  # a row waits at most one tick to reach the writer, then this, then one tick
RING = 4096


class StoreRecorder:
    def __init__(self, folder: str | os.PathLike[str], *, on_error: Callable[[str], None], profile: str = "",
                 url: str = "", created: float | None = None, threaded: bool = True,
                 carry_on: str = "the session carries on without its recording") -> None:
        """Start a session in ``folder`` (``layout.create_session_at``: OSError when it cannot be
        made there). A later write failure (a full disk) is said once through ``on_error``."""
        self.folder = create_session_at(folder, created=created, profile=profile, url=redact_url(url))
        self.store = FrameStore(RING)
        self.session = LiveSession(self.folder.parent, on_error=on_error, folder=self.folder, threaded=threaded,
                                   writer_options={"flush_interval": FLUSH_INTERVAL}, carry_on=carry_on)
        self.session.attach(self.store)
        self.session.open()
        self._frames: list[FrameSeen] = []

    @property
    def error(self) -> str:
        return self.session.error

    def write_event(self, ev: SessionEvent) -> None:
        if type(ev) is FrameSeen:
            self._frames.append(ev)
        elif is_row(ev):  # in its place among the frames
            self._put_frames()
            self.store.add_session(ev)

    def tick(self) -> None:
        self._put_frames()
        self.session.tick()

    def close(self) -> None:
        """Write the rest and close the session."""
        self._put_frames()
        LiveSession.detach(self.store)
        self.session.close()

    def _put_frames(self) -> None:
        if self._frames:
            frames, self._frames = self._frames, []
            self.store.extend(frames)


def write_events(events: Iterable[SessionEvent], folder: str | os.PathLike[str], *, profile: str = "",
                 url: str = "") -> Path:
    """``events`` as a new, closed session in ``folder``; OSError when it cannot be written."""
    events = list(events)
    errors: list[str] = []
    created = min((ev.t for ev in events), default=None)
    rec = StoreRecorder(folder, on_error=errors.append, profile=profile, url=url, created=created, threaded=False)
    for ev in events:
        rec.write_event(ev)
    rec.close()
    if errors:
        raise OSError(errors[0])
    return rec.folder


def write_case(events: list[SessionEvent], where: Path, profile: str, url: str) -> Path:
    """A failed conformance case's traffic as a session folder ``where`` (``where-2``, ... when
    taken): replay, mock --replay, export and the app open it."""
    folder, n = where, 1
    while folder.exists():
        n += 1
        folder = where.with_name(f"{where.name}-{n}")
    return write_events(events, folder, profile=profile, url=url)
