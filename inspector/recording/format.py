"""The recording format, version 1: JSON Lines, one header line then one record per line.

See docs/recording-format.md. This module converts between SessionEvent objects and
record lines; writer.py and reader.py do the file handling. Every line is pure ASCII
(``ensure_ascii``), so no reader can split a line on U+2028 or any other odd character,
and raw bytes travel as base64 so they come back exactly.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from datetime import UTC, datetime
from typing import Any, TypeAlias

from inspector import __version__
from inspector.protocol.events import (
    IN,
    OUT,
    FrameSeen,
    PayloadTrouble,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    SessionEvent,
    State,
    StateChanged,
    StopReason,
    SubscriptionChanged,
    SubState,
    finite,
    state_details,
    subscription_details,
)
from inspector.protocol.frames import decode_received
from inspector.redact import scrub

FORMAT = "realtime-inspector-recording"
VERSION = 1
SUFFIX = ".rirec"

# record kinds ("e"); a frame record has no "e"
E_STATE = "state"
E_RTT = "rtt"
E_PONG_MISSED = "pong_missed"
E_SERVER_PING = "server_ping"
E_SUB = "sub"
E_PAYLOAD = "payload"
E_END = "end"  # written by a clean close(); not a session event

# A parsed JSON object (a header, a record line, a HAR entry): its values are checked where they are read.
JSONObject: TypeAlias = dict[str, Any]

MAX_ERRORS = 100  # problems a reader keeps as lines; further ones are only counted


class RecordingError(Exception):
    """A file that cannot be read as a recording (or HAR) at all. The message is one line."""


class RecordError(ValueError):
    """One record line that is not a valid record (reported, skipped)."""


def dumps(obj: JSONObject) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def make_header(profile: str = "", url: str = "", created: float | None = None, **extra: Any) -> JSONObject:
    created = time.time() if created is None else created
    try:
        iso = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError):  # a time no calendar holds (a damaged capture's clock)
        iso = ""
    header = {"format": FORMAT, "version": VERSION, "app_version": __version__, "created": iso,
              "created_epoch": created, "profile": profile, "url": url}
    header.update(extra)
    return header


def check_header(obj: Any, name: str) -> JSONObject:
    """The header dict, or RecordingError when ``obj`` is not a header this reader understands."""
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise RecordingError(f"{name} is not a recording or HAR file")
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordingError(f"{name}: recording header has no valid version")
    if version > VERSION:
        raise RecordingError(f"{name} is a version {version} recording; this program reads version {VERSION}")
    start = obj.get("created_epoch")
    if not isinstance(start, (int, float)) or isinstance(start, bool) or not math.isfinite(start):
        raise RecordingError(f"{name}: recording header has no valid created_epoch")
    return obj


# ------------------------------------------------------------------ writing



def _num(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else "null"


def times_text(w: float, start: float) -> str:
    """``"t":…,"w":…`` of a record at wall time ``w``: exact 7-place decimals for wall times
    between 2**30 and 2**31 s (2004 to 2038), as frame_text.py writes them in bulk (see
    there why they read back exactly); otherwise the shortest repr."""
    if isinstance(w, float) and 1073741824.0 <= w < 2147483648.0 and w - start >= 0:
        m = int(w * 4194304.0)  # exact: w is a whole number of 2**-22 s
        sec, frac = m >> 22, ((m & 4194303) * 10_000_000 + 2097152) >> 22  # nearest; never 10**7
        us = round((w - start) * 1e6)
        return f'"t":{us // 1_000_000}.{us % 1_000_000:06d},"w":{sec}.{frac:07d}'
    return f'"t":{w - start if math.isfinite(w) else 0.0:.6f},"w":{_num(w)}'


def event_line(ev: SessionEvent, start: float, conn_json: str) -> str:
    """One record line (with its newline) for ``ev``. ``conn_json`` is the JSON string of ev.conn."""
    w = ev.t
    if type(ev) is FrameSeen:
        return frame_line(w, start, conn_json, ev.direction == OUT, ev.text, ev.data)
    return f'{{{times_text(w, start)},"c":{conn_json},{dumps(event_fields(ev))[1:]}\n'


def frame_line(w: float, start: float, conn_json: str, out: bool, text: bool, data: bytes) -> str:
    """The record line of one frame seen at wall time ``w`` (frame_text.py writes the same in bulk)."""
    direction = "out" if out else "in"
    b64 = base64.b64encode(data).decode("ascii")
    end = '","x":true' if text else '"'
    return f'{{{times_text(w, start)},"c":{conn_json},"d":"{direction}","b":"{b64}{end}}}\n'


def event_fields(ev: SessionEvent) -> JSONObject:
    """The record fields after t, w and c for a non-frame event, as the session gave them:
    topics, filters and what the server said are data and are never rewritten."""
    if isinstance(ev, StateChanged):
        out: dict[str, Any] = {"e": E_STATE, "state": State(ev.state).value, **state_details(ev)}
        if ev.message:  # our own error text: free text, so the last line of defence applies
            out["message"] = scrub(ev.message)
        return out
    if isinstance(ev, RttMeasured):
        return {"e": E_RTT, "rtt": finite(ev.rtt)}
    if isinstance(ev, PongMissed):
        return {"e": E_PONG_MISSED, "consecutive": ev.consecutive}
    if isinstance(ev, ServerPingAnswered):
        return {"e": E_SERVER_PING, "p": base64.b64encode(ev.payload).decode("ascii"),
                "response_time": finite(ev.response_time)}
    if isinstance(ev, SubscriptionChanged):
        return {"e": E_SUB, "topic": ev.topic, "state": SubState(ev.state).value, **subscription_details(ev)}
    if isinstance(ev, PayloadTrouble):
        return {"e": E_PAYLOAD, "message": scrub(ev.message)}
    raise TypeError(f"not a session event: {type(ev).__name__}")


# ------------------------------------------------------------------ reading


def _get(obj: JSONObject, key: str, types: type | tuple[type, ...], default: Any = ..., optional: bool = False) -> Any:
    if key not in obj:
        if default is ...:
            raise RecordError(f"no {key!r}")
        return default
    value = obj[key]
    if value is None and optional:
        return None
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise RecordError(f"{key!r} has the wrong type")
    if not isinstance(value, types):
        raise RecordError(f"{key!r} has the wrong type")
    if isinstance(value, float) and not math.isfinite(value):
        raise RecordError(f"{key!r} is not finite")
    return value


def _b64(value: str, key: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise RecordError(f"{key!r} is not base64") from None


def record_time(obj: JSONObject, start: float) -> float:
    """Wall-clock time of a record: "w", else start + "t"."""
    w = _get(obj, "w", (int, float), None)
    if w is not None:
        return float(w)
    return start + float(_get(obj, "t", (int, float)))


def record_to_event(obj: Any, start: float, decode: bool = True) -> SessionEvent | None:
    """The SessionEvent of one parsed record line; None for the end marker.

    Raises RecordError for anything that is not a valid version-1 record.
    """
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    t = record_time(obj, start)
    conn = _get(obj, "c", str)
    e = _get(obj, "e", str, None)
    if e is None:
        return _frame_seen(obj, conn, t, decode)
    if e == E_STATE:
        return _state_changed(obj, conn, t)
    if e == E_RTT:
        return RttMeasured(conn, t, float(_get(obj, "rtt", (int, float))))
    if e == E_PONG_MISSED:
        return PongMissed(conn, t, _get(obj, "consecutive", int))
    if e == E_SERVER_PING:
        return ServerPingAnswered(conn, t, _b64(_get(obj, "p", str, ""), "p"),
                                  _opt_float(obj, "response_time") or 0.0)
    if e == E_SUB:
        return _subscription_changed(obj, conn, t)
    if e == E_PAYLOAD:
        return PayloadTrouble(conn, t, _get(obj, "message", str))
    if e == E_END:
        return None
    raise RecordError(f"unknown record type {e[:40]!r}")


def _frame_seen(obj: JSONObject, conn: str, t: float, decode: bool) -> FrameSeen:
    d = _get(obj, "d", str)
    if d not in (IN, OUT):
        raise RecordError("'d' must be \"in\" or \"out\"")
    data = _b64(_get(obj, "b", str), "b")
    text = _get(obj, "x", bool, False)
    frame = None
    if decode:
        frame = decode_received(data, text)
    return FrameSeen(conn, t, d, data, frame, text)


def _state_changed(obj: JSONObject, conn: str, t: float) -> StateChanged:
    try:
        state = State(_get(obj, "state", str))
    except ValueError:
        raise RecordError("unknown connection state") from None
    return StateChanged(
        conn, t, state,
        attempt=_get(obj, "attempt", int, 0),
        delay=_opt_float(obj, "delay"),
        code=_get(obj, "code", int, None, optional=True),
        reason=_get(obj, "reason", str, ""),
        meaning=_get(obj, "meaning", str, ""),
        http_status=_get(obj, "http_status", int, None, optional=True),
        http_code=_get(obj, "http_code", str, None, optional=True),
        message=_get(obj, "message", str, ""),
        stop=_stop_reason(obj),
    )


def _subscription_changed(obj: JSONObject, conn: str, t: float) -> SubscriptionChanged:
    try:
        sub_state = SubState(_get(obj, "state", str))
    except ValueError:
        raise RecordError("unknown subscription state") from None
    return SubscriptionChanged(conn, t, _get(obj, "topic", str), sub_state,
                               filter=_get(obj, "filter", str, None, optional=True),
                               error_code=_get(obj, "error_code", str, None, optional=True),
                               message=_get(obj, "message", str, ""))


def _stop_reason(obj: JSONObject) -> StopReason | None:
    """Why a session stopped; None in recordings older than the field, or for a reason this version does not know."""
    value = _get(obj, "stop", str, None, optional=True)
    try:
        return None if value is None else StopReason(value)
    except ValueError:
        return None


def _opt_float(obj: JSONObject, key: str) -> float | None:
    value = _get(obj, key, (int, float), None, optional=True)
    return None if value is None else float(value)
