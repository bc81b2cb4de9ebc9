"""RFC 6455 rules on one side's frames, judged after the fact: the proxy forwards a broken
frame as it came (it is a witness), and says what rule it broke and which close code the
receiving end would send for it (``--strict`` sends that code to the sender instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.protocol.closecodes import PROTOCOL_ERROR
from inspector.protocol.wsframes import (
    FrameViolation,
    TextChecker,
    check_bits_and_control,
    check_opcode,
    parse_close_payload,
)
from inspector.proxy.wire import RawFrame


@dataclass(frozen=True, slots=True)
class Violation:
    code: int  # the close code the receiver of the frame would answer with
    reason: str  # one line: what the sender did


class SideChecker:
    """The frames one side sends, in order; ``client`` says which side (masking differs).
    The rules are the client's receive side's (protocol/wsframes), said of either sender."""

    def __init__(self, client: bool) -> None:
        self.client = client
        self.who = "client" if client else "server"
        self._in_message = False
        self._text: TextChecker | None = None

    def check(self, frame: RawFrame) -> Violation | None:
        if (frame.opcode == 0x2 and frame.fin and not frame.rsv and frame.masked == self.client
                and not self._in_message):
            self._text = None  # a whole binary message, as _check would find it: nothing to say
            return None
        try:
            self._check(frame)
        except FrameViolation as exc:
            return Violation(exc.code, exc.reason)
        return None

    def _check(self, f: RawFrame) -> None:
        who = self.who
        check_opcode(f.opcode, who)
        if f.masked != self.client:
            raise FrameViolation(PROTOCOL_ERROR, f"{who} sent an unmasked frame" if self.client
                                 else f"{who} sent a masked frame")
        b0 = (0x80 if f.fin else 0) | f.rsv << 4 | f.opcode
        check_bits_and_control(b0, f.opcode, len(f.payload), who)
        if f.opcode >= 0x8:
            if f.opcode == 0x8:
                parse_close_payload(f.payload, who)
            return
        if f.opcode == 0x0:
            if not self._in_message:
                raise FrameViolation(PROTOCOL_ERROR, f"{who} sent a continuation frame with no message in progress")
        else:
            if self._in_message:
                self._in_message = False
                raise FrameViolation(PROTOCOL_ERROR, f"{who} sent a data frame inside a fragmented message")
            self._text = TextChecker(who) if f.opcode == 0x1 else None
        self._in_message = not f.fin
        if self._text is not None:
            try:
                self._text.feed(f.payload, f.fin)
            except FrameViolation:
                self._text = None
                raise
