"""Capture files: write pcapng, read pcapng and classic pcap (the formats dumpcap and tcpdump write).

Only what a capture of TCP traffic needs: the section header, interface descriptions
(link type, timestamp resolution), enhanced, simple and obsolete packet blocks, and the
packet comment option. Every other block is skipped by its length, as the format asks.
Both byte orders are read; pcapng sections may differ in byte order and each has its own
interfaces. See the pcapng draft (IETF opsawg) and pcap(5).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# pcapng block types
SHB = 0x0A0D0D0A
IDB = 0x00000001
OPB = 0x00000002  # obsolete Packet Block
SPB = 0x00000003
EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
# options
OPT_END = 0
OPT_COMMENT = 1
SHB_USERAPPL = 4
IF_NAME = 2
IF_TSRESOL = 9

# classic pcap magics as read little-endian: (byte order, nanosecond timestamps)
PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", False), b"\xa1\xb2\xc3\xd4": (">", False),
    b"\x4d\x3c\xb2\xa1": ("<", True), b"\xa1\xb2\x3c\x4d": (">", True),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

LINKTYPE_ETHERNET = 1
MAX_BLOCK = 1 << 28  # a block longer than this is a damaged file, not a packet


class CaptureError(ValueError):
    """The file is not a capture, or is damaged past a point (one line)."""


@dataclass(slots=True)
class Packet:
    number: int          # 1-based, in file order
    t: float             # epoch seconds
    linktype: int
    data: bytes
    orig_len: int        # the length on the wire (more than len(data) when the capture cut it)
    comment: str = ""


def is_capture(head: bytes) -> bool:
    """Whether a file starting with ``head`` (4 bytes or more) is pcapng or pcap."""
    return head[:4] == PCAPNG_MAGIC or head[:4] in PCAP_MAGICS


# ------------------------------------------------------------------ writing


def _pad4(n: int) -> int:
    return (4 - n % 4) % 4


def _options(options: list[tuple[int, bytes]]) -> bytes:
    if not options:
        return b""
    out = bytearray()
    for code, value in options:
        out += struct.pack("<HH", code, len(value)) + value + b"\0" * _pad4(len(value))
    out += struct.pack("<HH", OPT_END, 0)
    return bytes(out)


def _block(block_type: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


class PcapngWriter:
    """Writes one little-endian section with one interface (microsecond timestamps)."""

    def __init__(self, f: BinaryIO, linktype: int = LINKTYPE_ETHERNET, application: str = "",
                 interface: str = "", snaplen: int = 0) -> None:
        self._f = f
        self.packets = 0
        shb_opts = [(SHB_USERAPPL, application.encode("utf-8"))] if application else []
        f.write(_block(SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + _options(shb_opts)))
        if_opts = [(IF_TSRESOL, b"\x06")]
        if interface:
            if_opts.insert(0, (IF_NAME, interface.encode("utf-8")))
        f.write(_block(IDB, struct.pack("<HHI", linktype, 0, snaplen) + _options(if_opts)))

    def packet(self, t: float, data: bytes, comment: str = "") -> None:
        us = round(t * 1_000_000)
        opts = _options([(OPT_COMMENT, comment.encode("utf-8"))] if comment else [])
        head = struct.pack("<IIIII", 0, (us >> 32) & 0xFFFFFFFF, us & 0xFFFFFFFF, len(data), len(data))
        self._f.write(_block(EPB, head + data + b"\0" * _pad4(len(data)) + opts))
        self.packets += 1


# ------------------------------------------------------------------ reading


@dataclass(slots=True)
class _Interface:
    linktype: int
    units: float  # seconds per timestamp unit


class CaptureReader:
    """Iterate the packets of a pcapng or pcap file. ``truncated`` (bytes cut) is set when the
    file ends inside a block or record, as a capture killed while writing does."""

    def __init__(self, f: BinaryIO, name: str) -> None:
        self._f = f
        self.name = name
        self.truncated = 0
        self.skipped: list[str] = []

    def __iter__(self) -> Iterator[Packet]:
        head = self._f.read(4)
        if head == PCAPNG_MAGIC:
            return self._pcapng(head)
        if head in PCAP_MAGICS:
            return self._pcap(head)
        raise CaptureError(f"{self.name} is not a pcapng or pcap capture")

    def _read(self, n: int) -> bytes:
        data = self._f.read(n)
        if len(data) < n:
            self.truncated += len(data)
        return data

    def _pcap(self, magic: bytes) -> Iterator[Packet]:
        order, nano = PCAP_MAGICS[magic]
        rest = self._read(20)
        if len(rest) < 20:
            raise CaptureError(f"{self.name}: pcap header is cut short")
        linktype = struct.unpack(order + "I", rest[16:20])[0] & 0xFFFF
        units = 1e-9 if nano else 1e-6
        number = 0
        rec = struct.Struct(order + "IIII")
        while True:
            head = self._f.read(16)
            if not head:
                return
            if len(head) < 16:
                self.truncated += len(head)
                return
            sec, frac, incl, orig = rec.unpack(head)
            if incl > MAX_BLOCK:
                raise CaptureError(f"{self.name}: record {number + 1} claims {incl} bytes; the file is damaged")
            data = self._read(incl)
            if len(data) < incl:
                self.truncated += 16
                return
            number += 1
            yield Packet(number, sec + frac * units, linktype, data, orig)

    def _pcapng(self, magic: bytes) -> Iterator[Packet]:
        interfaces: list[_Interface] = []
        order = "<"
        number = 0
        head = magic
        first = True
        while True:
            if not head:
                head = self._f.read(4)
                if not head:
                    return
            rest = self._f.read(4)
            if first and len(rest) < 4:
                raise CaptureError(f"{self.name}: pcapng section header is cut short; nothing was captured")
            if len(head) < 4 or len(rest) < 4:
                self.truncated += len(head) + len(rest)
                return
            if head == PCAPNG_MAGIC:  # a section header fixes the byte order of what follows
                section_order = self._section_header(rest, first)
                if section_order is None:
                    return
                order = section_order
                first = False
                interfaces = []
                head = b""
                continue
            block_type = struct.unpack(order + "I", head)[0]
            total = struct.unpack(order + "I", rest)[0]
            body = self._check_body(total, 12)
            if len(body) < total - 8:
                return
            head = b""
            if block_type == IDB:
                interfaces.append(_interface(body, order))
            elif block_type in (EPB, OPB, SPB):
                number += 1
                packet = self._packet(block_type, body, order, interfaces, number)
                if packet is not None:
                    yield packet

    def _section_header(self, rest: bytes, first: bool) -> str | None:
        """The byte order of a section whose header's first 8 bytes were read (``rest`` the
        second 4); None when the file ends inside the header."""
        bom = self._f.read(4)
        if first and len(bom) < 4:
            raise CaptureError(f"{self.name}: pcapng section header is cut short; nothing was captured")
        if len(bom) < 4:
            self.truncated += 8 + len(bom)
            return None
        if bom == b"\x4d\x3c\x2b\x1a":
            order = "<"
        elif bom == b"\x1a\x2b\x3c\x4d":
            order = ">"
        else:
            raise CaptureError(f"{self.name}: pcapng section header has no valid byte-order magic")
        total = struct.unpack(order + "I", rest)[0]
        if total < 28 or total % 4 or total > MAX_BLOCK:
            raise CaptureError(f"{self.name}: pcapng section header has the invalid length {total}")
        if len(self._read(total - 12)) < total - 12:
            if first:
                raise CaptureError(f"{self.name}: pcapng section header is cut short; nothing was captured")
            return None
        return order

    def _check_body(self, total: int, least: int) -> bytes:
        """The rest of a block of ``total`` bytes whose first 8 were read (empty when cut)."""
        if total < least or total % 4 or total > MAX_BLOCK:
            raise CaptureError(f"{self.name}: a pcapng block has the invalid length {total}; the file is damaged")
        return self._read(total - 8)

    def _packet(self, block_type: int, body: bytes, order: str, interfaces: list[_Interface],
                number: int) -> Packet | None:
        if block_type == SPB:
            orig = struct.unpack(order + "I", body[:4])[0]
            iface = interfaces[0] if interfaces else None
            data = body[4:4 + min(orig, len(body) - 8)]
            if iface is None:
                self.skipped.append(f"packet {number}: no interface description before it, skipped")
                return None
            return Packet(number, 0.0, iface.linktype, data, orig)
        if len(body) < 24:
            self.skipped.append(f"packet {number}: packet block too short, skipped")
            return None
        if block_type == EPB:
            if_id, hi, lo, incl, orig = struct.unpack(order + "IIIII", body[:20])
        else:
            if_id, _drops, hi, lo, incl, orig = struct.unpack(order + "HHIIII", body[:20])
        if if_id >= len(interfaces):
            self.skipped.append(f"packet {number}: names interface {if_id}, which is not described, skipped")
            return None
        if 20 + incl > len(body) - 4:
            self.skipped.append(f"packet {number}: captured length {incl} runs past its block, skipped")
            return None
        iface = interfaces[if_id]
        data = body[20:20 + incl]
        comment = _comment(body[20 + incl + _pad4(incl):-4], order)
        return Packet(number, ((hi << 32) | lo) * iface.units, iface.linktype, data, orig, comment)


def _walk_options(raw: bytes, order: str) -> Iterator[tuple[int, bytes]]:
    i = 0
    while i + 4 <= len(raw):
        code, length = struct.unpack(order + "HH", raw[i:i + 4])
        if code == OPT_END:
            return
        yield code, raw[i + 4:i + 4 + length]
        i += 4 + length + _pad4(length)


def _comment(raw: bytes, order: str) -> str:
    for code, value in _walk_options(raw, order):
        if code == OPT_COMMENT:
            return value.decode("utf-8", "replace")
    return ""


def _interface(body: bytes, order: str) -> _Interface:
    linktype = struct.unpack(order + "H", body[:2])[0]
    units = 1e-6
    for code, value in _walk_options(body[8:-4], order):
        if code == IF_TSRESOL and value:
            r = value[0]
            units = 2.0 ** -(r & 0x7F) if r & 0x80 else 10.0 ** -r
    return _Interface(linktype, units)
