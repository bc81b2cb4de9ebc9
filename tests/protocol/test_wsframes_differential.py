"""The receive parser against websockets' own Sans-I/O ClientProtocol on the same random byte streams.

Streams mix valid messages (fragmented, text split inside UTF-8 sequences, control frames in
between) with every framing violation the parser knows, cut at random points. Both sides
must deliver the same messages, PINGs and PONGs in order and close with the same code.
``-m slow`` runs many more examples.

websockets checks UTF-8 and the fragment count above its Sans-I/O layer (in its asyncio
connection), so the websockets side here assembles messages itself, decoding text
incrementally as the RFC allows. One difference is by design: a 64-bit length with its
high bit set is a framing error (RFC 6455 5.2, 1002); websockets reports it as too big.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
from itertools import pairwise

import pytest
from fuzz_budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.uri import parse_uri

from inspector.protocol.wsframes import CloseReceived, FrameParser, PingReceived, PongReceived, TextMessage

MAX_SIZE = 2048
HIGH_BIT = "server sent a 64-bit frame length with the high bit set"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ------------------------------------------------------------ frames on the wire

def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0, mask: bytes | None = None,
          form: str = "min") -> bytes:
    """One frame's bytes; ``form`` forces a longer length encoding than needed ("16", "64")."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if mask is not None else 0
    if form == "64" or n > 0xFFFF:
        head = bytes([b0, mbit | 127]) + n.to_bytes(8, "big")
    elif form == "16" or n > 125:
        head = bytes([b0, mbit | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, mbit | n])
    if mask is not None:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


small = st.binary(max_size=40)
forms = st.sampled_from(["min", "min", "min", "16", "64"])
control_payload = st.binary(max_size=125)


@st.composite
def interleaved_controls(draw) -> list[bytes]:
    ops = draw(st.lists(st.sampled_from([0x9, 0xA]), max_size=2))
    return [frame(op, draw(control_payload), form=draw(forms)) for op in ops]


@st.composite
def fragments_of(draw, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=4)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


@st.composite
def valid_message(draw) -> bytes:
    if draw(st.booleans()):
        opcode, data = 0x2, draw(st.one_of(small, st.binary(min_size=126, max_size=300)))
    else:
        opcode, data = 0x1, draw(st.text(max_size=30)).encode()
    parts = draw(fragments_of(data))
    out = b""
    for k, part in enumerate(parts):
        out += frame(opcode if k == 0 else 0x0, part, fin=k == len(parts) - 1, form=draw(forms))
        if k < len(parts) - 1:
            out += b"".join(draw(interleaved_controls()))
    return out


def close_payload(code: int | None, reason: bytes) -> bytes:
    return b"" if code is None else code.to_bytes(2, "big") + reason


codes = st.one_of(st.sampled_from([999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1014, 1015, 1016,
                                   2999, 3000, 4999, 5000]), st.integers(0, 65535))
reasons = st.one_of(st.text(max_size=20).map(str.encode), st.sampled_from([b"\xff", b"ok \xc3", b"\xed\xa0\x80"]))


@st.composite
def violation(draw) -> bytes:
    """A frame (or short sequence) that breaks a rule, or a close."""
    kind = draw(st.sampled_from(["masked", "rsv", "opcode", "ctrl_long", "ctrl_frag", "close_one", "close",
                                 "cont_alone", "data_in_frag", "close_in_frag", "bad_text", "bad_text_frag",
                                 "too_big", "too_big_frags", "high_bit"]))
    broken = _broken_frame(draw, kind)
    if broken is not None:
        return broken
    start = frame(draw(st.sampled_from([0x1, 0x2])), b"AB", fin=False)
    return _broken_sequence(draw, kind, start)


def _broken_frame(draw, kind: str) -> bytes | None:
    """A violation of ``kind`` within one frame; None for the kinds that need more than one."""
    if kind == "masked":
        return frame(draw(st.sampled_from([0x1, 0x2, 0x9])), b"hi", mask=draw(st.binary(min_size=4, max_size=4)))
    if kind == "rsv":
        return frame(draw(st.sampled_from([0x0, 0x2, 0x9])), draw(small), rsv=draw(st.integers(1, 7)))
    if kind == "opcode":
        return frame(draw(st.sampled_from([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])), draw(small))
    if kind == "ctrl_long":
        return frame(draw(st.sampled_from([0x8, 0x9, 0xA])), draw(st.binary(min_size=126, max_size=200)))
    if kind == "ctrl_frag":
        return frame(draw(st.sampled_from([0x8, 0x9, 0xA])), draw(small), fin=False)
    if kind == "close_one":
        return frame(0x8, draw(st.binary(min_size=1, max_size=1)))
    if kind == "close":
        return frame(0x8, close_payload(draw(st.one_of(st.none(), codes)), draw(reasons)))
    if kind == "cont_alone":
        return frame(0x0, draw(small), fin=draw(st.booleans()))
    return None


