"""HAR captures: read the WebSocket messages that browsers and proxies save in HAR.

Every producer we know writes a WebSocket connection as one entry with
``_webSocketMessages``: ``{"type": "send"|"receive", "time": T, "opcode": 1|2, "data": str}``,
opcode 1 data being the text itself and opcode 2 data base64. They differ in ``time``:
Chrome DevTools and mitmproxy write epoch seconds, Playwright epoch milliseconds (and -1
in its "minimal" mode), so the unit is decided per entry (``har_time.entry_scale``).
Each such entry becomes one connection (``ws1``, ``ws2``, ...); other entries are ignored.
An entry this program exported also carries its connection events in ``_inspectorEvents``
(``{"time": epoch s, "e": ..., ...}``: the recording format's fields); they are read back.
HAR is one JSON document, so it is read whole (captures are small next to recordings).

Nothing in a HAR makes reading fail once it is a HAR: a value the reader cannot use is
reported in one line naming its entry (``entry 3 (_webSocketMessages[7]): time is not
a number, skipped``) and everything else is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from inspector.protocol.events import IN, OUT, FrameSeen, SessionEvent, State, StateChanged
from inspector.protocol.frames import decode_received
from inspector.recording.format import (
    MAX_ERRORS,
    JSONObject,
    RecordError,
    RecordingError,
    make_header,
    record_to_event,
)
from inspector.recording.har_time import entry_scale, iso_time, message_time
from inspector.recording.opened import OpenedFile
from inspector.redact import redact_url

HAR_MAX = 1 << 31  # refuse to load a "HAR" bigger than 2 GiB into memory

# problem kinds, in the order the warning names them
SKIPPED_MESSAGE, SKIPPED_ENTRY, UNTIMED, WS_ERROR, UNUSABLE = "message", "entry", "untimed", "ws_error", "value"
_SUMMARY = {
    SKIPPED_MESSAGE: ("unreadable message skipped", "unreadable messages skipped"),
    SKIPPED_ENTRY: ("unreadable entry skipped", "unreadable entries skipped"),
    UNTIMED: ("message without a time, kept in capture order", "messages without a time, kept in capture order"),
    WS_ERROR: ("WebSocket error reported by the capturing tool", "WebSocket errors reported by the capturing tool"),
    UNUSABLE: ("unusable entry field", "unusable entry fields"),
}


class Problems:
    """One-line reports (the first MAX_ERRORS kept) and a count per kind."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.counts: Counter[str] = Counter()

    def add(self, kind: str, line: str, count: int = 1) -> None:
        self.counts[kind] += count
        if len(self.lines) < MAX_ERRORS:
            self.lines.append(line)

    def summary(self) -> list[str]:
        return [f"{n} {_SUMMARY[k][n != 1]}" for k in _SUMMARY if (n := self.counts[k])]


class HarRecording(OpenedFile):
    """A HAR capture opened like a Recording (``OpenedFile``)."""

    source = "har"

    def __init__(self, path: Path, events: list[tuple[float, int, str, str, Any, bool]],
                 conn_urls: dict[str, str], problems: Problems, ignored: int):
        super().__init__(path)
        self._events = events
        self.conn_urls = conn_urls
        self.problems = problems
        self.errors = problems.lines
        self.error_count = sum(problems.counts.values())
        self.ignored_entries = ignored
        self.start = events[0][0] if events else 0.0
        first_url = next(iter(conn_urls.values()), "")
        self.header = make_header(profile="HAR import", url=first_url, created=self.start, source="har")

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        count = 0
        for t, _, conn, what, data, text in self._events:
            if what == "open":
                ev: SessionEvent = StateChanged(conn, t, State.OPEN, message=self.conn_urls.get(conn, ""))
            elif what == "event":
                ev = replace(data, conn=conn)
            else:
                frame = None
                if decode:
                    frame = decode_received(data, text)
                ev = FrameSeen(conn, t, what, data, frame, text)
            count += 1
            yield ev
        self.count = count

    @property
    def warning(self) -> str | None:
        parts = [] if self.conn_urls else ["no WebSocket entries (_webSocketMessages) in this HAR"]
        parts += self.problems.summary()
        return self._warning(parts)

    def __repr__(self) -> str:
        return f"HarRecording({self.name!r}, connections={len(self.conn_urls)})"


def open_har(path: Path, first: bytes = b"", f: BinaryIO | None = None) -> HarRecording:
    """Load a HAR file. RecordingError when it is not JSON with ``log.entries``."""
    name = path.name
    try:
        if f is None:
            with open(path, "rb") as own:
                raw = _read_whole(own, name)
        else:
            with f:
                raw = _read_whole(f, name)
    except OSError as exc:
        raise RecordingError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw)  # bytes: UTF-8 (with or without BOM), UTF-16 and UTF-32 are all detected
    except (ValueError, RecursionError):
        raise RecordingError(f"{name} is not a recording or HAR file") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise RecordingError(f"{name} is not a recording or HAR file")
    return read_entries(path, entries)


def _read_whole(f: BinaryIO, name: str) -> bytes:
    if os.fstat(f.fileno()).st_size > HAR_MAX:
        raise RecordingError(f"{name} is not a recording, and too big to be a HAR file")
    f.seek(0)
    return f.read()


