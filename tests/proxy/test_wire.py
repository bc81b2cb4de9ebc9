"""The frame splitter and writer: any frames, cut anywhere, come back as they were written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.proxy.wire import FrameSplitter, FrameTooLarge, RawFrame, apply_mask, encode

frames = st.lists(st.builds(RawFrame, st.integers(0, 15), st.binary(max_size=70000) | st.binary(max_size=130),
                            st.booleans(), st.integers(0, 7), st.booleans()), max_size=6)


@given(frames=frames, cuts=st.lists(st.integers(1, 5000), max_size=20))
def test_frames_cut_anywhere_come_back_whole(frames: list[RawFrame], cuts: list[int]) -> None:
    data = b"".join(encode(f, f.masked) for f in frames)
    splitter = FrameSplitter()
    got: list[RawFrame] = []
    raw: list[bytes] = []  # what each read lets go on as it came
    i = 0
    for cut in cuts:
        got += splitter.feed(data[i:i + cut])
        raw.append(splitter.last_raw)
        assert sum(map(len, raw)) + splitter.pending == min(i + cut, len(data))
        i += cut
    got += splitter.feed(data[i:])
    raw.append(splitter.last_raw)
    assert got == frames and splitter.pending == 0
    assert b"".join(raw) == data and all(type(r) is bytes for r in raw)
    assert all(type(f.payload) is bytes for f in got)


@given(data=st.binary(max_size=300), key=st.binary(min_size=4, max_size=4))
def test_masking_twice_is_the_identity(data: bytes, key: bytes) -> None:
    masked = apply_mask(data, key)
    assert apply_mask(masked, key) == data
    assert masked == bytes(b ^ key[i % 4] for i, b in enumerate(data))


def test_the_exact_bytes_of_a_read_are_kept_for_forwarding_as_is() -> None:
    splitter = FrameSplitter()
    whole = encode(RawFrame(0x2, b"abc"), False)
    assert splitter.feed(whole + whole[:2]) == [RawFrame(0x2, b"abc")]
    assert splitter.last_raw == whole and splitter.pending == 2


def test_a_frame_too_large_to_hold_stops_the_splitter() -> None:
    with pytest.raises(FrameTooLarge):
        FrameSplitter(max_frame=10).feed(b"\x82\x7e\x00\x0b")
