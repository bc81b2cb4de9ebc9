"""RFC 6455 frames as a client receives them: a sans-I/O parser of the server's byte stream.

``feed`` takes whatever the socket gave and returns what it completed, in order: binary
messages as plain ``bytes`` (the common case, nothing wrapped), everything else as the
small classes below. A broken rule ends the stream: ``failure`` then holds the close
code the client must send and one line saying what the server did, and ``feed`` takes
nothing more. So does a close frame from the server (``closed``).

The checks and their order on a frame header follow websockets' own receive side, so a
complete frame that breaks several rules gets the same close code from both.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

from inspector.protocol.closecodes import INVALID_DATA, MESSAGE_TOO_BIG, NO_STATUS, PROTOCOL_ERROR

MAX_CONTROL_PAYLOAD = 125
_NO_LIMIT = 2**63
# RFC 6455 7.4.1: what a close frame may carry (1004-1006 and 1015 are never sent).
_SENDABLE_CODES = frozenset((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014))
_DATA_OPCODES = (0x0, 0x1, 0x2)
_KNOWN_OPCODES = frozenset((0x0, 0x1, 0x2, 0x8, 0x9, 0xA))


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A complete text message (valid UTF-8)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PingReceived:
    payload: bytes


@dataclass(frozen=True, slots=True)
class PongReceived:
    payload: bytes


@dataclass(frozen=True, slots=True)
class CloseReceived:
    code: int  # NO_STATUS (1005) for a close frame without a code
    reason: str


@dataclass(frozen=True, slots=True)
class Failure:
    code: int     # the close code to send
    reason: str   # one line: what the server did


WsEvent = bytes | TextMessage | PingReceived | PongReceived | CloseReceived


class FrameViolation(Exception):
    """A frame broke an RFC 6455 rule: ``code`` is the close code its receiver answers with,
    ``reason`` one line saying what its sender did ("server sent ...", "client sent ...")."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_Violation = FrameViolation


def is_sendable_close_code(code: int) -> bool:
    return code in _SENDABLE_CODES or 3000 <= code <= 4999


def parse_close_payload(payload: bytes, who: str = "server") -> CloseReceived:
    """The code and reason of a close frame ``who`` sent; FrameViolation when they break the rules."""
    if not payload:
        return CloseReceived(NO_STATUS, "")
    if len(payload) == 1:
        raise _Violation(PROTOCOL_ERROR, f"{who} sent a close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    try:  # the reason first, as websockets does: a bad code with a bad reason is 1007
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        why = _utf8_error(exc, 0)
        raise _Violation(INVALID_DATA, f"{who} sent a close reason that is not UTF-8 ({why})") from None
    if not is_sendable_close_code(code):
        raise _Violation(PROTOCOL_ERROR, f"{who} sent the invalid close code {code}")
    return CloseReceived(code, reason)


def check_opcode(opcode: int, who: str) -> None:
    if opcode not in _KNOWN_OPCODES:
        raise _Violation(PROTOCOL_ERROR, f"{who} sent a frame with the reserved opcode {opcode:#x}")


def check_bits_and_control(b0: int, opcode: int, length: int, who: str) -> None:
    """The RSV bits (no extension is ever negotiated) and the rules of control frames, from a
    frame's first byte and payload length."""
    if b0 & 0x70:
        raise _Violation(PROTOCOL_ERROR, f"{who} set reserved bits (RSV1-3) with no extension negotiated")
    if opcode >= 0x8:
        if length > MAX_CONTROL_PAYLOAD:
            raise _Violation(PROTOCOL_ERROR, f"{who} sent a control frame longer than {MAX_CONTROL_PAYLOAD} bytes")
        if not b0 & 0x80:
            raise _Violation(PROTOCOL_ERROR, f"{who} sent a fragmented control frame")


class TextChecker:
    """A text message's UTF-8, fragment by fragment (a character may span two)."""

    def __init__(self, who: str) -> None:
        self.who = who
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0

    def feed(self, payload: bytes, final: bool) -> None:
        pending = len(self._decoder.getstate()[0])
        try:
            self._decoder.decode(payload, final)
        except UnicodeDecodeError as exc:
            raise _Violation(INVALID_DATA, f"{self.who} sent a text message that is not UTF-8 "
                                           f"({_utf8_error(exc, self._offset - pending)})") from None
        self._offset += len(payload)


def frame_bytes(opcode: int, payload: bytes, mask: bytes | None = None, fin: bool = True, rsv: int = 0) -> bytes:
    """The bytes of one frame, valid or not: masked with the 4-byte ``mask`` when given (a
    client's frame); ``rsv`` holds RSV1-3 as the three bits 4, 2, 1."""
    n = len(payload)
    first = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0x0F)
    bit = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes((first, bit | n))
    elif n < 65536:
        head = bytes((first, bit | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, bit | 127)) + n.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + apply_mask(payload, mask)


