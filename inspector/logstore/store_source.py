"""A session-store folder (or its ``frames.arrows``) opened like a recording.

``open_any`` is ``recording.reader.open_recording`` with the store as one more source: a
folder holding ``frames.arrows``, or that file itself. ``StoreRecording`` iterates its rows
as the events they were (frames, and connection events from their rows); the app's open
path reads the columns in bulk instead (``recording_source.prepare``). pyarrow is loaded
only when a store is opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.logstore import session_rows
from inspector.logstore.frame_store import KIND_SESSION, KIND_TEXT
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.layout import DATA_FILE, read_meta
from inspector.protocol.events import IN, OUT, FrameSeen, SessionEvent
from inspector.protocol.frames import try_decode
from inspector.recording import RecordingError
from inspector.recording.opened import OpenedFile

if TYPE_CHECKING:
    from inspector.logstore.session_store.reader import SessionReader

_DIRECTIONS = (OUT, IN)


def store_folder(path: str | os.PathLike[str]) -> Path | None:
    """The session folder ``path`` names (the folder or its data file), else None."""
    p = Path(path)
    if p.is_dir() and (p / DATA_FILE).is_file():
        return p
    if p.name == DATA_FILE and p.is_file():
        return p.parent
    return None


def open_reader(folder: Path) -> SessionReader:
    from inspector.logstore.session_store.reader import SessionReader
    try:
        return SessionReader(folder)
    except StoreError as exc:
        raise RecordingError(str(exc)) from None


class StoreRecording(OpenedFile):
    source = "store"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.reader = open_reader(folder)
        meta = read_meta(folder)
        created = meta.get("created")
        blocks = self.reader.blocks
        self.start = float(blocks[0].t_first if blocks else created if isinstance(created, (int, float)) else 0.0)
        self.header = {"format": "realtime-inspector-session", "url": str(meta.get("url") or ""),
                       "profile": str(meta.get("profile") or ""), "created_epoch": self.start,
                       "name": str(meta.get("name") or "")}
        self.torn_bytes = self.reader.lost_bytes
        self.truncated = bool(self.reader.lost_bytes)
        self.clean_end = meta.get("closed") is True and not self.truncated

    @property
    def warning(self) -> str | None:
        return self._warning([self.reader.note] if self.reader.note else [])

    def __len__(self) -> int:
        return len(self.reader)

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        """Every row as the event it was, block by block (one block's columns at a time)."""
        reader = self.reader
        conns, count = reader.conns, 0
        for k in range(len(reader.blocks)):
            rb = reader.batch(k)
            cols: list[list[Any]] = [rb.column(name).to_pylist() for name in ("t", "conn", "direction", "kind", "data")]
            for t, c, d, kind, data in zip(*cols, strict=True):
                conn = conns[c] if 0 <= c < len(conns) else f"#{c}"
                count += 1
                if kind == KIND_SESSION:
                    ev = session_rows.row_event(data, t, conn)
                    if ev is None:
                        self._note(f"row {count}: an unreadable connection event")
                        continue
                    yield ev
                elif kind == KIND_TEXT:
                    yield FrameSeen(conn, t, _DIRECTIONS[d], data, None, True)
                else:
                    yield FrameSeen(conn, t, _DIRECTIONS[d], data, try_decode(data) if decode and data else None)
        self.count = count

    def close(self) -> None:
        self.reader.close()


def open_any(path: str | os.PathLike[str]) -> OpenedFile:
    """A recording, HAR, capture or session store. RecordingError if none of these."""
    folder = store_folder(path)
    if folder is not None:
        return StoreRecording(folder)
    # the other formats' readers (HAR, pcapng: http, email) are not loaded to open a session folder
    from inspector.recording.reader import open_recording
    return open_recording(path)