def read_entries(path: Path, entries: list[Any]) -> HarRecording:
    """The WebSocket connections among HAR ``entries``, with every problem reported."""
    # (time, order, connection, "open" | "event" | direction, bytes or the event, is text)
    events: list[tuple[float | None, int, str, str, Any, bool]] = []
    conn_urls: dict[str, str] = {}
    problems = Problems()
    ignored = 0
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.add(SKIPPED_ENTRY, f"entry {i}: not an object, skipped")
            continue
        if "_webSocketMessages" not in entry:
            ignored += 1
            continue
        messages = entry["_webSocketMessages"]
        if not isinstance(messages, list):
            problems.add(SKIPPED_ENTRY, f"entry {i}: _webSocketMessages is not a list, skipped")
            continue
        conn = f"ws{len(conn_urls) + 1}"
        conn_urls[conn] = _entry_url(i, entry, problems)
        opened, frames = _entry_frames(i, entry, messages, problems)
        own = _entry_events(i, entry, problems)
        if not own:  # the capture says only that it opened
            events.append((opened, len(events), conn, "open", b"", False))
        for t, ev in own:
            events.append((t, len(events), conn, "event", ev, False))
        for when, direction, data, text in frames:
            events.append((when, len(events), conn, direction, data, text))
    # an entry without any time at all is shown at the start of the capture
    base = min((e[0] for e in events if e[0] is not None), default=0.0)
    timed = [(base if e[0] is None else e[0], *e[1:]) for e in events]
    timed.sort(key=lambda e: (e[0], e[1]))
    return HarRecording(path, timed, conn_urls, problems, ignored)


def _entry_events(i: int, entry: JSONObject, problems: Problems) -> list[tuple[float, SessionEvent]]:
    """The connection events an export of ours put in ``_inspectorEvents``."""
    raw = entry.get("_inspectorEvents")
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(UNUSABLE, f"entry {i}: _inspectorEvents is not a list")
        return []
    out = []
    for j, obj in enumerate(raw):
        try:
            if not isinstance(obj, dict) or "e" not in obj:
                raise RecordError("not a connection event")
            ev = record_to_event({**obj, "w": obj.get("time"), "c": ""}, 0.0)
        except (RecordError, TypeError, ValueError) as exc:
            problems.add(SKIPPED_MESSAGE, f"entry {i} (_inspectorEvents[{j}]): {exc}, skipped")
            continue
        if ev is not None:
            out.append((ev.t, ev))
    return out


def _entry_url(i: int, entry: JSONObject, problems: Problems) -> str:
    request = entry.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str):
        return redact_url(url)
    problems.add(UNUSABLE, f"entry {i}: request.url is {'missing' if url is None else 'not a string'}")
    return ""


def _entry_frames(i: int, entry: JSONObject, messages: list[Any],
                  problems: Problems) -> tuple[float | None, list[tuple[float | None, str, bytes, bool]]]:
    """(open time or None, [(time or None, direction, bytes, is text)]) for one entry."""
    started = entry.get("startedDateTime")
    opened = iso_time(started)
    if opened is None and started is not None:
        problems.add(UNUSABLE, f"entry {i}: startedDateTime {_brief(started)} is not an ISO 8601 date, "
                               "the first message's time is used")
    raw_times = [m.get("time") for m in messages if isinstance(m, dict)]
    scale = entry_scale(raw_times, opened)
    frames: list[tuple[float | None, str, bytes, bool]] = []
    untimed = 0
    for j, msg in enumerate(messages):
        where = f"entry {i} (_webSocketMessages[{j}])"
        try:
            t = message_time(msg.get("time") if isinstance(msg, dict) else None, scale)
            direction, data, text = _message(msg)
        except _WsError as exc:
            problems.add(WS_ERROR, f"{where}: {exc}")
            continue
        except ValueError as exc:
            problems.add(SKIPPED_MESSAGE, f"{where}: {exc}, skipped")
            continue
        untimed += t is None
        frames.append((t, direction, data, text))
    if untimed:
        problems.add(UNTIMED, f"entry {i}: {untimed} message{'s' if untimed != 1 else ''} without a time "
                              "(none or -1), shown in capture order at the time before them", untimed)
    if opened is None:
        opened = min((f[0] for f in frames if f[0] is not None), default=None)
    last = opened
    for k, (t, direction, data, text) in enumerate(frames):
        if t is None:
            frames[k] = (last, direction, data, text)
        else:
            last = t if last is None else max(last, t)
    return opened, frames


class _WsError(ValueError):
    """A message that is the capturing tool's report of a WebSocket error, not a frame."""


def _message(msg: Any) -> tuple[str, bytes, bool]:
    if not isinstance(msg, dict):
        raise ValueError("not an object")
    kind = msg.get("type")
    if kind == "error":  # Chrome DevTools: a frame error the browser saw (opcode -1, data = its text)
        raise _WsError(f"WebSocket error reported: {_brief(msg.get('data'), 200)}")
    if kind not in ("send", "receive"):
        raise ValueError(f"type is {_brief(kind)}, not send or receive")
    if "data" not in msg:
        raise ValueError("data is missing")
    opcode, data = msg.get("opcode"), msg["data"]
    if not isinstance(data, str):
        raise ValueError("data is not a string")
    if opcode == 1 and not isinstance(opcode, bool):
        return OUT if kind == "send" else IN, data.encode("utf-8", "surrogatepass"), True
    if opcode == 2 and not isinstance(opcode, bool):
        try:
            raw = base64.b64decode("".join(data.split()).encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise ValueError("binary data is not base64") from None
        return OUT if kind == "send" else IN, raw, False
    raise ValueError(f"opcode {_brief(opcode)} is not 1 (text) or 2 (binary)")


def _brief(value: Any, n: int = 40) -> str:
    """A value quoted on one line, cut to about ``n`` characters."""
    try:
        text = repr(value) if isinstance(value, float) else json.dumps(value, ensure_ascii=True, default=str)
    except (ValueError, RecursionError):  # nested too deep to show
        text = f"a {type(value).__name__}"
    return text if len(text) <= n else text[:n - 3] + "..."
