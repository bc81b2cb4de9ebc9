"""Damage bytes as a fuzz test wants them: a few bytes inserted, deleted or replaced at drawn places."""

from __future__ import annotations

from hypothesis import strategies as st


def damaged(body: bytes, data: st.DataObject, keep: int = 0) -> bytes:
    """``body`` with 1-3 drawn changes; the first ``keep`` bytes stay as they are."""
    out = bytearray(body)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(keep, len(out)))
        change = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = data.draw(st.integers(0, 255))
        if change == "insert":
            out.insert(at, byte)
        elif at < len(out):
            if change == "delete":
                del out[at]
            else:
                out[at] = byte
    return bytes(out)
