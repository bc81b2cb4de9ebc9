"""RFC 6455 rules on one side's frames, judged after the fact: the proxy forwards a broken
frame as it came (it is a witness), and says what rule it broke and which close code the
receiving end would send for it (``--strict`` sends that code to the sender instead).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from inspector.protocol.closecodes import INVALID_DATA, PROTOCOL_ERROR
from inspector.protocol.wsframes import MAX_CONTROL_PAYLOAD, is_sendable_close_code
from inspector.proxy.wire import RawFrame

_KNOWN = frozenset((0x0, 0x1, 0x2, 0x8, 0x9, 0xA))


@dataclass(frozen=True, slots=True)
class Violation:
    code: int  # the close code the receiver of the frame would answer with
    reason: str  # one line: what the sender did


class SideChecker:
    """The frames one side sends, in order; ``client`` says which side (masking differs)."""

    def __init__(self, client: bool) -> None:
        self.client = client
        self.who = "client" if client else "server"
        self._in_message = False
        self._text: codecs.IncrementalDecoder | None = None

    def check(self, frame: RawFrame) -> Violation | None:
        try:
            self._check(frame)
        except _Broken as exc:
            return Violation(exc.code, f"{self.who} {exc.args[0]}")
        return None

    def _check(self, f: RawFrame) -> None:
        if f.opcode not in _KNOWN:
            raise _Broken(PROTOCOL_ERROR, f"sent a frame with the reserved opcode {f.opcode:#x}")
        if f.masked != self.client:
            raise _Broken(PROTOCOL_ERROR, "sent an unmasked frame" if self.client else "sent a masked frame")
        if f.rsv:
            raise _Broken(PROTOCOL_ERROR, "set reserved bits (RSV1-3) with no extension negotiated")
        if f.opcode >= 0x8:
            self._control(f)
            return
        if f.opcode == 0x0:
            if not self._in_message:
                raise _Broken(PROTOCOL_ERROR, "sent a continuation frame with no message in progress")
        else:
            if self._in_message:
                self._in_message = False
                raise _Broken(PROTOCOL_ERROR, "sent a data frame inside a fragmented message")
            self._text = codecs.getincrementaldecoder("utf-8")() if f.opcode == 0x1 else None
        self._in_message = not f.fin
        if self._text is not None:
            try:
                self._text.decode(f.payload, f.fin)
            except UnicodeDecodeError as exc:
                self._text = None
                raise _Broken(INVALID_DATA, f"sent a text message that is not UTF-8 ({exc.reason})") from None

    def _control(self, f: RawFrame) -> None:
        if len(f.payload) > MAX_CONTROL_PAYLOAD:
            raise _Broken(PROTOCOL_ERROR, f"sent a control frame longer than {MAX_CONTROL_PAYLOAD} bytes")
        if not f.fin:
            raise _Broken(PROTOCOL_ERROR, "sent a fragmented control frame")
        if f.opcode != 0x8 or not f.payload:
            return
        if len(f.payload) == 1:
            raise _Broken(PROTOCOL_ERROR, "sent a close frame with a 1-byte payload")
        try:
            f.payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise _Broken(INVALID_DATA, "sent a close reason that is not UTF-8") from None
        code = int.from_bytes(f.payload[:2], "big")
        if not is_sendable_close_code(code):
            raise _Broken(PROTOCOL_ERROR, f"sent the invalid close code {code}")


class _Broken(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
