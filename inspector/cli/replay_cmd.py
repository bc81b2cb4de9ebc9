"""``realtime-inspector replay FILE [--json] [--speed X]``: print a session store folder, recording,
HAR or capture, decoded.

One line per record, like ``tail``; ``--json`` prints the same lines as ``tail --json``
(protocol/json_output.py, docs/json-output.md). A truncated recording prints what was read and
says on stderr what was cut (exit 0); a file that is not a recording at all is a
one-line error (exit 2).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TextIO

from inspector.cli.errors import CliError
from inspector.cli.payload_args import lens_from_args, with_readings
from inspector.cli.replay_args import ReplayArgs
from inspector.logstore.session_store.errors import StoreError
from inspector.logstore.store_source import open_any as open_recording  # recordings, HAR, pcapng and session stores
from inspector.payloads.lens import Lens
from inspector.protocol.describe import CONNECTION_KIND, describe_session
from inspector.protocol.events import (
    OUT,
    FrameSeen,
    PayloadTrouble,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    SessionEvent,
    StateChanged,
    SubscriptionChanged,
)
from inspector.protocol.frames import DecodeError, Error, Event, Subscribe, Unsubscribe, summarize
from inspector.protocol.json_output import json_line
from inspector.protocol.kinds import kind_name
from inspector.recording.format import RecordingError
from inspector.recording.opened import OpenedFile
from inspector.recording.replay import check_speed, pace
from inspector.redact import scrub


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%H:%M:%S.%f")[:-3]


def frame_fields(ev: FrameSeen) -> dict[str, Any]:
    """kind, topic, seq and summary of a frame (shared by text and JSON output)."""
    frame = ev.frame
    if ev.text:
        kind = "TEXT"
    elif not ev.data:
        kind = "EMPTY"
    else:
        kind = kind_name(ev.data[0])
    topic = getattr(frame, "topic", None) if isinstance(frame, (Event, Subscribe, Unsubscribe)) else None
    seq = frame.seq if isinstance(frame, Event) else None
    summary = summarize(frame) if frame is not None else ""
    if ev.text:
        summary = "text frame (invalid in this protocol): " + _short(bytes(ev.data).decode("utf-8", "replace"))
    return {"kind": kind, "topic": topic, "seq": seq, "summary": summary,
            "error": isinstance(frame, (DecodeError, Error))}


def _short(text: str, n: int = 120) -> str:
    text = text.encode("unicode_escape").decode("ascii") if any(c < " " or "\u2028" <= c <= "\u2029"
                                                                for c in text) else text
    return text if len(text) <= n else text[:n - 3] + "..."


def event_summary(ev: SessionEvent) -> tuple[str, str]:
    """(kind label, summary) for a connection event: the app's log row wording."""
    if isinstance(ev, (StateChanged, SubscriptionChanged, PongMissed, PayloadTrouble)):
        return CONNECTION_KIND, describe_session(ev)
    if isinstance(ev, RttMeasured):
        return "RTT", f"{ev.rtt * 1000:.1f} ms"
    if isinstance(ev, ServerPingAnswered):
        return "SERVER-PING", f"answered in {ev.response_time * 1000:.1f} ms ({ev.payload.hex() or 'empty'})"
    return type(ev).__name__, ""


def format_line(ev: SessionEvent, start: float) -> str:
    head = f"{_clock(ev.t)} {ev.t - start:+10.3f}  {ev.conn:<6}"
    if isinstance(ev, FrameSeen):
        f = frame_fields(ev)
        arrow = "→" if ev.direction == OUT else "←"
        topic = f["topic"] or "-"
        seq = f"#{f['seq']}" if f["seq"] is not None else "-"
        return f"{head} {arrow} {ev.direction:<3} {f['kind']:<11} {topic:<16} {seq:<6} {_short(f['summary'], 200)}"
    kind, summary = event_summary(ev)
    return f"{head} · {'':<3} {kind:<11} {_short(summary, 200)}"


def _json_line(ev: SessionEvent, start: float) -> str | None:
    return json_line(ev, scrub)


def _with_readings(fmt: Callable[[SessionEvent, float], str | None], lens: Lens,
                   as_json: bool) -> Callable[[SessionEvent, float], str | None]:
    def formatted(ev: SessionEvent, start: float) -> str | None:
        return with_readings(lambda e: fmt(e, start), lens, as_json)(ev)
    return formatted


def _open(args: ReplayArgs) -> tuple[float, OpenedFile]:
    """The checked speed and the opened file; CliError saying why not."""
    try:
        speed = check_speed(args.speed)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        return speed, open_recording(args.file)
    except RecordingError as exc:
        raise CliError(str(exc)) from None


def _write_paced(events: Iterable[SessionEvent], speed: float, fmt: Callable[[SessionEvent, float], str | None],
                 start: float, out: TextIO) -> None:
    """Each event's line, at the pace it was recorded (scaled by ``speed``)."""
    for delay, ev in pace(events, speed):
        if delay > 0:
            out.flush()
            time.sleep(delay)
        line = fmt(ev, start)
        if line is not None:
            out.write(line + "\n")
    out.flush()


def run_replay(args: ReplayArgs, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    speed, rec = _open(args)
    fmt: Callable[[SessionEvent, float], str | None] = _json_line if args.json else format_line
    lens = lens_from_args(args.payload)
    if lens is not None:
        fmt = _with_readings(fmt, lens, args.json)
    events = rec.events(decode=False) if args.json else rec.events()  # the JSON lines decode the bytes themselves
    try:
        _write_paced(events, speed, fmt, rec.start, out)
    except BrokenPipeError:  # `replay FILE | head`: the reader left, not an error
        if out is sys.stdout:  # keep Python's flush at exit from failing again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (RecordingError, StoreError) as exc:
        raise CliError(str(exc)) from None
    finally:
        if lens is not None:
            lens.close()
    if rec.errors:
        for line in rec.errors[:5]:
            print(f"realtime-inspector: {rec.name}: {line}", file=err)
    if rec.warning:
        print(f"realtime-inspector: warning: {rec.warning}", file=err)
    return 0