def apply_mask(data: bytes, key: bytes) -> bytes:
    """``data`` XOR the 4-byte ``key`` repeated (masking and unmasking are the same)."""
    n = len(data)
    if not n:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def _utf8_error(exc: UnicodeDecodeError, offset: int) -> str:
    return f"{exc.reason} at position {offset + exc.start}"


class FrameParser:
    """The receive side of one client connection, after the opening handshake.

    ``max_size`` bounds a whole message (all its fragments); ``max_fragments`` the
    number of frames of one message. None means no bound.
    """

    def __init__(self, max_size: int | None = 2**20, max_fragments: int | None = None) -> None:
        self.max_size = _NO_LIMIT if max_size is None else max_size
        self.max_fragments = _NO_LIMIT if max_fragments is None else max_fragments
        self.failure: Failure | None = None
        self.closed = False
        self.others = 0  # events other than binary messages returned so far: a feed with none is all bytes
        # Bytes of an incomplete frame, kept as views of the reads that brought them (joined
        # once the frame is complete, its payload alone when its header came whole: a large
        # frame arriving in many reads is copied once, into the bytes kept).
        self._held: list[bytes | memoryview] = []
        self._held_size = 0
        self._need = 0
        # The fragmented message in progress, if any.
        self._fragments: list[bytes] | None = None
        self._fragments_size = 0
        self._text: TextChecker | None = None

    @property
    def done(self) -> bool:
        """Nothing more to parse: the server closed, or broke a rule."""
        return self.closed or self.failure is not None

    def feed(self, data: bytes) -> list[WsEvent]:
        """What ``data`` completes, in order; check ``failure`` afterwards."""
        if self.closed or self.failure is not None:
            return []
        events: list[WsEvent] = []
        try:
            start = self._complete_held(data, events) if self._held else 0
            if start < 0 or self.closed:
                return events
            i, need = self._parse(data, events, start)
        except _Violation as exc:
            self.failure = Failure(exc.code, exc.reason)
            self._fragments = None
            return events
        if i < len(data) and not self.closed:
            self._held = [memoryview(data)[i:] if i else data]
            self._held_size = len(data) - i
            self._need = need
        return events

    def _complete_held(self, data: bytes, events: list[WsEvent]) -> int:
        """Finish the held frame with the first bytes of ``data``, joining only what it needs
        (not the whole read); returns where the rest of ``data`` starts, or -1 when all of it
        is held still."""
        start = 0
        while self._held:
            take = self._need - self._held_size
            if len(data) - start < take:
                self._held.append(memoryview(data)[start:] if start else data)
                self._held_size += len(data) - start
                return -1
            self._held.append(memoryview(data)[start:start + take])
            start += take
            if self._held_frame(events):
                if self.closed:
                    return start
                continue
            buf = b"".join(self._held)
            self._held = []
            i, need = self._parse(buf, events, 0)
            if self.closed:
                return start
            if i < len(buf):  # the header is complete now; its payload needs more
                self._held = [buf[i:]]
                self._held_size = len(buf) - i
                self._need = need
        return start

    def _held_frame(self, events: list[WsEvent]) -> bool:
        """The held frame, complete now, when its first piece holds its whole header: its payload
        joined straight from the pieces (one copy, no frame-sized buffer to slice it from). Its
        header passed the checks when it came (``_parse`` checks a header before it waits for the
        payload). False, nothing done: the header came in pieces too (``_parse`` reads the join).
        The line that proves it: bench/bench_receive.py --shapes body60k under callgrind (bodies of
        tens of KB often span two reads)."""
        held = self._held
        first = held[0]
        if len(first) < 2:
            return False
        b0, b1 = first[0], first[1] & 0x7F
        header = 2 if b1 < 126 else 4 if b1 == 126 else 10
        if len(first) < header:
            return False
        held[0] = memoryview(first)[header:]
        payload = b"".join(held)
        self._held = []
        if b0 == 0x82 and self._fragments is None:  # the common case, as ``_parse`` takes it
            events.append(payload)
        else:
            self._frame(b0 & 0x0F, b0 & 0x80, payload, events.append)
        return True

    def _parse(self, data: bytes, events: list[WsEvent], start: int) -> tuple[int, int]:
        """Parse whole frames of ``data`` from ``start``; returns where the first incomplete one
        starts and how many bytes it needs in all."""
        append = events.append
        n = len(data)
        i = start
        max_size = self.max_size
        small = min(MAX_CONTROL_PAYLOAD, self.max_size)
        in_message = self._fragments is not None
        while True:
            if n - i < 2:
                return i, 2
            b0 = data[i]
            b1 = data[i + 1]
            # The hot case: FIN, BINARY, unmasked, 7-bit length, no message in progress.
            if b0 == 0x82 and b1 <= small and not in_message:
                end = i + 2 + b1
                if end > n:
                    return i, 2 + b1
                append(data[i + 2:end])
                i = end
                continue
            # As common: the same with a 16-bit length (payloads of 126 bytes to 64 KiB).
            if b0 == 0x82 and b1 == 126 and not in_message and n - i >= 4:
                length = data[i + 2] << 8 | data[i + 3]
                if length <= max_size:
                    end = i + 4 + length
                    if end > n:
                        return i, 4 + length
                    append(data[i + 4:end])
                    i = end
                    continue
            opcode = b0 & 0x0F
            check_opcode(opcode, "server")
            if b1 & 0x80:
                raise _Violation(PROTOCOL_ERROR, "server sent a masked frame")
            length = b1 & 0x7F
            header = 2
            if length == 126:
                header = 4
                if n - i < 4:
                    return i, 4
                length = int.from_bytes(data[i + 2:i + 4], "big")
            elif length == 127:
                header = 10
                if n - i < 10:
                    return i, 10
                length = int.from_bytes(data[i + 2:i + 10], "big")
                if length >> 63:
                    raise _Violation(PROTOCOL_ERROR, "server sent a 64-bit frame length with the high bit set")
            self._check_header(b0, opcode, length)
            end = i + header + length
            if end > n:
                return i, header + length
            self._frame(opcode, b0 & 0x80, data[i + header:end], append)
            i = end
            if self.closed:
                return i, 0
            in_message = self._fragments is not None

    def _check_header(self, b0: int, opcode: int, length: int) -> None:
        if opcode in _DATA_OPCODES:
            room = self.max_size - (self._fragments_size if self._fragments is not None else 0)
            if length > room:
                raise _Violation(MESSAGE_TOO_BIG, f"server sent a message over the size limit of {self.max_size} bytes")
        check_bits_and_control(b0, opcode, length, "server")

    def _frame(self, opcode: int, fin: int, payload: bytes, append: Callable[[WsEvent], None]) -> None:
        """One complete frame whose header passed the checks."""
        if opcode == 0x2 or opcode == 0x1:
            if self._fragments is not None:
                raise _Violation(PROTOCOL_ERROR, "server sent a data frame inside a fragmented message")
            if fin:
                if opcode == 0x2:
                    append(payload)
                else:
                    _check_utf8(payload)
                    self.others += 1
                    append(TextMessage(payload))
                return
            self._fragments = [payload]
            self._fragments_size = len(payload)
            self._text = None
            if opcode == 0x1:
                self._text = TextChecker("server")
                self._text.feed(payload, False)
        elif opcode == 0x0:
            fragments = self._fragments
            if fragments is None:
                raise _Violation(PROTOCOL_ERROR, "server sent a continuation frame with no message in progress")
            if self._text is not None:
                self._text.feed(payload, bool(fin))
            fragments.append(payload)
            self._fragments_size += len(payload)
            if fin:
                self._fragments = None
                data = b"".join(fragments)
                if self._text is not None:
                    self.others += 1
                    append(TextMessage(data))
                else:
                    append(data)
            elif len(fragments) >= self.max_fragments:
                raise _Violation(MESSAGE_TOO_BIG, f"server sent a message in more than {self.max_fragments} fragments")
        elif opcode == 0x9:
            self.others += 1
            append(PingReceived(payload))
        elif opcode == 0xA:
            self.others += 1
            append(PongReceived(payload))
        else:
            close = parse_close_payload(payload)
            self.others += 1
            if self._fragments is not None:
                # websockets does the same: the close is reported, the stream failed.
                append(close)
                raise _Violation(PROTOCOL_ERROR, "server closed in the middle of a fragmented message")
            append(close)
            self.closed = True


def _check_utf8(payload: bytes) -> None:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        why = _utf8_error(exc, 0)
        raise _Violation(INVALID_DATA, f"server sent a text message that is not UTF-8 ({why})") from None
