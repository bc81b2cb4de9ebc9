"""The block index: one fixed-size entry per record batch, appended after the batch itself.

An entry says where a batch lies in the data file and what it holds (rows, first and last
time), with a CRC of the entry so a damaged one is told from a good one. The writer appends
the entry only once the whole batch is written, so every entry on disk names a complete
batch; a torn last entry (killed mid-write) is dropped. Opening reads this file only, never
the data.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = b"RISIDX01"
_ENTRY = struct.Struct("<QQQdd")  # offset, length, rows, first time, last time
_CRC = struct.Struct("<I")
ENTRY_SIZE = _ENTRY.size + _CRC.size


@dataclass(frozen=True, slots=True)
class Block:
    """One record batch: its bytes ``[offset, offset + length)`` in the data file."""

    offset: int
    length: int
    rows: int
    t_first: float
    t_last: float

    @property
    def end(self) -> int:
        return self.offset + self.length


def encode(block: Block) -> bytes:
    body = _ENTRY.pack(block.offset, block.length, block.rows, block.t_first, block.t_last)
    return body + _CRC.pack(zlib.crc32(body))


@dataclass(frozen=True, slots=True)
class Decoded:
    blocks: list[Block]
    good_bytes: int  # the length of the index's sound prefix (magic and whole, valid entries)
    damaged: bool    # an entry failed its CRC or does not follow on from the one before


def decode(raw: bytes, data_start: int) -> Decoded:
    """The entries of an index file's bytes, up to the first torn or damaged one.

    ``data_start`` is where the first batch must begin (just after the stream's schema).
    Entries must tile the data file without gaps: each starts where the one before ended.
    """
    if not raw.startswith(MAGIC):
        return Decoded([], 0, bool(raw))
    blocks: list[Block] = []
    expect = data_start
    pos = len(MAGIC)
    for body, crc in _entries(raw, pos):
        block = Block(*_ENTRY.unpack(body))
        if zlib.crc32(body) != crc or block.offset != expect or block.length <= 0 or block.rows <= 0:
            return Decoded(blocks, pos, True)
        blocks.append(block)
        expect = block.end
        pos += ENTRY_SIZE
    return Decoded(blocks, pos, False)


def _entries(raw: bytes, pos: int) -> Iterator[tuple[bytes, int]]:
    while pos + ENTRY_SIZE <= len(raw):
        body = raw[pos:pos + _ENTRY.size]
        yield body, _CRC.unpack_from(raw, pos + _ENTRY.size)[0]
        pos += ENTRY_SIZE
