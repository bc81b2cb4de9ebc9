"""What every opened file offers, whatever its format: a recording, a HAR file, a capture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from inspector.protocol.events import SessionEvent
from inspector.recording.format import MAX_ERRORS, JSONObject


class OpenedFile:
    """``header``, ``start`` (epoch s) and the events by iteration (``events(decode=False)``
    leaves FrameSeen.frame None). After an iteration has finished, ``count`` is the number of
    events read. ``errors`` keeps the first MAX_ERRORS problems as lines and ``error_count``
    counts them all; ``warning`` is a one-line summary or None."""

    source = ""
    truncated = False
    torn_bytes = 0
    clean_end = True
    header: JSONObject
    start: float

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.errors: list[str] = []
        self.error_count = 0
        self.count: int | None = None

    @property
    def url(self) -> str:
        return str(self.header.get("url") or "")

    @property
    def profile(self) -> str:
        return str(self.header.get("profile") or "")

    @property
    def warning(self) -> str | None:
        raise NotImplementedError

    def _note(self, line: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(line)

    def __iter__(self) -> Iterator[SessionEvent]:
        return self.events()

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        raise NotImplementedError

    def load(self, decode: bool = True) -> list[SessionEvent]:
        return list(self.events(decode))

    def _warning(self, parts: list[str]) -> str | None:
        return f"{self.name}: " + "; ".join(parts) if parts else None
