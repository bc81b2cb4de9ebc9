"""One line per forwarded frame: the ``tail --json`` schema plus ``direction`` (c2s / s2c)
and the connection pair, or a short human line. No token reaches a line: frames carry none,
and the upgrade's target is shown with its ``token`` masked."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from inspector.protocol.events import IN, OUT, FrameSeen
from inspector.protocol.json_output import SCHEMA_VERSION, FastLine, dumps, frame_record
from inspector.proxy.checks import Violation
from inspector.proxy.event_line import EventLines
from inspector.proxy.wire import MessageJoiner, RawFrame, parse_close

_CONTROL = {0x8: "WS_CLOSE", 0x9: "WS_PING", 0xA: "WS_PONG"}


class PairLog(Protocol):
    """What a pair logs to: FrameLog here, or the log process's end of the pipe (log_pipe)."""

    def note(self, event: str, t: float | None = None, **fields: Any) -> None: ...

    def frame(self, c2s: bool, frame: RawFrame, violation: Violation | None = None, action: str | None = None,
              t: float | None = None) -> None: ...

    def flush(self) -> None: ...

    async def caught_up(self) -> None: ...


class FrameLog:
    """The lines of one client↔upstream pair; ``emit`` takes each line (without newline), and
    ``emit_bytes``, when given, each --json line of a whole EVENT frame made as bytes (ASCII)."""

    def __init__(self, conn: str, client: str, upstream: str, as_json: bool, emit: Callable[[str], None],
                 emit_bytes: Callable[[bytes], None] | None = None) -> None:
        self.conn = conn
        self.client = client
        self.upstream = upstream
        self.as_json = as_json
        self.emit = emit
        self.emit_bytes = emit_bytes if emit_bytes is not None else self._emit_ascii
        self._joiners = {True: MessageJoiner(), False: MessageJoiner()}
        self._events = {c2s: EventLines(conn, client, upstream, c2s) for c2s in (True, False)}

    def _emit_ascii(self, line: bytes) -> None:
        self.emit(line.decode("ascii"))

    def flush(self) -> None:
        """Lines are emitted as they are made."""

    async def caught_up(self) -> None:
        """Nothing is ever behind."""

    def note(self, event: str, t: float | None = None, **fields: Any) -> None:
        """A line about the pair itself (opened, refused, closed)."""
        if self.as_json:
            record = {"v": SCHEMA_VERSION, "t": time.time() if t is None else t, "conn": self.conn, "event": event,
                      "client": self.client, "upstream": self.upstream, **fields}
            self.emit(dumps(record))
        else:
            details = " ".join(f"{k}={v}" for k, v in fields.items())
            self.emit(f"#{self.conn} {event} {self.client} ↔ {self.upstream} {details}".rstrip())

    def frame(self, c2s: bool, frame: RawFrame, violation: Violation | None = None, action: str | None = None,
              t: float | None = None) -> None:
        if t is None:
            t = time.time()
        if (frame.opcode == 0x2 and frame.fin and not frame.rsv and violation is None and action is None
                and self._joiners[c2s].idle):
            if self.as_json:
                line = self._events[c2s].json(frame.payload, t)
                if line is not None:
                    self.emit_bytes(line)
                    return
            else:
                text = self._events[c2s].text(frame.payload)
                if text is not None:
                    self.emit(text)
                    return
        self.emit(self.standard_line(c2s, frame, violation, action, t))

    def binary_frames(self, c2s: bool, payloads: Sequence[bytes], start: int, t: float,
                      stop: int | None = None) -> None:
        """``frame`` for each of ``payloads[start:stop]``: whole binary frames, nothing to say about them."""
        events, joiner = self._events[c2s], self._joiners[c2s]
        for i in range(start, len(payloads) if stop is None else stop):
            payload = payloads[i]
            if self.as_json:
                line = events.json(payload, t) if joiner.idle else None
                if line is not None:
                    self.emit_bytes(line)
                    continue
            else:
                text = events.text(payload) if joiner.idle else None
                if text is not None:
                    self.emit(text)
                    continue
            self.frame(c2s, RawFrame(0x2, payload, masked=c2s), t=t)

    def standard_line(self, c2s: bool, frame: RawFrame, violation: Violation | None, action: str | None,
                      t: float) -> str:
        """The line of any frame, made from its record (``frame`` makes the same, sooner when it can)."""
        record, fast = self._record(c2s, frame, t)
        if violation is not None:
            record["violation"] = {"code": violation.code, "reason": violation.reason}
        if action is not None:
            record["action"] = action
        return dumps(record, fast) if self.as_json else _human(record)

    def _record(self, c2s: bool, frame: RawFrame, t: float) -> tuple[dict[str, Any], FastLine | None]:
        """The frame's record, and whether (and how) ``dumps`` may write it the fast way."""
        op = frame.opcode
        joined = self._joiners[c2s].add(frame)
        fast = None
        if joined is not None:
            whole, text, count = joined
            record, fast = frame_record(FrameSeen(self.conn, t, OUT if c2s else IN, whole, text=text))
            if count > 1:
                record["fragments"] = count
        else:
            record = {"v": SCHEMA_VERSION, "t": t, "conn": self.conn, "event": "frame",
                      "dir": OUT if c2s else IN, "kind": _CONTROL.get(op, "FRAGMENT" if op < 3 else "WS_RESERVED"),
                      "size": len(frame.payload), "raw_b64": base64.b64encode(frame.payload).decode("ascii")}
            if op == 0x8:
                code, reason = parse_close(frame.payload)
                record["close_code"] = code
                record["close_reason"] = reason
        record["direction"] = "c2s" if c2s else "s2c"
        record["client"] = self.client
        record["upstream"] = self.upstream
        record["opcode"] = op
        if not frame.fin:
            record["fin"] = False
        if frame.rsv:
            record["rsv"] = frame.rsv
        return record, fast


def _human(record: dict[str, Any]) -> str:
    arrow = "client → server" if record["direction"] == "c2s" else "server → client"
    kind = record["kind"]
    if "summary" in record:
        what = record["summary"]
    elif kind == "WS_CLOSE":
        what = f"code {record['close_code']} {record['close_reason']!r}"
    else:
        what = f"{record['size']} bytes"
    line = f"#{record['conn']} {arrow} {kind} {what}"
    if "action" in record:
        line += f" [{record['action']}]"
    if "violation" in record:
        v = record["violation"]
        line += f" !! {v['reason']} (receiver would close with {v['code']})"
    return line

