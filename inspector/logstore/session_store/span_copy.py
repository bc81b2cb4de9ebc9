"""Save kept spans as a session of their own: rows copied in bulk, as Arrow slices of the blocks.

The new session is a folder like any other (the app, ``replay`` and ``export`` open it), named
and kept whole (``kept``), with the source session's connection and topic names (the rows' ids
are unchanged) and ``copied_from``: the source folder's name and the spans copied.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.session_store.layout import create_session, read_meta, update_meta
from inspector.logstore.session_store.reader import SessionReader
from inspector.logstore.session_store.writer import SessionWriter


def save_spans(source: str | os.PathLike[str], ranges: Sequence[tuple[int, int]], data_dir: str | os.PathLike[str],
               name: str) -> tuple[Path, int]:
    """Rows ``ranges`` (``(first, last)`` row numbers, 1-based, both included) of the session in
    ``source`` as a new kept session named ``name`` in ``data_dir``; (its folder, rows copied).
    StoreError (one line) when the source cannot be read or the copy written."""
    source = Path(source)
    meta = read_meta(source)
    with SessionReader(source) as reader:
        spans = [(max(first, 1), min(last, len(reader))) for first, last in ranges]
        spans = [(a, b) for a, b in spans if a <= b]
        if not spans:
            raise StoreError(f"{source.name} holds none of the kept rows yet")
        created = float(reader.table(spans[0][0] - 1, spans[0][0]).column("t")[0].as_py())
        try:
            folder = create_session(data_dir, created=created, profile=str(meta.get("profile") or ""),
                                    url=str(meta.get("url") or ""))
            update_meta(folder, kept=True, name=name, copied_from={"session": source.name,
                                                                  "spans": [list(s) for s in spans]})
        except OSError as exc:
            raise StoreError(f"cannot save the kept rows in {data_dir}: {exc.strerror or exc}") from None
        writer = SessionWriter(folder)
        try:
            for first, last in spans:
                writer.append_table(reader.table(first - 1, last), reader.conns, reader.topics)
        finally:
            writer.close(fsync=True)
    if writer.error:
        raise StoreError(writer.error)
    return folder, writer.rows_written
