"""TCP reassembly for reading captures: the byte stream of one direction, in order, once.

Retransmissions and overlaps are trimmed to the bytes not yet delivered; segments that
arrive early wait until the gap before them fills. Sequence numbers are followed across
the 2**32 wrap. A capture that starts after the SYN starts the stream at its first segment.
"""

from __future__ import annotations

from inspector.recording.pcapng_net import TCP_FIN, TCP_RST, TCP_SYN, Segment

_HALF = 1 << 31


class Direction:
    """One direction of one TCP connection. ``add`` returns the newly in-order bytes."""

    def __init__(self) -> None:
        self.next: int | None = None   # stream offset of the next byte to deliver, as an unwrapped sequence number
        self._early: dict[int, bytes] = {}
        self.fin = False
        self.rst = False
        self.missing = 0  # bytes never seen before the stream ended (a gap it could not fill)

    def _unwrap(self, seq: int) -> int:
        assert self.next is not None
        delta = (seq - self.next) & 0xFFFFFFFF
        return self.next + (delta - (1 << 32) if delta >= _HALF else delta)

    def add(self, seg: Segment) -> bytes:
        if seg.flags & TCP_RST:
            self.rst = True
        if seg.flags & TCP_SYN:
            if self.next is None:
                self.next = seg.seq + 1
            return b""
        payload = seg.payload
        if self.next is None:
            if not payload:
                return b""
            self.next = seg.seq
        if seg.flags & TCP_FIN:
            self.fin = True
        if not payload:
            return b""
        return self._deliver(self._unwrap(seg.seq), payload)

    def _deliver(self, start: int, payload: bytes) -> bytes:
        """What ``payload`` (at stream offset ``start``) adds in order, with the early bytes it lets through."""
        assert self.next is not None
        end = start + len(payload)
        if end <= self.next:
            return b""  # all of it delivered already
        if start > self.next:
            if len(payload) > len(self._early.get(start, b"")):
                self._early[start] = payload
            return b""
        out = [payload[self.next - start:]]
        self.next = end
        while self._early:
            ready = [s for s in self._early if s <= self.next]
            if not ready:
                break
            for s in sorted(ready):
                chunk = self._early.pop(s)
                if s + len(chunk) > self.next:
                    out.append(chunk[self.next - s:])
                    self.next = s + len(chunk)
        return b"".join(out)

    def held(self) -> int:
        """Bytes waiting behind a gap that never filled."""
        return sum(len(c) for c in self._early.values())
