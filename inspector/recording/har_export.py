"""Export sessions as HAR, in Chrome DevTools' shape (``time`` in epoch seconds).

One entry per connection, carrying that connection's URL with its credentials masked
by structure (userinfo and ``token`` query values; see ``net.redact.redact_url``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

from inspector import __version__
from inspector.protocol.events import OUT, FrameSeen, SessionEvent
from inspector.recording.format import JSONObject, RecordingError, event_fields
from inspector.redact import redact_url

UNKNOWN_URL = "ws://unknown/"  # only for a connection whose URL nobody told us


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _query(url: str) -> list[dict[str, str]]:
    """HAR's queryString: the (already masked) URL's parameters, decoded as browsers do."""
    query = url.partition("#")[0].partition("?")[2]
    return [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)]


def har_document(events: Iterable[SessionEvent], url: str = "", conn_urls: dict[str, str] | None = None) -> JSONObject:
    """A Chrome-compatible HAR dict with one WebSocket entry per connection.

    ``conn_urls`` maps a connection id to the URL it dialled (``url`` for the others).
    Frames go in ``_webSocketMessages``; connection events, which HAR has no place for, in
    ``_inspectorEvents`` (the recording format's fields and ``time``), which this program reads
    back and other tools ignore. A connection that never opened still gets its entry. No
    request header carries credentials.
    """
    conn_urls = conn_urls or {}
    per_conn: dict[str, list[JSONObject]] = {}
    per_conn_events: dict[str, list[JSONObject]] = {}
    first_seen: dict[str, float] = {}
    for ev in events:
        if ev.conn not in first_seen:
            first_seen[ev.conn] = ev.t
        if not isinstance(ev, FrameSeen):
            per_conn_events.setdefault(ev.conn, []).append({"time": ev.t, **event_fields(ev)})
            continue
        if ev.text:
            msg = {"type": "send" if ev.direction == OUT else "receive", "time": ev.t, "opcode": 1,
                   "data": bytes(ev.data).decode("utf-8", "replace")}
        else:
            msg = {"type": "send" if ev.direction == OUT else "receive", "time": ev.t, "opcode": 2,
                   "data": base64.b64encode(ev.data).decode("ascii")}
        per_conn.setdefault(ev.conn, []).append(msg)
    entries = []
    for conn in first_seen:
        messages = per_conn.get(conn, [])
        conn_url = redact_url(conn_urls.get(conn) or url or UNKNOWN_URL)
        entries.append({
            "startedDateTime": _iso(first_seen[conn]),
            "time": 0,
            "request": {
                "method": "GET", "url": conn_url, "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"},
                            {"name": "Sec-WebSocket-Version", "value": "13"}],
                "queryString": _query(conn_url), "cookies": [], "headersSize": -1, "bodySize": 0,
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
        if conn in per_conn_events:
            entries[-1]["_inspectorEvents"] = per_conn_events[conn]
    return {"log": {"version": "1.2", "creator": {"name": "realtime-inspector", "version": __version__},
                    "pages": [], "entries": entries}}


def export_har(events: Iterable[SessionEvent], path: str | os.PathLike[str], url: str = "",
               conn_urls: dict[str, str] | None = None) -> int:
    """Write ``events`` as a HAR file (mode 0600: it holds traffic); returns the number of messages written."""
    doc = har_document(events, url, conn_urls)
    data = (json.dumps(doc, ensure_ascii=True, indent=1, allow_nan=False) + "\n").encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # an existing file keeps its mode on O_CREAT: set it
                os.fchmod(f.fileno(), 0o600)
            f.write(data)
    except OSError as exc:
        raise RecordingError(f"cannot write {Path(path).name}: {exc.strerror or exc}") from None
    return sum(len(e["_webSocketMessages"]) for e in doc["log"]["entries"])
