"""Files that hold traffic or profiles are readable by their owner only.

Recordings, exports and profiles carry full payloads, so they are created 0600 whatever
the umask, and the folders the app makes for them are 0700. A file that already exists
is tightened when we overwrite it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

FILE_MODE = 0o600
DIR_MODE = 0o700


def create_private(path: str | os.PathLike[str]) -> int:
    """Create (or truncate) ``path`` for writing, mode 0600; returns the descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)  # it existed before with a wider mode
    except OSError:
        pass  # a filesystem without modes (FAT, some network mounts)
    return fd


@overload
def open_private(path: str | os.PathLike[str], mode: Literal["w"], **kwargs: Any) -> TextIO: ...
@overload
def open_private(path: str | os.PathLike[str], mode: Literal["wb"] = ..., **kwargs: Any) -> BinaryIO: ...
def open_private(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for a new file, created 0600 (``mode`` is "w" or "wb")."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_private writes only, not {mode!r}")
    return os.fdopen(create_private(path), mode, **kwargs)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create the app's own folder ``path`` (and missing parents) and make it 0700.

    Parents that already exist keep their mode: they are not ours (``~/.local/share``).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path
