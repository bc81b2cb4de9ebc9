"""Turning session events into ``tail``'s human-readable lines.

``tail --json`` prints protocol/json_output.py's lines, the same as ``replay --json``.
"""

from __future__ import annotations

import sys
import time

from inspector.protocol.describe import SEPARATOR, describe_pong_missed, describe_state, describe_subscription
from inspector.protocol.events import (
    FrameSeen,
    PongMissed,
    RttMeasured,
    ServerPingAnswered,
    SessionEvent,
    StateChanged,
    SubscriptionChanged,
)
from inspector.protocol.frames import DecodeError, Frame, summarize
from inspector.protocol.kinds import kind_name
from inspector.redact import redact_url


def _clock(t: float) -> str:
    lt = time.localtime(t)
    return f"{lt.tm_hour:02d}:{lt.tm_min:02d}:{lt.tm_sec:02d}.{int(t * 1000) % 1000:03d}"


def _kind(ev: FrameSeen, frame: Frame | DecodeError | None) -> str:
    if ev.text:
        return "TEXT"
    if isinstance(frame, DecodeError) or frame is None:
        return kind_name(ev.data[0]) if ev.data else "EMPTY"
    return frame.kind.name


def _one_line(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class TextFormatter:
    def __init__(self, url: str = "", unicode: bool = True):
        self.url = redact_url(url) if url else ""
        self.arrows = {"in": "←", "out": "→"} if unicode else {"in": "<-", "out": "->"}
        self.dot = "•" if unicode else "*"
        self.unicode = unicode

    def __call__(self, ev: SessionEvent) -> str | None:
        if isinstance(ev, FrameSeen):
            frame = ev.decoded()  # the client leaves message EVENTs undecoded: tail decodes when it prints
            topic = getattr(frame, "topic", None) or "-"
            seq = getattr(frame, "seq", None)
            summary = summarize(frame) if frame is not None else ""
            line = (f"{_clock(ev.t)} {self.arrows.get(ev.direction, '?')} {_kind(ev, frame):<11} {topic:<16} "
                    f"{'#' + str(seq) if seq is not None else '-':>6} {summary}")
            return _one_line(line.rstrip())
        text = self.describe(ev)
        if text is None:
            return None
        return _one_line(f"{_clock(ev.t)} {self.dot} {text}")

    def describe(self, ev: SessionEvent) -> str | None:
        if isinstance(ev, StateChanged):
            text = describe_state(ev, url=self.url)
        elif isinstance(ev, SubscriptionChanged):
            text = describe_subscription(ev)
        elif isinstance(ev, PongMissed):
            text = describe_pong_missed(ev)
        elif isinstance(ev, RttMeasured):
            return f"rtt {ev.rtt * 1000:.2f} ms"
        elif isinstance(ev, ServerPingAnswered):
            return f"answered server ping in {ev.response_time * 1000:.2f} ms"
        else:
            return None
        return text if self.unicode else text.replace(SEPARATOR, " - ")

def stdout_is_unicode() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc in ("utf8", "utf16", "utf32")
