"""Where sessions live: one folder each under ``<data dir>/sessions``, 0700, files 0600.

    <data dir>/sessions/<UTC time>-<pid>-<n>/
        frames.arrows   Arrow IPC stream of the rows (schema.SCHEMA)
        frames.index    the block index (block_index)
        labels.jsonl    connection and topic names (labels)
        session.json    what the session is: created, profile, url, kept, kept_spans, name, closed
        lock            held (flock) by the writer while the session is open

A session whose lock nobody holds is closed, even when its writer died without saying so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.logstore.session_store.kept_spans import META_KEY as KEPT_SPANS
from inspector.logstore.session_store.kept_spans import KeptSpans
from inspector.private_files import make_private_dir, open_private

SESSIONS = "sessions"
DATA_FILE = "frames.arrows"
INDEX_FILE = "frames.index"
LABELS_FILE = "labels.jsonl"
META_FILE = "session.json"
LOCK_FILE = "lock"
FORMAT = "realtime-inspector-session"


@dataclass(frozen=True)
class SessionInfo:
    """A session folder as the pruning sees it."""

    path: Path
    created: float
    size: int       # bytes of all its files
    kept: bool
    is_open: bool   # its writer holds the lock


def sessions_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / SESSIONS


def create_session(data_dir: str | os.PathLike[str], *, created: float | None = None, profile: str = "",
                   url: str = "") -> Path:
    """A new, empty session folder (0700) with its ``session.json``."""
    created = time.time() if created is None else created
    parent = make_private_dir(sessions_dir(data_dir))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created))
    for n in range(1000):
        folder = parent / f"{stamp}-{os.getpid()}-{n}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        make_private_dir(folder)
        _first_meta(folder, created, profile, url)
        return folder
    raise FileExistsError(f"no free session folder name in {parent}")


def create_session_at(folder: str | os.PathLike[str], *, created: float | None = None, profile: str = "",
                      url: str = "") -> Path:
    """A new session in the folder ``folder`` names (a command line's ``--record DIR``): made 0700,
    its parent must exist. An empty folder is taken; anything else there raises OSError."""
    folder = Path(folder)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        if not folder.is_dir():
            raise FileExistsError(errno.EEXIST, "it exists and is not a folder", str(folder)) from None
        if any(folder.iterdir()):
            raise FileExistsError(errno.EEXIST, "the folder is not empty (a session is never written over)",
                                  str(folder)) from None
    make_private_dir(folder)
    _first_meta(folder, time.time() if created is None else created, profile, url)
    return folder


def _first_meta(folder: Path, created: float, profile: str, url: str) -> None:
    write_meta(folder, {"format": FORMAT, "version": 1, "created": created, "profile": profile, "url": url,
                        "kept": False, "name": "", "closed": False})


def read_meta(folder: Path) -> dict[str, Any]:
    """``session.json``, or {} when it is missing or unreadable."""
    try:
        meta = json.loads((folder / META_FILE).read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Replace ``session.json`` whole (written aside, then renamed: never half a file)."""
    tmp = folder / (META_FILE + ".tmp")
    with open_private(tmp, "w", encoding="ascii") as f:
        json.dump(meta, f, ensure_ascii=True)
    os.replace(tmp, folder / META_FILE)


def update_meta(folder: Path, **changes: Any) -> None:
    write_meta(folder, {**read_meta(folder), **changes})


def is_locked(folder: Path) -> bool:
    """Whether a writer holds the session's lock (the session is open)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock taken just to test
    return False


def folder_size(folder: Path) -> int:
    total = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                total += entry.stat(follow_symlinks=False).st_size
    return total


def list_sessions(data_dir: str | os.PathLike[str]) -> list[SessionInfo]:
    """Every session folder under ``data_dir``, oldest first."""
    try:
        folders = [Path(e.path) for e in os.scandir(sessions_dir(data_dir)) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    infos = []
    for folder in folders:
        meta = read_meta(folder)
        created = meta.get("created")
        if not isinstance(created, (int, float)):
            created = _mtime(folder)
        infos.append(SessionInfo(folder, float(created), folder_size(folder), is_kept(meta), is_locked(folder)))
    return sorted(infos, key=lambda s: (s.created, s.path.name))


def is_kept(meta: dict[str, Any]) -> bool:
    """Kept whole (``kept``: a saved span, an older Keep) or in part (``kept_spans``)."""
    return meta.get("kept") is True or bool(KeptSpans.from_meta(meta.get(KEPT_SPANS)).spans)


def _mtime(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0
