"""Read a recording (or a HAR capture) as a stream of SessionEvent objects.

``open_recording`` checks the header and the tail at once and returns a Recording;
iterating it streams the records line by line, so a file of any size starts at once.
A line that is not a valid record is skipped and noted in ``errors``; a torn last
line (kill -9 while writing) sets ``truncated``. Only a file that is not a recording
or HAR at all raises, and then only RecordingError.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from inspector.protocol.events import SessionEvent
from inspector.recording.format import (
    FORMAT,
    JSONObject,
    RecordError,
    RecordingError,
    check_header,
    record_to_event,
)
from inspector.recording.har import open_har
from inspector.recording.opened import OpenedFile
from inspector.recording.pcapng_file import is_capture
from inspector.recording.pcapng_read import open_capture

TAIL_SCAN = 1 << 24       # how far back from the end to look for the last newline
HEADER_MAX = 1 << 20      # a header line longer than this is not ours
_FORMAT_MARK = json.dumps(FORMAT).encode()  # however the header's writer spaced and ordered it


class Recording(OpenedFile):
    """An opened recording (``OpenedFile``); ``truncated`` is known at open time."""

    source = "recording"

    def __init__(self, path: Path, header: JSONObject, data_offset: int, truncated: bool, torn_bytes: int):
        super().__init__(path)
        self.header = header
        self.start = float(header["created_epoch"])
        self.truncated = truncated
        self.torn_bytes = torn_bytes
        self.clean_end = False
        self._data_offset = data_offset

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        """Stream the events. ``decode=False`` leaves FrameSeen.frame None (faster)."""
        self.errors.clear()
        self.error_count = 0
        count = 0
        with _open(self.path) as f:
            f.seek(self._data_offset)
            lineno = 1
            start = self.start
            loads = json.loads
            for line in f:
                lineno += 1
                complete = line.endswith(b"\n")
                try:
                    ev = record_to_event(loads(line), start, decode)
                except (ValueError, RecordError, TypeError, RecursionError, OverflowError) as exc:
                    if not complete:
                        self.truncated = True
                        self.torn_bytes = len(line)
                        break
                    if line.strip():
                        self._note(f"line {lineno}: {_why(exc)}, skipped")
                    continue
                if ev is None:
                    self.clean_end = True
                    continue
                count += 1
                yield ev
        self.count = count

    @property
    def warning(self) -> str | None:
        """One line on what could not be read, or None when everything was."""
        parts = []
        if self.truncated:
            n = f"loaded {self.count} records, " if self.count is not None else ""
            parts.append(f"{n}last one truncated ({self.torn_bytes} bytes cut)")
        if self.error_count:
            parts.append(f"{self.error_count} invalid record{'s' if self.error_count != 1 else ''} skipped")
        return self._warning(parts)

    def __repr__(self) -> str:
        return f"Recording({self.name!r}, truncated={self.truncated})"


def _open(path: Path) -> BinaryIO:
    """``path`` opened for reading; RecordingError when it cannot be."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise RecordingError(f"cannot open {path.name}: {exc.strerror or exc}") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecordError):
        return f"invalid record ({exc})"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg})"
    return "not a valid record"


def _is_valid_last_line(line: bytes, start: float) -> bool:
    try:
        record_to_event(json.loads(line), start, decode=False)
        return True
    except (ValueError, RecordError, TypeError, RecursionError, OverflowError):
        return False


def _tail_state(f: BinaryIO, size: int, data_offset: int, start: float) -> tuple[bool, int]:
    """(truncated, torn bytes) from the end of the file, without reading it all."""
    if size <= data_offset:
        return False, 0
    f.seek(size - 1)
    if f.read(1) == b"\n":
        return False, 0
    lo = max(data_offset, size - TAIL_SCAN)
    f.seek(lo)
    chunk = f.read(size - lo)
    cut = chunk.rfind(b"\n")
    last = chunk[cut + 1:]
    if cut < 0 and lo > data_offset:
        return True, len(last)  # a last line longer than TAIL_SCAN without newline: torn
    return (False, 0) if _is_valid_last_line(last, start) else (True, len(last))


def open_recording(path: str | os.PathLike[str]) -> OpenedFile:
    """Open a recording, HAR file or packet capture: a Recording (HarRecording, CaptureRecording).
    RecordingError if none of these."""
    path = Path(path)
    name = path.name
    with _open(path) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            magic = f.read(4)
            f.seek(0)
            first = f.readline(HEADER_MAX)
        except OSError as exc:
            raise RecordingError(f"cannot read {name}: {exc.strerror or exc}") from None
        if is_capture(magic):
            f.close()
            return open_capture(path)
        if not first.strip():
            raise RecordingError(f"{name} is empty" if size == 0 else f"{name} is not a recording or HAR file")
        header = _parse_header(first)
        if header is None:
            return open_har(path, first, f)
        check_header(header, name)
        if not first.endswith(b"\n"):
            return Recording(path, header, len(first), truncated=False, torn_bytes=0)
        truncated, torn = _tail_state(f, size, len(first), float(header["created_epoch"]))
        return Recording(path, header, len(first), truncated, torn)


def _parse_header(first: bytes) -> JSONObject | None:
    """The first line as JSON when it is a recording header, else None."""
    try:
        obj = json.loads(first)
    except (ValueError, RecursionError):
        if _FORMAT_MARK in first and first.lstrip().startswith(b"{") and not first.endswith(b"\n"):
            raise RecordingError("recording header is cut short; nothing was recorded") from None
        return None
    if isinstance(obj, dict) and "format" in obj and "log" not in obj:
        return obj
    return None
