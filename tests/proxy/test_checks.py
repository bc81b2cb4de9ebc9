"""RFC 6455 rules per side, judged after the fact, with the code the receiver would send."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.protocol.wsframes import FrameParser, FrameViolation
from inspector.proxy.checks import SideChecker
from inspector.proxy.wire import RawFrame, encode

CASES = [
    (False, [RawFrame(0xB, b"")], 1002, "server sent a frame with the reserved opcode 0xb"),
    (True, [RawFrame(0x2, b"x")], 1002, "client sent an unmasked frame"),
    (False, [RawFrame(0x2, b"x", masked=True)], 1002, "server sent a masked frame"),
    (False, [RawFrame(0x2, b"x", rsv=4)], 1002, "server set reserved bits (RSV1-3) with no extension negotiated"),
    (False, [RawFrame(0x9, b"x" * 126)], 1002, "server sent a control frame longer than 125 bytes"),
    (False, [RawFrame(0xA, b"", fin=False)], 1002, "server sent a fragmented control frame"),
    (False, [RawFrame(0x0, b"x")], 1002, "server sent a continuation frame with no message in progress"),
    (False, [RawFrame(0x2, b"x", fin=False), RawFrame(0x2, b"y")], 1002,
     "server sent a data frame inside a fragmented message"),
    (False, [RawFrame(0x1, b"\xc3", fin=False), RawFrame(0x0, b"(")], 1007,
     "server sent a text message that is not UTF-8 (invalid continuation byte at position 0)"),
    (False, [RawFrame(0x8, b"\x03")], 1002, "server sent a close frame with a 1-byte payload"),
    (False, [RawFrame(0x8, b"\x03\xed")], 1002, "server sent the invalid close code 1005"),
    (False, [RawFrame(0x8, b"\x03\xe8\xff")], 1007,
     "server sent a close reason that is not UTF-8 (invalid start byte at position 0)"),
]


@pytest.mark.parametrize(("client", "frames", "code", "reason"), CASES)
def test_each_rule_and_its_code(client: bool, frames: list[RawFrame], code: int, reason: str) -> None:
    checker = SideChecker(client)
    *before, last = frames
    assert [checker.check(f) for f in before] == [None] * len(before)
    violation = checker.check(last)
    assert violation is not None and (violation.code, violation.reason) == (code, reason)


@pytest.mark.parametrize("frames", [case[1] for case in CASES if not case[0] and not case[1][-1].masked])
def test_a_server_frame_is_judged_as_the_clients_own_parser_judges_it(frames: list[RawFrame]) -> None:
    checker = SideChecker(client=False)
    violations = [checker.check(f) for f in frames]
    parser = FrameParser(max_size=None)
    parser.feed(b"".join(encode(f, False) for f in frames))
    assert parser.failure is not None and violations[-1] is not None
    assert (parser.failure.code, parser.failure.reason) == (violations[-1].code, violations[-1].reason)


def test_a_good_conversation_breaks_nothing() -> None:
    checker = SideChecker(client=True)
    frames = [RawFrame(0x1, "é".encode()[:1], fin=False, masked=True), RawFrame(0x9, b"", masked=True),
              RawFrame(0x0, "é".encode()[1:], masked=True), RawFrame(0x2, b"\x20", masked=True),
              RawFrame(0x8, b"\x03\xe8ok", masked=True)]
    assert [checker.check(f) for f in frames] == [None] * 5


frames_any = st.lists(st.builds(RawFrame, st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0xB]),
                                st.sampled_from([b"", b"x", b"\xc3", b"(", b"\x03\xe8", b"x" * 126]),
                                st.booleans(), st.sampled_from([0, 0, 4]), st.booleans()), max_size=12)


@given(client=st.booleans(), frames=frames_any)
def test_the_short_way_for_a_whole_binary_frame_judges_as_every_rule_does(client: bool,
                                                                            frames: list[RawFrame]) -> None:
    short, full = SideChecker(client), SideChecker(client)

    def every_rule(frame: RawFrame) -> tuple[int, str] | None:
        try:
            full._check(frame)
        except FrameViolation as exc:
            return exc.code, exc.reason
        return None

    for frame in frames:
        got = short.check(frame)
        assert (None if got is None else (got.code, got.reason)) == every_rule(frame)