def _broken_sequence(draw, kind: str, start: bytes) -> bytes:
    """The other kinds: a fragmented message broken after its ``start``, bad text, a length too big."""
    if kind == "data_in_frag":
        return start + frame(draw(st.sampled_from([0x1, 0x2])), b"X") + frame(0x0, b"CD")
    if kind == "close_in_frag":
        return start + frame(0x8, close_payload(draw(st.one_of(st.none(), codes)), draw(reasons)))
    if kind == "bad_text":
        return frame(0x1, draw(st.sampled_from([b"\xff", b"a\xc3(", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])))
    if kind == "bad_text_frag":
        return frame(0x1, b"ok \xc3", fin=False) + frame(0x0, draw(st.sampled_from([b"\xa9 fine", b"( bad"])))
    if kind == "too_big":  # the header alone decides
        return frame(0x2, b"", form="64")[:2] + (MAX_SIZE + draw(st.integers(1, 10))).to_bytes(8, "big")
    if kind == "too_big_frags":
        return frame(0x2, b"x" * (MAX_SIZE - 10), fin=False) + frame(0x0, b"y" * draw(st.integers(0, 20)))
    return b"\x82\x7f" + (2**63 + draw(st.integers(0, 2**20))).to_bytes(8, "big")


@st.composite
def streams(draw) -> tuple[bytes, list[bytes]]:
    units = draw(st.lists(st.one_of(valid_message(), valid_message(), interleaved_controls().map(b"".join),
                                    violation()), min_size=1, max_size=8))
    data = b"".join(units)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    bounds = [0, *cuts, len(data)]
    return data, [data[a:b] for a, b in pairwise(bounds)]


# ------------------------------------------------------------ both sides

Outcome = tuple[list[tuple], int | None, str]


def through_websockets(chunks: list[bytes]) -> Outcome:
    """websockets' ClientProtocol after a real (in-memory) opening handshake; messages assembled here."""
    protocol = ClientProtocol(parse_uri("ws://server.test/api"), max_size=MAX_SIZE)
    request = protocol.connect()
    protocol.send_request(request)
    protocol.data_to_send()
    key = request.headers["Sec-WebSocket-Key"]
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    protocol.receive_data(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
    assert protocol.events_received() and protocol.handshake_exc is None
    got: list[tuple] = []
    parts: list[bytes] = []
    text = None
    for chunk in chunks:
        protocol.receive_data(chunk)
        for ev in protocol.events_received():
            if ev.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
                if ev.opcode is not Opcode.CONT:
                    parts, text = [], codecs.getincrementaldecoder("utf-8")() if ev.opcode is Opcode.TEXT else None
                parts.append(bytes(ev.data))
                if text is not None:
                    try:
                        text.decode(bytes(ev.data), ev.fin)
                    except UnicodeDecodeError:
                        return got, 1007, "utf-8"
                if ev.fin:
                    got.append(("message", b"".join(parts), text is not None))
            elif ev.opcode is Opcode.PING:
                got.append(("ping", bytes(ev.data)))
            elif ev.opcode is Opcode.PONG:
                got.append(("pong", bytes(ev.data)))
    sent = protocol.close_sent
    return got, None if sent is None else int(sent.code), ""


def through_ours(chunks: list[bytes]) -> Outcome:
    parser = FrameParser(MAX_SIZE)
    got: list[tuple] = []
    close = None
    for chunk in chunks:
        for ev in parser.feed(chunk):
            if type(ev) is bytes:
                got.append(("message", ev, False))
            elif type(ev) is TextMessage:
                got.append(("message", ev.data, True))
            elif type(ev) is PingReceived:
                got.append(("ping", ev.payload))
            elif type(ev) is PongReceived:
                got.append(("pong", ev.payload))
            elif type(ev) is CloseReceived:
                close = ev.code
    if parser.failure is not None:
        return got, parser.failure.code, parser.failure.reason
    return got, close, ""


def _compare(stream: tuple[bytes, list[bytes]]) -> None:
    _, chunks = stream
    theirs, ours = through_websockets(chunks), through_ours(chunks)
    assert ours[0] == theirs[0]
    if ours[2] == HIGH_BIT:
        assert theirs[1] == 1009 and ours[1] == 1002
    else:
        assert ours[1] == theirs[1], ours[2]


@pytest.mark.slow  # -m slow: every example
@pytest.mark.timeout(900)
@settings(max_examples=examples(15000, share=50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_same_messages_and_close_code_as_websockets(stream: tuple[bytes, list[bytes]]) -> None:
    _compare(stream)


@pytest.mark.parametrize("data, messages, code", [
    # the case that started it: a complete frame inside a fragmented message
    (frame(0x2, b"AB", fin=False) + frame(0x2, b"X") + frame(0x0, b"CD"), [], 1002),
    (frame(0x2, b"AB", fin=False) + frame(0x9, b"p") + frame(0x0, b"CD"), [("ping", b"p"), ("message", b"ABCD", False)],
     None),
    (frame(0x1, "é".encode()[:1], fin=False) + frame(0x0, "é".encode()[1:]), [("message", "é".encode(), True)], None),
    (frame(0x8, close_payload(1000, b"bye")) + frame(0x2, b"after"), [], 1000),
])
def test_known_streams_byte_by_byte(data: bytes, messages: list, code: int | None) -> None:
    chunks = [data[i:i + 1] for i in range(len(data))]
    assert through_ours(chunks)[:2] == through_websockets(chunks)[:2] == (messages, code)
