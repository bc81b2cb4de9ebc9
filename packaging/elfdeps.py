"""Read an ELF file's DT_NEEDED entries (the shared libraries it links), without binutils.

The spec uses it to drop libraries that only the Qt plugins we leave out would load.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

DT_NEEDED, DT_STRTAB = 1, 5
PT_DYNAMIC, PT_LOAD = 2, 1


def needed(path: str | Path) -> list[str]:
    """Names of the libraries ``path`` links; [] for anything that is not a dynamic ELF file."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF":
        return []
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    loads, dynamic = _segments(data, is64, end)
    if dynamic is None:
        return []

    def file_offset(vaddr: int) -> int:
        for start, offset, size in loads:
            if start <= vaddr < start + size:
                return vaddr - start + offset
        raise ValueError(f"{path}: address {vaddr:#x} outside the loaded segments")

    entries, strtab = _dynamic_entries(data, is64, end, dynamic, file_offset)
    if strtab is None:
        return []
    names = []
    for val in entries:
        start = strtab + val
        names.append(data[start:data.index(b"\0", start)].decode())
    return names


def _segments(data: bytes, is64: bool, end: str) -> tuple[list[tuple[int, int, int]], tuple[int, int] | None]:
    """The program headers' loaded segments (vaddr, offset, size) and the dynamic segment (offset, size)."""
    if is64:
        phoff, = struct.unpack_from(end + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    else:
        phoff, = struct.unpack_from(end + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
    loads, dynamic = [], None
    for i in range(phnum):
        off = phoff + i * phentsize
        if is64:
            p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(end + "IIQQQQ", data, off)
        else:
            p_type, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(end + "IIIII", data, off)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
    return loads, dynamic


def _dynamic_entries(data: bytes, is64: bool, end: str, dynamic: tuple[int, int],
                     file_offset: Callable[[int], int]) -> tuple[list[int], int | None]:
    """The DT_NEEDED string offsets and the file offset of the string table (None: no DT_STRTAB)."""
    fmt, step = (end + "qQ", 16) if is64 else (end + "iI", 8)
    entries, strtab = [], None
    for off in range(dynamic[0], dynamic[0] + dynamic[1], step):
        tag, val = struct.unpack_from(fmt, data, off)
        if tag == 0:
            break
        if tag == DT_NEEDED:
            entries.append(val)
        elif tag == DT_STRTAB:
            strtab = file_offset(val)
    return entries, strtab
