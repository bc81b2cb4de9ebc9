"""RFC 6455 frames at the frame level, both ways: a splitter that cuts a byte stream into
frames without judging them, and a writer that makes the bytes of any frame (valid or not).

The proxy forwards what it was given, so the splitter keeps what a message parser would
throw away: FIN, the RSV bits, the opcode (reserved ones too) and whether the frame was
masked. Only a frame too large to hold stops it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from inspector.protocol.wsframes import apply_mask, frame_bytes


@dataclass(slots=True)  # not frozen: one is made per frame, and a frozen one's __init__ costs four times more
class RawFrame:
    opcode: int
    payload: bytes  # unmasked
    fin: bool = True
    rsv: int = 0  # RSV1-3 as the three high bits of the first byte (0 to 7)
    masked: bool = False  # as it arrived; the writer masks per direction


class FrameTooLarge(ValueError):
    """A frame header announced more than the splitter will hold."""


def encode(frame: RawFrame, mask: bool) -> bytes:
    """The bytes of ``frame``, masked with a fresh key when ``mask`` (a client's frame)."""
    return frame_bytes(frame.opcode, frame.payload, os.urandom(4) if mask else None, frame.fin, frame.rsv)


class FrameSplitter:
    """Cuts one side's byte stream into frames, in order; ``feed`` returns what it completed.

    ``max_frame`` bounds one frame's payload: a larger announced length raises
    FrameTooLarge (the proxy cannot hold it), and the splitter takes nothing more.
    """

    def __init__(self, max_frame: int = 64 * 2**20) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()  # the start of a frame not yet whole
        self._need = 0  # bytes _buf must hold before that frame (or its header) can be whole
        self.last_raw = b""  # the exact bytes of the frames the last feed() completed

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held (a half-written frame when the stream ends)."""
        return len(self._buf)

    def _source(self, data: bytes) -> bytes | None:
        """What is held and ``data``, as one bytes object; None while the frame held stays incomplete."""
        buf = self._buf
        if not buf:
            return data
        if len(buf) + len(data) < self._need:  # a large frame still arriving: gathered in place
            buf += data
            return None
        src = b"".join((buf, data))
        buf.clear()
        return src

    def feed(self, data: bytes) -> list[RawFrame]:
        src = self._source(data)
        if src is None:
            self.last_raw = b""
            return []
        out: list[RawFrame] = []
        i = 0
        n = len(src)
        need = 0
        while True:
            if n - i < 2:
                need = 2
                break
            b0 = src[i]
            b1 = src[i + 1]
            length = b1 & 0x7F
            extended = 0 if length < 126 else 2 if length == 126 else 8
            masked = bool(b1 & 0x80)
            header = 2 + extended + (4 if masked else 0)
            if n - i < header:
                need = header
                break
            if extended:
                length = int.from_bytes(src[i + 2:i + 2 + extended], "big")
            if length > self.max_frame:
                raise FrameTooLarge(f"a frame of {length} bytes (more than {self.max_frame})")
            end = i + header + length
            if end > n:
                need = header + length
                break
            payload = src[i + header:end]
            out.append(RawFrame(b0 & 0x0F, apply_mask(payload, src[i + header - 4:i + header]) if masked else payload,
                                bool(b0 & 0x80), (b0 >> 4) & 7, masked))
            i = end
        self._need = need
        if i < n:
            self._buf += memoryview(src)[i:]
        self.last_raw = src if i == n else src[:i]
        return out


def close_payload(code: int | None, reason: str = "") -> bytes:
    """The payload of a close frame (empty when ``code`` is None)."""
    if code is None:
        return b""
    return code.to_bytes(2, "big") + reason.encode("utf-8")


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """A close frame's code and reason as sent (reason decoded leniently, for display)."""
    if len(payload) < 2:
        return None, ""
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace")



class MessageJoiner:
    """One direction's data frames joined into messages: ``add`` returns (payload, text,
    frame count) when a frame completes a message, None otherwise (control frames too)."""

    def __init__(self) -> None:
        self._parts: list[RawFrame] = []

    @property
    def idle(self) -> bool:
        """No fragmented message is in progress."""
        return not self._parts

    def add(self, frame: RawFrame) -> tuple[bytes, bool, int] | None:
        op = frame.opcode
        parts = self._parts
        if op in (0x1, 0x2) and frame.fin and not parts:
            return frame.payload, op == 0x1, 1
        if op not in (0x0, 0x1, 0x2) or (op == 0x0 and not parts):
            return None
        parts.append(frame)
        if not frame.fin:
            return None
        self._parts = []
        return b"".join(p.payload for p in parts), parts[0].opcode == 0x1, len(parts)
