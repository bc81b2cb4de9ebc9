"""What one case saw, and how it ends: the frames and connection events of its connections,
written as a recording (and HAR) when the case fails, with the offending frame's index."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from inspector.protocol.events import IN, OUT, FrameSeen, SessionEvent, State, StateChanged
from inspector.protocol.frames import DecodeError, Frame, summarize, try_decode
from inspector.protocol.kinds import kind_name
from inspector.recording.export import export_har, export_recording


class CaseFailed(Exception):
    """A rule was not met. ``rule`` decides between fail (MUST) and non-strict (SHOULD)."""

    def __init__(self, rule: str, message: str, expected: str = "", actual: str = "", frame: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.expected, self.actual, self.frame = rule, message, expected, actual, frame


class CaseSkipped(Exception):
    """The case cannot run here; the message says why."""


class CaseInfo(Exception):
    """Nothing to judge, but something worth reporting."""


class HarnessError(Exception):
    """The harness could not run the case (no connection, wrong token, ...)."""


def describe_frame(data: bytes | str) -> str:
    """A short human description of one message, for "got ..." texts."""
    if isinstance(data, str):
        return f"a text frame {data[:60]!r}"
    if not data:
        return "an empty frame"
    frame = try_decode(data)
    name = kind_name(data[0])
    return f"{name} {summarize(frame)}".strip() if not isinstance(frame, DecodeError) else \
        f"{name} ({len(data)} bytes, {frame.message})"


class Traffic:
    """The session events of one case, in order; frames are numbered as the recording lists them."""

    def __init__(self) -> None:
        self.events: list[SessionEvent] = []
        self.frames = 0

    def frame(self, conn: str, direction: str, data: bytes | str) -> int:
        text = isinstance(data, str)
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        decoded: Frame | DecodeError = DecodeError("bad_frame", "text frame") if text else try_decode(raw)
        self.events.append(FrameSeen(conn, time.time(), direction, raw, decoded, text))
        self.frames += 1
        return self.frames - 1

    def sent(self, conn: str, data: bytes | str) -> int:
        return self.frame(conn, OUT, data)

    def received(self, conn: str, data: bytes | str) -> int:
        return self.frame(conn, IN, data)

    def state(self, conn: str, state: State, **fields: object) -> None:
        self.events.append(StateChanged(conn, time.time(), state, **fields))  # type: ignore[arg-type]

    def write(self, folder: Path, name: str, url: str, profile: str,
              record: RecordTraffic | None = None) -> tuple[str, str]:
        """The recording and HAR of this case in ``folder``; returns their paths. ``record``
        writes the recording (the command line's: a session store folder); else a ``.rirec``."""
        folder.mkdir(parents=True, exist_ok=True)
        har = folder / f"{name}.har"
        if record is not None:
            rec = record(self.events, folder / name, profile, url)
        else:
            rec = folder / f"{name}.rirec"
            export_recording(self.events, rec, profile=profile, url=url)
        export_har(self.events, har, url=url)
        return str(rec), str(har)


# (events, where: a path without suffix, profile, url) -> the recording's path
RecordTraffic = Callable[[list[SessionEvent], Path, str, str], Path]
