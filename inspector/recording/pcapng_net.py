"""Ethernet / IPv4 / IPv6 / TCP headers: build them for an export, take them apart when reading a capture.

Reading accepts the link layers captures of TCP come in: Ethernet (with VLAN tags), Linux
"cooked" SLL and SLL2 (``-i any``), BSD loopback (NULL and LOOP) and raw IP. The payload
length comes from the IP header, never from the frame length: Ethernet pads short frames.
"""

from __future__ import annotations

import ipaddress
import struct
import sys
from dataclasses import dataclass

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2 = 113, 228, 229, 276
_RAW_ALIASES = (12, 14)  # DLT_RAW as some systems number it in pcap files
ETHERTYPE_IPV4, ETHERTYPE_IPV6 = 0x0800, 0x86DD
_VLAN_TAGS = (0x8100, 0x88A8, 0x9100)
_BSD_AF_INET6 = (10, 24, 28, 30)  # Linux, NetBSD/OpenBSD, FreeBSD, macOS
_IPV6_EXTENSIONS = (0, 43, 60)  # hop-by-hop, routing, destination options: skipped over

MAX_IPV4_PACKET = 65535
IPV4_TCP_HEADERS = 40
MAX_SEGMENT = MAX_IPV4_PACKET - IPV4_TCP_HEADERS  # the most TCP payload one IPv4 packet carries


@dataclass(slots=True)
class Segment:
    src: tuple[str, int]
    dst: tuple[str, int]
    seq: int
    ack: int
    flags: int
    payload: bytes
    cut: bool = False  # the capture kept less of the payload than was sent


class NotTcp(Exception):
    """Not a TCP segment this reader follows (other protocols, fragments); the reason in one line."""


# ------------------------------------------------------------------ building


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))  # native order; swapped back below when little-endian
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int.from_bytes((~total & 0xFFFF).to_bytes(2, sys.byteorder), "big")


def ethernet_ipv4_tcp(src_mac: bytes, dst_mac: bytes, src: tuple[str, int], dst: tuple[str, int], seq: int,
                      ack: int, flags: int, payload: bytes = b"", ident: int = 0, options: bytes = b"",
                      window: int = 65535) -> bytes:
    """One Ethernet frame holding one IPv4 packet holding one TCP segment, checksums computed."""
    src_ip, dst_ip = ipaddress.IPv4Address(src[0]).packed, ipaddress.IPv4Address(dst[0]).packed
    tcp_len = 20 + len(options) + len(payload)
    offset = (20 + len(options)) // 4
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, offset << 4, flags,
                      window, 0, 0) + options
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, tcp_len)
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, ident & 0xFFFF, 0x4000, 64, 6, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + struct.pack("!H", ETHERTYPE_IPV4) + ip + tcp + payload


# ------------------------------------------------------------------ reading


def tcp_segment(linktype: int, frame: bytes) -> Segment:
    """The TCP segment in one captured frame; NotTcp for anything else."""
    ethertype, i = _link(linktype, frame)
    if ethertype == ETHERTYPE_IPV4:
        return _ipv4(frame, i)
    if ethertype == ETHERTYPE_IPV6:
        return _ipv6(frame, i)
    raise NotTcp("not IP")


def _link(linktype: int, frame: bytes) -> tuple[int, int]:
    """(ethertype, where the network header starts)."""
    if linktype == LINKTYPE_ETHERNET:
        return _ethernet(frame)
    if linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            raise NotTcp("SLL header too short")
        return struct.unpack("!H", frame[14:16])[0], 16
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(frame) < 20:
            raise NotTcp("SLL2 header too short")
        return struct.unpack("!H", frame[0:2])[0], 20
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        return _loopback(linktype, frame)
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6, *_RAW_ALIASES):
        version = frame[0] >> 4 if frame else 0
        return (ETHERTYPE_IPV4 if version == 4 else ETHERTYPE_IPV6 if version == 6 else 0), 0
    raise NotTcp(f"link type {linktype} is not one this reader knows")


def _ethernet(frame: bytes) -> tuple[int, int]:
    if len(frame) < 14:
        raise NotTcp("Ethernet frame too short")
    ethertype, i = struct.unpack("!H", frame[12:14])[0], 14
    while ethertype in _VLAN_TAGS and len(frame) >= i + 4:
        ethertype, i = struct.unpack("!H", frame[i + 2:i + 4])[0], i + 4
    return ethertype, i


def _loopback(linktype: int, frame: bytes) -> tuple[int, int]:
    if len(frame) < 4:
        raise NotTcp("loopback header too short")
    # NULL: the family in the capturing host's byte order; LOOP: network order
    family = struct.unpack("!I" if linktype == LINKTYPE_LOOP else "<I", frame[:4])[0]
    if linktype == LINKTYPE_NULL and family > 0xFFFF:
        family = struct.unpack("!I", frame[:4])[0]
    if family == 2:
        return ETHERTYPE_IPV4, 4
    if family in _BSD_AF_INET6:
        return ETHERTYPE_IPV6, 4
    raise NotTcp("not IP")


def _ipv4(frame: bytes, i: int) -> Segment:
    if len(frame) < i + 20:
        raise NotTcp("IPv4 header cut short")
    ihl = (frame[i] & 0x0F) * 4
    total, frag, proto = struct.unpack("!H", frame[i + 2:i + 4])[0], struct.unpack("!H", frame[i + 6:i + 8])[0], \
        frame[i + 9]
    if proto != 6:
        raise NotTcp("not TCP")
    if frag & 0x3FFF:  # more fragments, or an offset: TCP over IP fragments is not followed
        raise NotTcp("IPv4 fragment")
    src = str(ipaddress.IPv4Address(frame[i + 12:i + 16]))
    dst = str(ipaddress.IPv4Address(frame[i + 16:i + 20]))
    end = i + total if total else len(frame)  # 0: TCP segmentation offload wrote no length
    return _tcp(frame, i + ihl, end, src, dst)


def _ipv6(frame: bytes, i: int) -> Segment:
    if len(frame) < i + 40:
        raise NotTcp("IPv6 header cut short")
    length = struct.unpack("!H", frame[i + 4:i + 6])[0]
    nxt = frame[i + 6]
    src = str(ipaddress.IPv6Address(frame[i + 8:i + 24]))
    dst = str(ipaddress.IPv6Address(frame[i + 24:i + 40]))
    end = i + 40 + length if length else len(frame)
    j = i + 40
    while nxt in _IPV6_EXTENSIONS and len(frame) >= j + 8:
        nxt, j = frame[j], j + (frame[j + 1] + 1) * 8
    if nxt == 44:
        raise NotTcp("IPv6 fragment")
    if nxt != 6:
        raise NotTcp("not TCP")
    return _tcp(frame, j, end, src, dst)


def _tcp(frame: bytes, i: int, end: int, src: str, dst: str) -> Segment:
    if len(frame) < i + 20:
        raise NotTcp("TCP header cut short")
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", frame[i:i + 14])
    start = i + (off >> 4) * 4
    payload = frame[start:end]
    return Segment((src, sport), (dst, dport), seq, ack, flags, payload, cut=end > len(frame))
