"""HAR captures: import Chrome's WebSocket messages, export sessions as HAR.

Chrome stores a WebSocket connection as a HAR entry with ``_webSocketMessages``:
``{"type": "send"|"receive", "time": epoch s, "opcode": 1|2, "data": str}`` where
opcode 1 data is the text itself and opcode 2 data is base64. Each such entry becomes
one connection (``ws1``, ``ws2``, ...); other entries are ignored. HAR is one JSON
document, so it is read whole (captures are small next to recordings).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

from .. import __version__
from ..protocol.events import IN, OUT, FrameSeen, SessionEvent, State, StateChanged
from ..protocol.frames import DecodeError, try_decode
from .format import TEXT_FRAME_ERROR, RecordingError, make_header
from .reader import MAX_ERRORS
from ..net.redact import redact_url, scrub

HAR_MAX = 1 << 31  # refuse to load a "HAR" bigger than 2 GiB into memory


class HarRecording:
    """A HAR capture opened like a Recording: ``header``, ``start``, events by iteration."""

    source = "har"
    truncated = False
    torn_bytes = 0
    clean_end = True

    def __init__(self, path: Path, events: list[tuple[float, int, str, str, bytes, bool]],
                 conn_urls: dict[str, str], errors: list[str], error_count: int, ignored: int):
        self.path = path
        self.name = path.name
        self._events = events
        self.conn_urls = conn_urls
        self.errors = errors
        self.error_count = error_count
        self.ignored_entries = ignored
        self.start = events[0][0] if events else 0.0
        first_url = next(iter(conn_urls.values()), "")
        self.header = make_header(profile="HAR import", url=first_url, created=self.start, source="har")
        self.count: int | None = None

    url = property(lambda self: str(self.header.get("url") or ""))
    profile = property(lambda self: "HAR import")

    def __iter__(self) -> Iterator[SessionEvent]:
        return self.events()

    def events(self, decode: bool = True) -> Iterator[SessionEvent]:
        count = 0
        for t, _, conn, what, data, text in self._events:
            if what == "open":
                ev: SessionEvent = StateChanged(conn, t, State.OPEN, message=self.conn_urls.get(conn, ""))
            else:
                frame = None
                if decode:
                    frame = DecodeError("bad_frame", TEXT_FRAME_ERROR) if text else try_decode(data)
                ev = FrameSeen(conn, t, what, data, frame, text)
            count += 1
            yield ev
        self.count = count

    def load(self, decode: bool = True) -> list[SessionEvent]:
        return list(self.events(decode))

    @property
    def warning(self) -> str | None:
        parts = []
        if not self.conn_urls:
            parts.append("no WebSocket entries (_webSocketMessages) in this HAR")
        if self.error_count:
            parts.append(f"{self.error_count} unreadable message{'s' if self.error_count != 1 else ''} skipped")
        return f"{self.name}: " + "; ".join(parts) if parts else None

    def __repr__(self) -> str:
        return f"HarRecording({self.name!r}, connections={len(self.conn_urls)})"


def open_har(path: Path, first: bytes = b"", f=None) -> HarRecording:
    """Load a HAR file. RecordingError when it is not JSON with ``log.entries``."""
    name = path.name
    try:
        if f is None:
            f = open(path, "rb")
        with f:
            if os.fstat(f.fileno()).st_size > HAR_MAX:
                raise RecordingError(f"{name} is not a recording, and too big to be a HAR file")
            f.seek(0)
            raw = f.read()
    except OSError as exc:
        raise RecordingError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        raise RecordingError(f"{name} is not a recording or HAR file") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise RecordingError(f"{name} is not a recording or HAR file")
    return _import_entries(path, entries)


def _import_entries(path: Path, entries: list) -> HarRecording:
    events: list[tuple[float, int, str, str, bytes, bool]] = []
    conn_urls: dict[str, str] = {}
    errors: list[str] = []
    error_count = 0
    ignored = 0

    def note(msg: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_ERRORS:
            errors.append(msg)

    order = 0
    for i, entry in enumerate(entries):
        messages = entry.get("_webSocketMessages") if isinstance(entry, dict) else None
        if not isinstance(messages, list):
            ignored += 1
            continue
        conn = f"ws{len(conn_urls) + 1}"
        request = entry.get("request")
        url = request.get("url") if isinstance(request, dict) else None
        conn_urls[conn] = redact_url(url) if isinstance(url, str) else ""
        opened = _iso_time(entry.get("startedDateTime"))
        frames = []
        for j, msg in enumerate(messages):
            try:
                frames.append(_message(msg))
            except ValueError as exc:
                note(f"entry {i + 1} message {j + 1}: {exc}, skipped")
        if opened is None:
            opened = min((fr[0] for fr in frames), default=None)
        if opened is not None:
            events.append((opened, order, conn, "open", b"", False))
            order += 1
        for t, d, data, text in frames:
            events.append((t, order, conn, d, data, text))
            order += 1
    events.sort(key=lambda e: (e[0], e[1]))
    return HarRecording(path, events, conn_urls, errors, error_count, ignored)


def _message(msg: Any) -> tuple[float, str, bytes, bool]:
    if not isinstance(msg, dict):
        raise ValueError("not an object")
    kind = msg.get("type")
    if kind not in ("send", "receive"):
        raise ValueError(f"type is {str(kind)[:20]!r}, not send/receive")
    t = msg.get("time")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        raise ValueError("no valid time")
    opcode, data = msg.get("opcode"), msg.get("data", "")
    if not isinstance(data, str):
        raise ValueError("data is not a string")
    if opcode == 1:
        raw, text = data.encode("utf-8", "surrogatepass"), True
    elif opcode == 2:
        try:
            raw, text = base64.b64decode(data.encode("ascii"), validate=True), False
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise ValueError("binary data is not base64") from None
    else:
        raise ValueError(f"opcode {str(opcode)[:20]} is not 1 (text) or 2 (binary)")
    return float(t), OUT if kind == "send" else IN, raw, text


def _iso_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


# ------------------------------------------------------------------ export


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def har_document(events: Iterable[SessionEvent], url: str = "", conn_urls: dict[str, str] | None = None,
                 secrets: tuple[str, ...] | list[str] = ()) -> dict:
    """A Chrome-compatible HAR dict with one WebSocket entry per connection.

    Only frames travel (HAR has no place for connection events). URLs lose their
    userinfo and token values; no request header carries credentials.
    """
    conn_urls = conn_urls or {}
    per_conn: dict[str, list[dict]] = {}
    first_seen: dict[str, float] = {}
    for ev in events:
        if ev.conn not in first_seen:
            first_seen[ev.conn] = ev.t
        if not isinstance(ev, FrameSeen):
            continue
        if ev.text:
            msg = {"type": "send" if ev.direction == OUT else "receive", "time": ev.t, "opcode": 1,
                   "data": bytes(ev.data).decode("utf-8", "replace")}
        else:
            msg = {"type": "send" if ev.direction == OUT else "receive", "time": ev.t, "opcode": 2,
                   "data": base64.b64encode(ev.data).decode("ascii")}
        per_conn.setdefault(ev.conn, []).append(msg)
    entries = []
    for conn, messages in per_conn.items():
        conn_url = scrub(redact_url(conn_urls.get(conn, url) or "ws://unknown/"), *secrets)
        query = [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(conn_url).query, keep_blank_values=True)]
        entries.append({
            "startedDateTime": _iso(first_seen[conn]),
            "time": 0,
            "request": {
                "method": "GET", "url": conn_url, "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"},
                            {"name": "Sec-WebSocket-Version", "value": "13"}],
                "queryString": query, "cookies": [], "headersSize": -1, "bodySize": 0,
            },
            "response": {
                "status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"}],
                "cookies": [], "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "",
                "headersSize": -1, "bodySize": 0,
            },
            "cache": {},
            "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 0, "receive": 0},
            "_resourceType": "websocket",
            "_inspectorConnection": conn,
            "_webSocketMessages": messages,
        })
    return {"log": {"version": "1.2", "creator": {"name": "realtime-inspector", "version": __version__},
                    "pages": [], "entries": entries}}


def export_har(events: Iterable[SessionEvent], path: str | os.PathLike, url: str = "",
               conn_urls: dict[str, str] | None = None, secrets: tuple[str, ...] | list[str] = ()) -> int:
    """Write ``events`` as a HAR file; returns the number of messages written."""
    doc = har_document(events, url, conn_urls, secrets)
    text = json.dumps(doc, ensure_ascii=True, indent=1, allow_nan=False)
    try:
        Path(path).write_text(text + "\n", encoding="ascii")
    except OSError as exc:
        raise RecordingError(f"cannot write {Path(path).name}: {exc.strerror or exc}") from None
    return sum(len(e["_webSocketMessages"]) for e in doc["log"]["entries"])
