"""The receive parser's own contract: what it returns, what it says about a violation, and that it stops."""

from __future__ import annotations

import pytest

from inspector.protocol.wsframes import (
    CloseReceived,
    Failure,
    FrameParser,
    PingReceived,
    PongReceived,
    TextMessage,
)


def frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n > 0xFFFF:
        return bytes([b0, 127]) + n.to_bytes(8, "big") + payload
    if n > 125:
        return bytes([b0, 126]) + n.to_bytes(2, "big") + payload
    return bytes([b0, n]) + payload


def test_binary_messages_are_plain_bytes_and_the_rest_are_events():
    parser = FrameParser()
    data = (frame(0x2, b"one") + frame(0x9, b"p") + frame(0x1, "é".encode()) + frame(0xA, b"q")
            + frame(0x2, b"tw", fin=False) + frame(0x0, b"o") + frame(0x8, b"\x03\xe8bye"))
    assert parser.feed(data) == [b"one", PingReceived(b"p"), TextMessage("é".encode()), PongReceived(b"q"), b"two",
                                 CloseReceived(1000, "bye")]
    assert parser.closed and parser.failure is None
    assert parser.feed(frame(0x2, b"after the close")) == []


def test_a_large_frame_arriving_in_small_reads_comes_out_whole():
    payload = bytes(range(256)) * 4096  # 1 MiB: a 64-bit length
    data = frame(0x2, b"before") + frame(0x2, payload) + frame(0x2, b"after")
    parser = FrameParser(max_size=2**21)
    got = []
    for i in range(0, len(data), 1000):
        got += parser.feed(data[i:i + 1000])
    assert got == [b"before", payload, b"after"]


@pytest.mark.parametrize("data, failure", [
    (frame(0x2, b"AB", fin=False) + frame(0x2, b"X") + frame(0x0, b"CD"),
     Failure(1002, "server sent a data frame inside a fragmented message")),
    (frame(0x0, b"CD"), Failure(1002, "server sent a continuation frame with no message in progress")),
    (bytes([0x82, 0x81]) + b"abcd" + b"x", Failure(1002, "server sent a masked frame")),
    (bytes([0xC2, 1]) + b"x", Failure(1002, "server set reserved bits (RSV1-3) with no extension negotiated")),
    (bytes([0x83, 0]), Failure(1002, "server sent a frame with the reserved opcode 0x3")),
    (frame(0x9, b"x" * 126), Failure(1002, "server sent a control frame longer than 125 bytes")),
    (frame(0x9, b"x", fin=False), Failure(1002, "server sent a fragmented control frame")),
    (frame(0x8, b"\x03"), Failure(1002, "server sent a close frame with a 1-byte payload")),
    (frame(0x8, b"\x03\xed"), Failure(1002, "server sent the invalid close code 1005")),
    (frame(0x8, b"\x03\xe8\xff"), Failure(1007, "server sent a close reason that is not UTF-8 (invalid start byte at "
                                                "position 0)")),
    (frame(0x1, b"ok \xff"), Failure(1007, "server sent a text message that is not UTF-8 (invalid start byte at "
                                           "position 3)")),
    (frame(0x1, b"ok", fin=False) + frame(0x0, b" \xc3("),
     Failure(1007, "server sent a text message that is not UTF-8 (invalid continuation byte at position 3)")),
    (bytes([0x82, 127]) + (2**63).to_bytes(8, "big"),
     Failure(1002, "server sent a 64-bit frame length with the high bit set")),
    (frame(0x2, b"x" * 60, fin=False) + frame(0x0, b"y" * 41),
     Failure(1009, "server sent a message over the size limit of 100 bytes")),
])
def test_each_violation_is_named_and_ends_the_stream(data: bytes, failure: Failure):
    parser = FrameParser(max_size=100)
    parser.feed(b"")
    assert parser.feed(frame(0x2, b"first") + data) == [b"first"]
    assert parser.failure == failure
    assert parser.feed(frame(0x2, b"more")) == []


def test_too_many_fragments():
    parser = FrameParser(max_fragments=3)
    ok = frame(0x2, b"a", fin=False) + frame(0x0, b"b", fin=False) + frame(0x0, b"c")
    assert parser.feed(ok) == [b"abc"]
    assert parser.feed(ok[:-3] + frame(0x0, b"c", fin=False)) == []
    assert parser.failure == Failure(1009, "server sent a message in more than 3 fragments")


def test_frames_with_a_16_bit_length_split_at_every_byte_come_out_whole():
    payloads = [bytes([k]) * (126 + 300 * k) for k in range(4)]
    data = b"".join(frame(0x2, p) for p in payloads) + frame(0x9, b"p")
    for cut in range(len(data) + 1):
        parser = FrameParser()
        assert parser.feed(data[:cut]) + parser.feed(data[cut:]) == [*payloads, PingReceived(b"p")]


def test_a_16_bit_length_over_the_size_limit_is_refused():
    parser = FrameParser(max_size=200)
    assert parser.feed(frame(0x2, b"x" * 200) + frame(0x2, b"y" * 201)) == [b"x" * 200]
    assert parser.failure == Failure(1009, "server sent a message over the size limit of 200 bytes")


@pytest.mark.parametrize("payload_size", [100, 300, 70_000])  # a 7-bit, a 16-bit and a 64-bit length
def test_a_frame_split_in_two_reads_anywhere_comes_out_as_whole(payload_size):
    """Held across reads, each kind of frame comes out as fed whole, wherever the read ended: in
    its header, or in its payload (whose bytes are then joined straight from the reads)."""
    payload = bytes(range(256)) * (payload_size // 256) + bytes(payload_size % 256)
    frames = [frame(0x2, payload), frame(0x1, b"t" * payload_size), frame(0x2, payload[:9], fin=False)
              + frame(0x0, payload)]
    if payload_size <= 125:
        frames += [frame(0x9, payload), frame(0x8, b"\x03\xe8" + b"r" * (payload_size - 2))]
    for data in frames:
        data = frame(0x2, b"before") + data + frame(0x2, b"after")
        expected = FrameParser(max_size=2**21).feed(data)
        step = 1 if payload_size < 1000 else 997
        for cut in [*range(1, len(data), step), len(data) - 7, len(data) - 8]:
            parser = FrameParser(max_size=2**21)
            got = parser.feed(data[:cut]) + parser.feed(data[cut:])
            assert got == expected and all(type(m) is bytes for m in got if not hasattr(m, "__slots__")), cut
            assert parser.failure is None
